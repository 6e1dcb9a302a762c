import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { usePercent, useT } from "./parts";
import { moveFocus, type GradeColumn, type GradeRow, type Position } from "./shaping";

const ROW_HEIGHT = 44;
const FIRST_WIDTH = 260;
const COLUMN_WIDTH = 112;

/**
 * The grade book as an ARIA grid: learners x columns, only the rows in view are in the page (TanStack
 * Virtual), so a thousand learners draw as fast as twenty. The header row and the learner column stay
 * put while the rest scrolls. One cell is in the tab order (roving focus): arrows move between cells,
 * Home/End to a row's ends, Ctrl+Home/End to the corners, Page Up/Down by ten rows.
 *
 * `onRendered` is called once per `rows` after the browser has painted them (the bench's mark).
 */
export function GradeGrid({
  label,
  columns,
  rows,
  onRendered,
}: {
  label: string;
  columns: GradeColumn[];
  rows: GradeRow[];
  onRendered?: () => void;
}) {
  const t = useT();
  const percent = usePercent();
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState<Position>({ row: 0, col: 0 });
  const focusPending = useRef(false);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
  });
  const items = virtualizer.getVirtualItems();
  const colCount = columns.length + 2; // the learner, each column, the mean
  const width = FIRST_WIDTH + (columns.length + 1) * COLUMN_WIDTH;
  const at = { row: Math.min(active.row, rows.length), col: Math.min(active.col, colCount - 1) };
  const activeShown = at.row === 0 || items.some((v) => v.index === at.row - 1);

  useEffect(() => {
    if (!onRendered) return;
    let timer = 0;
    const frame = requestAnimationFrame(() => {
      timer = window.setTimeout(onRendered, 0); // after the frame that paints the rows
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [rows]);

  useEffect(() => {
    if (!focusPending.current) return;
    const cell = scroller.current?.querySelector<HTMLElement>(`[data-cell="${at.row}:${at.col}"]`);
    if (cell) {
      focusPending.current = false;
      cell.focus();
    }
  });

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const next = moveFocus(at, event.key, event.ctrlKey || event.metaKey, rows.length + 1, colCount);
    if (!next) return;
    event.preventDefault();
    focusPending.current = true;
    setActive(next);
    if (next.row > 0) virtualizer.scrollToIndex(next.row - 1, { align: "auto" });
  };
  const tabStop = (row: number, col: number) => {
    if (activeShown) return row === at.row && col === at.col ? 0 : -1;
    return row === 0 && col === at.col ? 0 : -1; // the active row scrolled away: its column's header keeps the tab stop
  };
  const cellProps = (row: number, col: number) => ({
    "data-cell": `${row}:${col}`,
    "aria-colindex": col + 1,
    tabIndex: tabStop(row, col),
    onFocus: () => (row !== at.row || col !== at.col) && setActive({ row, col }),
  });

  return (
    <div className="pw-gradebook" ref={scroller}>
      <div role="grid" aria-label={label} aria-rowcount={rows.length + 1} aria-colcount={colCount} onKeyDown={onKeyDown} style={{ width }}>
        <div role="rowgroup" className="pw-gradebook__head">
          <div role="row" aria-rowindex={1} className="pw-gradebook__row" style={{ width }}>
            <div role="columnheader" className="pw-gradebook__first" {...cellProps(0, 0)}>
              {t("gradebook.learner")}
            </div>
            {columns.map((c, i) => (
              <div role="columnheader" key={c.key} className="pw-gradebook__cell" title={c.title} {...cellProps(0, i + 1)}>
                <span className="pw-gradebook__title">{c.title}</span>
                <span className="pw-gradebook__sub">{c.kind === "test" ? t("gradebook.test") : t("gradebook.assignment")}</span>
              </div>
            ))}
            <div role="columnheader" className="pw-gradebook__cell" {...cellProps(0, colCount - 1)}>
              {t("gradebook.mean")}
            </div>
          </div>
        </div>
        <div role="rowgroup" className="pw-gradebook__body" style={{ height: virtualizer.getTotalSize(), width }}>
          {items.map((v) => {
            const row = rows[v.index];
            const r = v.index + 1;
            return (
              <div
                role="row"
                key={row.userId}
                aria-rowindex={r + 1}
                className="pw-gradebook__row"
                style={{ top: v.start, height: ROW_HEIGHT, width }}
              >
                <div role="rowheader" className="pw-gradebook__first" {...cellProps(r, 0)}>
                  <span className="pw-gradebook__title">{row.name}</span>
                  <span className="pw-gradebook__sub">{row.email}</span>
                </div>
                {row.cells.map((cell, i) => (
                  <div role="gridcell" key={columns[i].key} className="pw-gradebook__cell pw-gradebook__score" {...cellProps(r, i + 1)}>
                    {cell.score !== null ? percent(cell.score) : cell.pending ? "" : "–"}
                    {cell.pending > 0 && <span className="pw-gradebook__pending">{t("gradebook.pending")}</span>}
                  </div>
                ))}
                <div role="gridcell" className="pw-gradebook__cell pw-gradebook__score" {...cellProps(r, colCount - 1)}>
                  {percent(row.mean)}
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
