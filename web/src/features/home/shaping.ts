/**
 * The home page's data shaping, kept apart from React so it is tested alone: the mastery heatmap's
 * buckets, the time-usage days, badge and deadline wording, and the carousel's pages.
 */

/** Five mastery levels, low to high; each has a --heat-N colour and a text label (colour never alone). */
export type HeatLevel = 0 | 1 | 2 | 3 | 4;
export const HEAT_LEVELS: HeatLevel[] = [0, 1, 2, 3, 4];

/** Upper bounds of levels 0..3; 0.8 is the sequencer's "mastered" threshold, so level 4 means mastered. */
export const HEAT_BOUNDS = [0.2, 0.4, 0.6, 0.8] as const;

export function heatLevel(mastery: number): HeatLevel {
  const m = Number.isFinite(mastery) ? Math.min(1, Math.max(0, mastery)) : 0;
  const index = HEAT_BOUNDS.findIndex((bound) => m < bound);
  return (index === -1 ? 4 : index) as HeatLevel;
}

export interface MasteryEntry {
  id: string;
  name: string;
  /** Probability the skill is mastered (0..1); null when there is no estimate yet. */
  mastery: number | null;
  /** The competency the skill belongs to; skills without one are grouped under "". */
  group?: string | null;
}

export interface HeatCell {
  id: string;
  name: string;
  mastery: number | null;
  level: HeatLevel | null;
}

export interface HeatRow {
  group: string;
  cells: HeatCell[];
}

/** One row per competency (in first-seen order), its skills by name; unknown estimates keep no level. */
export function heatmap(entries: MasteryEntry[]): HeatRow[] {
  const rows = new Map<string, HeatCell[]>();
  for (const e of entries) {
    const group = e.group ?? "";
    const cells = rows.get(group) ?? [];
    const known = e.mastery !== null && Number.isFinite(e.mastery);
    cells.push({ id: e.id, name: e.name, mastery: known ? e.mastery : null, level: known ? heatLevel(e.mastery as number) : null });
    rows.set(group, cells);
  }
  return [...rows].map(([group, cells]) => ({ group, cells: cells.sort((a, b) => a.name.localeCompare(b.name)) }));
}

/** How many skills sit at each level: the legend's counts. */
export function levelCounts(rows: HeatRow[]): Record<HeatLevel, number> {
  const counts: Record<HeatLevel, number> = { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0 };
  for (const cell of rows.flatMap((r) => r.cells)) if (cell.level !== null) counts[cell.level] += 1;
  return counts;
}

/**
 * Seconds in an xAPI (ISO 8601) duration such as "PT1H2M3.5S"; null when it is not one.
 * A regular expression is enough for the subset xAPI uses, so no date library is pulled in for it.
 */
export function durationSeconds(iso: string): number | null {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso);
  if (!m || iso === "P" || iso.endsWith("T")) return null;
  const [d, h, min, s] = m.slice(1).map((x) => (x ? Number(x) : 0));
  return ((d * 24 + h) * 60 + min) * 60 + s;
}

/** A local calendar day as YYYY-MM-DD (the learner's days, not UTC's). */
export function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export interface TimeEntry {
  /** When the time was spent: a timestamp, or a day (YYYY-MM-DD, taken as that local day). */
  at: string;
  seconds: number;
}

export interface DayMinutes {
  day: string;
  date: Date;
  minutes: number;
}

function parseDay(at: string): Date | null {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(at);
  const date = day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : new Date(at);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Minutes per local day for the `days` days ending `today`, oldest first, days without activity as 0;
 * time outside the window, negative or unreadable is left out.
 */
export function dailyMinutes(entries: TimeEntry[], today: Date, days = 14): DayMinutes[] {
  const window: DayMinutes[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const date = new Date(today.getFullYear(), today.getMonth(), today.getDate() - i);
    window.push({ day: localDay(date), date, minutes: 0 });
  }
  const byDay = new Map(window.map((d) => [d.day, d]));
  for (const e of entries) {
    const date = parseDay(e.at);
    if (!date || !Number.isFinite(e.seconds) || e.seconds <= 0) continue;
    const slot = byDay.get(localDay(date));
    if (slot) slot.minutes += e.seconds / 60;
  }
  for (const d of window) d.minutes = Math.round(d.minutes * 10) / 10;
  return window;
}

export function totalMinutes(days: DayMinutes[]): number {
  return Math.round(days.reduce((sum, d) => sum + d.minutes, 0));
}

export interface BadgeLike {
  name: string;
  earnedAt?: string | null;
}

/** A badge's words: its name and when it was earned, so a badge never depends on its icon or colour. */
export function badgeText(
  badge: BadgeLike,
  format: { earned: (values: { name: string; date: string }) => string; undated: (values: { name: string }) => string },
  formatDate: (date: Date) => string,
): string {
  const date = badge.earnedAt ? new Date(badge.earnedAt) : null;
  if (!date || Number.isNaN(date.getTime())) return format.undated({ name: badge.name });
  return format.earned({ name: badge.name, date: formatDate(date) });
}

/** Whole days from `now` to `due` by the calendar (today is 0, tomorrow 1), not by 24-hour blocks. */
export function daysUntil(due: Date, now: Date): number {
  const start = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  const end = Date.UTC(due.getFullYear(), due.getMonth(), due.getDate());
  return Math.round((end - start) / 86_400_000);
}

/**
 * Deadlines still open, soonest due first: one counts until it closes (`closesAt`, the hard cutoff,
 * when there is one) or, without a cutoff, until the end of the day it is due.
 */
export function upcoming<T extends { dueAt: string; closesAt?: string | null }>(deadlines: T[], now: Date, limit = 10): T[] {
  const open = (d: T) => {
    const due = new Date(d.dueAt);
    if (Number.isNaN(due.getTime())) return false;
    const closes = d.closesAt ? new Date(d.closesAt) : null;
    if (closes && !Number.isNaN(closes.getTime())) return closes >= now;
    return due >= now || daysUntil(due, now) === 0;
  };
  return deadlines
    .filter(open)
    .sort((a, b) => new Date(a.dueAt).getTime() - new Date(b.dueAt).getTime())
    .slice(0, limit);
}

/** The carousel's pages: how many, which one is shown (clamped), and what it holds. */
export function pageCount(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, perPage)));
}

export function clampPage(page: number, total: number, perPage: number): number {
  return Math.min(Math.max(0, page), pageCount(total, perPage) - 1);
}

export interface Page<T> {
  items: T[];
  page: number;
  pages: number;
  /** 1-based positions of the first and last shown, for "3–4 of 5". */
  first: number;
  last: number;
  hasPrevious: boolean;
  hasNext: boolean;
}

export function pageOf<T>(items: T[], page: number, perPage: number): Page<T> {
  const size = Math.max(1, perPage);
  const current = clampPage(page, items.length, size);
  const start = current * size;
  const shown = items.slice(start, start + size);
  return {
    items: shown,
    page: current,
    pages: pageCount(items.length, size),
    first: shown.length ? start + 1 : 0,
    last: start + shown.length,
    hasPrevious: current > 0,
    hasNext: start + size < items.length,
  };
}

/** Cards per carousel page for a width: as many as fit at `minCard` px each, between 1 and `max`. */
export function perPageFor(width: number, minCard = 260, max = 3): number {
  return Math.min(max, Math.max(1, Math.floor(width / minCard)));
}

/** The page after moving `delta` pages, wrapping at both ends (so the buttons never disable under focus). */
export function step(page: number, delta: number, pages: number): number {
  const n = Math.max(1, pages);
  return (((page + delta) % n) + n) % n;
}
