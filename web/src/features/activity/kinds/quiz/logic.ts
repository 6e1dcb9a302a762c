/**
 * The quiz player's rules, apart from its drawing: what the learner's draft answer becomes for the API,
 * which item comes next given the server's sitting and the answers kept on this device, and the
 * display texts of an item's option ids. The device never grades: it has no keys.
 */
import type { Schemas } from "@/api/client";
import type { AnswerRow } from "@/offline/db";

export type Item = Schemas["ItemForLearner"];
export type Sitting = Schemas["SittingPublic"];
export type AnswerResult = Schemas["AnswerResult"];

/** What the learner has entered so far for one item, whatever its kind. */
export interface Draft {
  choice?: string;
  choices?: string[];
  text?: string;
  order?: string[];
  pairs?: Record<string, string>;
}

export const OBJECTIVE_KINDS = ["multiple_choice", "multiple_response", "numeric", "short_text", "ordering", "matching"];

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function texts(value: unknown): Record<string, string> {
  if (!value || typeof value !== "object") return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** The display text of a choice, ordering item or prompt id (the author's body), or the id itself. */
export function label(item: Item, group: "choices" | "items" | "prompts", id: string): string {
  return texts(item.body[group])[id] ?? id;
}

/** The ids to answer with: the API's options, else the body's keys. */
export function optionIds(item: Item, group: "choices" | "items" | "prompts" | "options"): string[] {
  const listed = strings(item.options?.[group]);
  return listed.length > 0 ? listed : Object.keys(texts(item.body[group]));
}

/** A small deterministic hash (FNV-1a), so a shuffle stays the same across reloads of the same item. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The ordering item's starting order. The API lists the ids sorted, which may be the answer itself, so
 * they are shuffled with a seed (the same on every reload) and never left in the sorted order.
 */
export function startingOrder(ids: string[], seed: string): string[] {
  const order = [...ids].sort((a, b) => hash(`${seed}:${a}`) - hash(`${seed}:${b}`));
  const sorted = [...ids].sort();
  if (order.length > 1 && order.every((id, i) => id === sorted[i])) order.push(order.shift() as string);
  return order;
}

/** `list` with the entry at `index` moved by `delta` places (clamped to the ends). */
export function moved<T>(list: T[], index: number, delta: number): T[] {
  const target = Math.max(0, Math.min(list.length - 1, index + delta));
  if (target === index || index < 0 || index >= list.length) return list;
  const next = [...list];
  const [entry] = next.splice(index, 1);
  next.splice(target, 0, entry);
  return next;
}

export function initialDraft(item: Item, seed: string): Draft {
  if (item.kind === "ordering") return { order: startingOrder(optionIds(item, "items"), `${seed}:${item.id}`) };
  if (item.kind === "multiple_response") return { choices: [] };
  if (item.kind === "matching") return { pairs: {} };
  return {};
}

/** The answer the API takes for this item kind, or null while the draft is incomplete. */
export function toAnswer(item: Item, draft: Draft): Record<string, unknown> | null {
  switch (item.kind) {
    case "multiple_choice":
      return draft.choice ? { choice: draft.choice } : null;
    case "multiple_response":
      return draft.choices && draft.choices.length > 0 ? { choices: draft.choices } : null;
    case "numeric":
      return draft.text?.trim() ? { value: draft.text.trim() } : null; // the server reads a decimal comma too
    case "short_text":
    case "essay":
      return draft.text?.trim() ? { text: draft.text.trim() } : null;
    case "code":
      return draft.text?.trim() ? { source: draft.text } : null;
    case "ordering":
      return draft.order && draft.order.length > 0 ? { order: draft.order } : null;
    case "matching": {
      const prompts = optionIds(item, "prompts");
      const pairs = draft.pairs ?? {};
      return prompts.length > 0 && prompts.every((p) => pairs[p]) ? { pairs: { ...pairs } } : null;
    }
    default:
      return null;
  }
}

/** The newest answer given on this device to each item of a sitting. */
export function latestAnswers(rows: AnswerRow[]): Map<number, AnswerRow> {
  const latest = new Map<number, AnswerRow>();
  for (const row of [...rows].sort((a, b) => a.answeredAt - b.answeredAt)) latest.set(row.itemId, row);
  return latest;
}

function settled(row: AnswerRow | undefined): boolean {
  if (!row) return false;
  if (row.state !== "graded") return true; // waiting to be graded, or refused: nothing to do here now
  const result = row.result as Partial<AnswerResult> | null;
  return Boolean(result?.correct) || (result?.tries_left ?? 0) <= 0;
}

/**
 * The item to work on: the first one the server still offers (its `next_item` and the ones after it)
 * that has no answer waiting on this device and is not finished with (right, or out of tries).
 */
export function currentItem(sitting: Sitting, rows: AnswerRow[]): Item | null {
  if (sitting.status !== "open" || !sitting.next_item) return null;
  const start = Math.max(0, sitting.items.findIndex((item) => item.id === sitting.next_item?.id));
  const latest = latestAnswers(rows);
  return sitting.items.slice(start).find((item) => !settled(latest.get(item.id))) ?? null;
}

export type ItemState =
  | { kind: "unanswered" }
  | { kind: "earlier" }
  | { kind: "queued" }
  | { kind: "rejected"; problem: string | null }
  | { kind: "graded"; score: number | null; correct: boolean | null; feedback: string[]; pendingReview: boolean };

/** How each item of the sitting stands, for the summary: graded, waiting to be graded, or not answered. */
export function itemStates(sitting: Sitting, rows: AnswerRow[]): Map<number, ItemState> {
  const latest = latestAnswers(rows);
  const start = sitting.next_item ? sitting.items.findIndex((item) => item.id === sitting.next_item?.id) : sitting.items.length;
  const states = new Map<number, ItemState>();
  sitting.items.forEach((item, index) => {
    const row = latest.get(item.id);
    const outcome = sitting.results?.find((r) => r.item_id === item.id);
    if (outcome && outcome.status !== "unanswered") {
      const pendingReview = outcome.status === "pending_review";
      states.set(item.id, { kind: "graded", score: outcome.score, correct: outcome.correct, feedback: outcome.feedback ?? [], pendingReview });
    } else if (row?.state === "queued") states.set(item.id, { kind: "queued" });
    else if (row?.state === "rejected") states.set(item.id, { kind: "rejected", problem: row.problem });
    else if (row?.state === "graded") {
      const result = (row.result ?? {}) as Partial<AnswerResult>;
      states.set(item.id, {
        kind: "graded",
        score: result.score ?? null,
        correct: result.correct ?? null,
        feedback: result.feedback ?? [],
        pendingReview: result.status === "pending_review",
      });
    } else states.set(item.id, index < start ? { kind: "earlier" } : { kind: "unanswered" });
  });
  return states;
}
