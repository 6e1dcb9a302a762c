import { useLayoutEffect, useRef } from "react";
import { Link } from "react-router";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { Preview } from "./api";
import { useMessages } from "@/lib/useMessages";

/** Marks the page reads to time the preview (`experiments/web_bench_rules.py`): data in, then rows painted. */
export const ARRIVED = "rules-preview-arrived";
export const RENDERED = "rules-preview-rendered";
export const MEASURE = "rules-preview-render";

export function markPreviewArrived() {
  performance.clearMarks(ARRIVED);
  performance.clearMarks(RENDERED);
  performance.clearMeasures(MEASURE);
  performance.mark(ARRIVED);
}

const ROW_HEIGHT = 72;

type Change = Preview["affected"][number];

function titles(items: Change["before"]): string {
  return items.map((i, n) => `${n + 1}. ${i.title}`).join("  ");
}

/**
 * The learners a previewed rule changes, before and after: only the rows in view are in the DOM, so a
 * thousand learners render as fast as twenty. It is an ARIA table with row indexes, so a screen reader
 * still hears "row 412 of 1000"; the scroll box takes focus so the keyboard can scroll it.
 */
export function PreviewTable({ preview }: { preview: Preview }) {
  const t = useMessages("console.rules");
  const scroller = useRef<HTMLDivElement>(null);
  const rows = preview.affected;
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });

  useLayoutEffect(() => {
    // after the commit, on the next frame: the rows are laid out and about to be painted
    const frame = requestAnimationFrame(() => {
      if (performance.getEntriesByName(ARRIVED).length === 0) return;
      performance.mark(RENDERED);
      performance.measure(MEASURE, ARRIVED, RENDERED);
    });
    return () => cancelAnimationFrame(frame);
  }, [preview]);

  if (rows.length === 0) return <p className="muted">{t("preview.none")}</p>;
  const columns = [t("preview.learner"), t("preview.before"), t("preview.after"), t("preview.actions")];
  return (
    <div
      role="table"
      aria-label={t("preview.table")}
      aria-rowcount={rows.length + 1}
      className="rules-preview"
      data-rows={rows.length}
    >
      <div role="rowgroup">
        <div role="row" aria-rowindex={1} className="rules-preview__row rules-preview__head">
          {columns.map((c) => (
            <span role="columnheader" key={c}>
              {c}
            </span>
          ))}
        </div>
      </div>
      <div
        ref={scroller}
        className="rules-preview__scroll"
        tabIndex={0}
        role="rowgroup"
        aria-label={t("preview.scroll")}
      >
        <div style={{ height: virtual.getTotalSize(), position: "relative" }}>
          {virtual.getVirtualItems().map((item) => {
            const change = rows[item.index];
            return (
              <div
                role="row"
                key={change.learner_id}
                aria-rowindex={item.index + 2}
                className="rules-preview__row"
                style={{ position: "absolute", top: 0, left: 0, right: 0, height: item.size, transform: `translateY(${item.start}px)` }}
              >
                <span role="rowheader">
                  <Link to={`/rules/learners/${change.learner_id}`}>
                    {t("preview.learnerLink", { id: change.learner_id })}
                  </Link>
                </span>
                <span role="cell">{titles(change.before)}</span>
                <span role="cell">{titles(change.after)}</span>
                <span role="cell">
                  {change.actions
                    .map((a) => {
                      const title = [...change.after, ...change.before].find((i) => i.activity_id === a.target)?.title;
                      return `${t(`verb.${a.verb}`)}: ${title ?? a.target}`;
                    })
                    .join(", ")}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
