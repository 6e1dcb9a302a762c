import type { ReactNode } from "react";
import "./components.css";

/** A titled surface. `headingLevel` keeps the page's heading outline correct wherever a card sits. */
export function Card({
  title,
  headingLevel = 3,
  actions,
  children,
  className,
  labelledBy,
}: {
  title?: ReactNode;
  headingLevel?: 2 | 3 | 4;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  labelledBy?: string;
}) {
  const Heading = `h${headingLevel}` as const;
  return (
    <article className={`pw-card ${className ?? ""}`} aria-labelledby={labelledBy}>
      {title && (
        <Heading id={labelledBy} className="pw-card__title">
          {title}
        </Heading>
      )}
      <div className="pw-card__body">{children}</div>
      {actions && <div className="pw-card__actions">{actions}</div>}
    </article>
  );
}
