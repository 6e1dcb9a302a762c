import type { ReactNode } from "react";
import { Dialog as AriaDialog, DialogTrigger, Heading, Modal, ModalOverlay } from "react-aria-components";
import { Button } from "./Button";
import "./components.css";

/** A modal dialog: focus moves in, stays in, and returns to the trigger; Escape closes it. */
export function Dialog({
  trigger,
  title,
  closeLabel,
  children,
}: {
  trigger: ReactNode;
  title: string;
  closeLabel: string;
  children: ReactNode;
}) {
  return (
    <DialogTrigger>
      {trigger}
      <ModalOverlay className="pw-modal-overlay" isDismissable>
        <Modal className="pw-modal">
          <AriaDialog className="pw-dialog">
            {({ close }) => (
              <>
                <Heading slot="title">{title}</Heading>
                {children}
                <div className="row">
                  <Button variant="secondary" onPress={close}>
                    {closeLabel}
                  </Button>
                </div>
              </>
            )}
          </AriaDialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  );
}
