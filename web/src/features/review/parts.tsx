import type { ReactNode } from "react";
import { useIntl } from "react-intl";
import { Notice } from "@/design/components";
import type { Load } from "@/lib/useLoad";

/** `t` for the console's messages: `t("queue.title")` reads `console.review.queue.title`. */
export function useT() {
  const intl = useIntl();
  return (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id: `console.review.${id}` }, values);
}

/** A named region of a page: its heading is its name, so a screen reader can jump between them. */
export function Region({ id, title, children, level = 2 }: { id: string; title: ReactNode; children: ReactNode; level?: 2 | 3 }) {
  const Heading = `h${level}` as const;
  return (
    <section aria-labelledby={`${id}-title`} className="pw-review__region">
      <Heading id={`${id}-title`}>{title}</Heading>
      {children}
    </section>
  );
}

/** A loading line (aria-busy, which the tests and the bench wait on), the problem's sentence, or the content. */
export function Loaded<T>({ state, failed, children }: { state: Load<T>; failed: string; children: (data: T) => ReactNode }) {
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
  return <>{children(state.data)}</>;
}

export function usePercent() {
  const intl = useIntl();
  return (value: number | null | undefined) =>
    value === null || value === undefined ? "–" : intl.formatNumber(value, { style: "percent", maximumFractionDigits: 1 });
}

export function useWhen() {
  const intl = useIntl();
  return (iso: string) => intl.formatDate(new Date(iso), { dateStyle: "medium", timeStyle: "short" });
}
