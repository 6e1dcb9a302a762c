/** Pure shaping of what the review routes return, for the pages (and their unit tests). */
import type { GradeBook } from "./api";

type Report = Record<string, unknown>;

function num(report: Report, key: string): number | null {
  const value = report[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** What the grader decided, read from its report: points on the item's scale (essays), a 0..1 score, a confidence. */
export interface ModelView {
  points: number | null;
  max: number | null;
  /** 0..1 */
  score: number | null;
  confidence: number | null;
  scoredBy: string | null;
}

export function modelView(report: Report | null | undefined, rawScore?: number | null): ModelView {
  const r = report ?? {};
  const points = num(r, "rubric_score") ?? num(r, "points");
  const max = num(r, "max_score") ?? num(r, "points_possible");
  const fromPoints = points !== null && max ? points / max : null;
  const score = rawScore ?? num(r, "score") ?? fromPoints;
  const scoredBy = typeof r.scored_by === "string" ? r.scored_by : null;
  return { points, max, score: score ?? null, confidence: num(r, "confidence"), scoredBy };
}

export interface TestRow {
  suite: string;
  name: string;
  status: string;
  casesPassed: number;
  casesTotal: number;
  points: number;
  weight: number;
  feedback: string;
}

export interface SandboxEvent {
  kind: string;
  suite: string;
  test: string | null;
  detail: string;
}

/** A code report's tests and sandbox events (empty for an essay, or a code report that never ran). */
export function codeReport(report: Report | null | undefined): { tests: TestRow[]; events: SandboxEvent[]; status: string | null } {
  const r = report ?? {};
  const tests = Array.isArray(r.tests) ? (r.tests as Record<string, unknown>[]) : [];
  const events = Array.isArray(r.events) ? (r.events as Record<string, unknown>[]) : [];
  return {
    status: typeof r.status === "string" ? r.status : null,
    tests: tests.map((t) => ({
      suite: String(t.suite ?? ""),
      name: String(t.name ?? ""),
      status: String(t.status ?? ""),
      casesPassed: Number(t.cases_passed ?? 0),
      casesTotal: Number(t.cases_total ?? 0),
      points: Number(t.points ?? 0),
      weight: Number(t.weight ?? 0),
      feedback: String(t.feedback ?? ""),
    })),
    events: events.map((e) => ({
      kind: String(e.kind ?? ""),
      suite: String(e.suite ?? ""),
      test: e.test == null ? null : String(e.test),
      detail: String(e.detail ?? ""),
    })),
  };
}

/** A score typed as a percentage (0–100, a comma or a point for decimals) as the API's 0..1; null if it is not one. */
export function parsePercent(text: string): number | null {
  const cleaned = text.trim().replace(/\s*%$/, "").replace(",", ".");
  if (!/^\d+(\.\d+)?$/.test(cleaned)) return null;
  const value = Number(cleaned);
  return value >= 0 && value <= 100 ? Math.round(value * 100) / 10_000 : null;
}

export interface GradeColumn {
  key: string;
  title: string;
  kind: "assignment" | "test";
  id: number;
}

export interface GradeCellView {
  score: number | null;
  attempts: number;
  pending: number;
}

export interface GradeRow {
  userId: number;
  name: string;
  email: string;
  cells: GradeCellView[];
  mean: number | null;
}

/** The grade book as columns (assignments, then summative tests) and rows of cells in that order. */
export function gradeTable(book: GradeBook): { columns: GradeColumn[]; rows: GradeRow[] } {
  const columns: GradeColumn[] = [
    ...book.assignments.map((a) => ({ key: `a${a.id}`, title: a.title, kind: "assignment" as const, id: a.id })),
    ...book.tests.map((t) => ({ key: `t${t.id}`, title: t.title, kind: "test" as const, id: t.id })),
  ];
  const empty: GradeCellView = { score: null, attempts: 0, pending: 0 };
  const rows = book.rows.map((row) => ({
    userId: row.user_id,
    name: row.display_name,
    email: row.email,
    mean: row.mean ?? null,
    cells: columns.map((c) => {
      const cell = c.kind === "assignment" ? row.cells[String(c.id)] : row.tests[String(c.id)];
      return cell ? { score: cell.score ?? null, attempts: cell.attempts, pending: cell.pending } : empty;
    }),
  }));
  return { columns, rows };
}

/** Learners whose name or e-mail contains every word of the query (case and accents ignored). */
export function filterRows(rows: GradeRow[], query: string): GradeRow[] {
  const fold = (s: string) => s.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return rows;
  return rows.filter((r) => {
    const text = fold(`${r.name} ${r.email}`);
    return words.every((w) => text.includes(w));
  });
}

export interface Position {
  row: number;
  col: number;
}

/**
 * Where a key moves the focus in a grid of `rows` x `cols` cells (row 0 is the header row): arrows one
 * step, Home/End to the row's ends (with Ctrl, the grid's), PageUp/PageDown by `page` rows. Null for
 * keys the grid leaves alone.
 */
export function moveFocus(at: Position, key: string, ctrl: boolean, rows: number, cols: number, page = 10): Position | null {
  const clamp = (row: number, col: number) => ({ row: Math.max(0, Math.min(rows - 1, row)), col: Math.max(0, Math.min(cols - 1, col)) });
  switch (key) {
    case "ArrowUp":
      return clamp(at.row - 1, at.col);
    case "ArrowDown":
      return clamp(at.row + 1, at.col);
    case "ArrowLeft":
      return clamp(at.row, at.col - 1);
    case "ArrowRight":
      return clamp(at.row, at.col + 1);
    case "Home":
      return ctrl ? clamp(0, 0) : clamp(at.row, 0);
    case "End":
      return ctrl ? clamp(rows - 1, cols - 1) : clamp(at.row, cols - 1);
    case "PageUp":
      return clamp(at.row - page, at.col);
    case "PageDown":
      return clamp(at.row + page, at.col);
    default:
      return null;
  }
}
