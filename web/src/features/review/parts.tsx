import type { ReactNode } from "react";
import { useIntl } from "react-intl";
import { useMessages } from "@/lib/useMessages";

/** `t` for the console's messages: `t("queue.title")` reads `console.review.queue.title`. */
export function useT() {
  return useMessages("console.review");
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

export function usePercent() {
  const intl = useIntl();
  return (value: number | null | undefined) =>
    value === null || value === undefined ? "–" : intl.formatNumber(value, { style: "percent", maximumFractionDigits: 1 });
}
