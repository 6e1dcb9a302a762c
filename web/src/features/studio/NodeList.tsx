import { useState } from "react";
import {
  Button as AriaButton,
  Dialog,
  DialogTrigger,
  GridList,
  GridListItem,
  Heading,
  Modal,
  ModalOverlay,
  useDragAndDrop,
} from "react-aria-components";
import { Link } from "react-router";
import { Button, Select } from "@/design/components";
import { useT } from "./useT";

export interface Node {
  id: number;
  title: string;
  note?: string;
}

export interface Parent {
  id: number;
  label: string;
}

interface Props {
  /** Names the list for assistive technology ("Lessons of Unit one"). */
  label: string;
  /** unit, lesson or activity: the message keys and the test ids follow it. */
  level: "unit" | "lesson" | "activity";
  nodes: Node[];
  editHref: (id: number) => string;
  /** Put the node at this index among its siblings. */
  onMove: (id: number, position: number) => void;
  /** Other parents the node may move into (units for a lesson, lessons for an activity). */
  parents?: Parent[];
  currentParent?: number;
  onMoveTo?: (id: number, parent: number) => void;
  onDelete: (id: number) => void;
  busy: boolean;
}

/**
 * The children of one node in order. Drag a row by its handle (mouse, touch, or the keyboard: Enter on
 * the handle, arrows, Enter to drop), or use the row's own Move up / Move down / Move to… buttons.
 */
export function NodeList({ label, level, nodes, editHref, onMove, parents, currentParent, onMoveTo, onDelete, busy }: Props) {
  const t = useT();
  const { dragAndDropHooks } = useDragAndDrop({
    getItems: (keys) => [...keys].map((key) => ({ "text/plain": nodes.find((n) => n.id === key)?.title ?? String(key) })),
    onReorder: (event) => {
      const moving = Number([...event.keys][0]);
      const rest = nodes.filter((n) => n.id !== moving);
      const at = rest.findIndex((n) => n.id === event.target.key) + (event.target.dropPosition === "after" ? 1 : 0);
      onMove(moving, at);
    },
    isDisabled: busy,
  });
  if (nodes.length === 0) return <p className="muted">{t(`empty.${level}`)}</p>;
  return (
    <GridList aria-label={label} items={nodes} dragAndDropHooks={dragAndDropHooks} className="pw-studio__list" data-level={level}>
      {(node) => {
        const index = nodes.indexOf(node);
        return (
          <GridListItem id={node.id} textValue={node.title} className="pw-studio__row">
            <AriaButton slot="drag" className="pw-studio__icon" aria-label={t("drag", { name: node.title })}>
              <span aria-hidden="true">⠿</span>
            </AriaButton>
            <span className="pw-studio__name">
              <span className="pw-studio__pos">{index + 1}.</span> <Link to={editHref(node.id)}>{node.title}</Link>
              {node.note && <span className="muted"> · {node.note}</span>}
            </span>
            <AriaButton
              className="pw-studio__icon"
              aria-label={t("moveUp", { name: node.title })}
              isDisabled={busy || index === 0}
              onPress={() => onMove(node.id, index - 1)}
            >
              <span aria-hidden="true">↑</span>
            </AriaButton>
            <AriaButton
              className="pw-studio__icon"
              aria-label={t("moveDown", { name: node.title })}
              isDisabled={busy || index === nodes.length - 1}
              onPress={() => onMove(node.id, index + 1)}
            >
              <span aria-hidden="true">↓</span>
            </AriaButton>
            {parents && onMoveTo && currentParent !== undefined && (
              <MoveTo node={node} level={level} parents={parents} current={currentParent} onMoveTo={onMoveTo} busy={busy} />
            )}
            <DeleteButton node={node} onDelete={onDelete} busy={busy} />
          </GridListItem>
        );
      }}
    </GridList>
  );
}

/** "Move to…": the keyboard's way to move a node into another unit or lesson. */
function MoveTo({ node, level, parents, current, onMoveTo, busy }: { node: Node; level: string; parents: Parent[]; current: number; onMoveTo: (id: number, parent: number) => void; busy: boolean }) {
  const t = useT();
  const others = parents.filter((p) => p.id !== current);
  const [target, setTarget] = useState<number | null>(others[0]?.id ?? null);
  return (
    <DialogTrigger>
      <AriaButton className="pw-studio__text-button" isDisabled={busy || others.length === 0}>
        {t("moveTo")}
        <span className="visually-hidden"> {node.title}</span>
      </AriaButton>
      <ModalOverlay className="pw-modal-overlay" isDismissable>
        <Modal className="pw-modal">
          <Dialog className="pw-dialog">
            {({ close }) => (
              <div className="stack">
                <Heading slot="title">{t("moveToTitle", { name: node.title })}</Heading>
                <Select label={t(`moveInto.${level}`)} value={target} onChange={setTarget} options={others.map((p) => ({ id: p.id, label: p.label }))} />
                <div className="row">
                  <Button
                    onPress={() => {
                      if (target !== null) onMoveTo(node.id, target);
                      close();
                    }}
                  >
                    {t("move")}
                  </Button>
                  <Button variant="secondary" onPress={close}>
                    {t("cancel")}
                  </Button>
                </div>
              </div>
            )}
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  );
}

/** Delete asks once more in place, naming what goes with the node. */
function DeleteButton({ node, onDelete, busy }: { node: Node; onDelete: (id: number) => void; busy: boolean }) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <AriaButton className="pw-studio__text-button" isDisabled={busy} onPress={() => setAsking(true)}>
        {t("delete")}
        <span className="visually-hidden"> {node.title}</span>
      </AriaButton>
    );
  }
  return (
    <>
      <AriaButton className="pw-studio__text-button pw-studio__danger" autoFocus onPress={() => onDelete(node.id)}>
        {t("confirmDelete", { name: node.title })}
      </AriaButton>
      <AriaButton className="pw-studio__text-button" onPress={() => setAsking(false)}>
        {t("cancel")}
      </AriaButton>
    </>
  );
}
