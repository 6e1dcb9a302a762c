import type { ReactNode } from "react";
import { useIntl } from "react-intl";
import { Notice } from "@/design/components";
import type { Load } from "@/lib/useLoad";

/** A home page section: a region named by its heading, so a screen reader can jump between them. */
export function Section({
  id,
  title,
  actions,
  children,
  className,
}: {
  id: string;
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section aria-labelledby={`${id}-title`} className={`pw-section ${className ?? ""}`} id={id}>
      <div className="pw-section__head">
        <h2 id={`${id}-title`}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/**
 * What a section shows for its data: a busy line while loading, the problem's own sentence when the
 * call failed (after the section's lead, so the reader knows which part failed), the empty text, or
 * the content.
 */
export function Loaded<T>({
  state,
  failed,
  empty,
  isEmpty,
  children,
}: {
  state: Load<T>;
  failed: string;
  empty?: string;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  const intl = useIntl();
  if (state.status === "loading") {
    return (
      <p className="muted" aria-busy="true">
        {intl.formatMessage({ id: "app.loading" })}
      </p>
    );
  }
  if (state.status === "error") {
    return (
      <Notice tone="warning">
        <strong>{failed}</strong> {state.error}
      </Notice>
    );
  }
  if (empty && isEmpty?.(state.data)) return <p className="muted">{empty}</p>;
  return <>{children(state.data)}</>;
}
