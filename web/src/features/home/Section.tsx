import type { ReactNode } from "react";

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
