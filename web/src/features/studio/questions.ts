/**
 * A question as the studio's form holds it, and what it becomes: the bank item to create (display body
 * and answer key, the key's own hints and per-distractor feedback) and the learner's view of it for
 * the live preview (the ids a learner answers with, never the key).
 */
import type { Schemas } from "@/api/client";

export const QUESTION_KINDS = ["multiple_choice", "multiple_response", "numeric", "short_text", "ordering", "matching"] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

export interface ChoiceDraft {
  text: string;
  feedback: string;
  correct: boolean;
}

export interface QuestionDraft {
  kind: QuestionKind;
  stem: string;
  choices: ChoiceDraft[];
  value: string;
  tolerance: string;
  unit: string;
  accepted: string;
  wrong: string;
  items: string;
  pairs: string;
  distractors: string;
  hints: string;
}

export function emptyQuestion(kind: QuestionKind = "multiple_choice"): QuestionDraft {
  return {
    kind,
    stem: "",
    choices: [
      { text: "", feedback: "", correct: true },
      { text: "", feedback: "", correct: false },
    ],
    value: "",
    tolerance: "",
    unit: "",
    accepted: "",
    wrong: "",
    items: "",
    pairs: "",
    distractors: "",
    hints: "",
  };
}

export function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/** "left = right" lines as pairs (the first " = " splits). */
function pairsOf(text: string): [string, string][] {
  return lines(text)
    .map((line) => {
      const at = line.indexOf("=");
      return at < 0 ? null : ([line.slice(0, at).trim(), line.slice(at + 1).trim()] as [string, string]);
    })
    .filter((p): p is [string, string] => p !== null && Boolean(p[0]) && Boolean(p[1]));
}

const letter = (i: number) => String.fromCharCode(97 + (i % 26)) + (i >= 26 ? String(Math.floor(i / 26)) : "");

export interface Built {
  body: Record<string, unknown>;
  key: Record<string, unknown>;
  options: Record<string, unknown>;
}

/** The item's display body, answer key and learner options from the form. */
export function build(q: QuestionDraft): Built {
  const hints = lines(q.hints);
  switch (q.kind) {
    case "multiple_choice":
    case "multiple_response": {
      const filled = q.choices.filter((c) => c.text.trim());
      const ids = filled.map((_, i) => letter(i));
      const choices = filled.map((c, i) => (c.feedback.trim() ? { id: ids[i], feedback: c.feedback.trim() } : { id: ids[i] }));
      const correct = ids.filter((_, i) => filled[i].correct);
      return {
        body: { choices: Object.fromEntries(filled.map((c, i) => [ids[i], c.text.trim()])) },
        key: { kind: q.kind, choices, correct: q.kind === "multiple_choice" ? (correct[0] ?? "") : correct, hints },
        options: { choices: ids },
      };
    }
    case "numeric":
      return {
        body: { unit: q.unit.trim() },
        key: { kind: "numeric", value: Number(q.value.replace(",", ".")), tolerance: Number(q.tolerance.replace(",", ".") || 0), hints },
        options: {},
      };
    case "short_text":
      return {
        body: {},
        key: { kind: "short_text", accepted: lines(q.accepted), wrong_answers: Object.fromEntries(pairsOf(q.wrong)), hints },
        options: {},
      };
    case "ordering": {
      const entries = lines(q.items);
      const ids = entries.map((_, i) => letter(i));
      return {
        body: { items: Object.fromEntries(entries.map((text, i) => [ids[i], text])) },
        key: { kind: "ordering", order: ids, hints },
        options: { items: [...ids].sort() },
      };
    }
    case "matching": {
      const pairs = pairsOf(q.pairs);
      const ids = pairs.map((_, i) => `p${i + 1}`);
      const distractors = lines(q.distractors);
      const options = [...new Set([...pairs.map((p) => p[1]), ...distractors])].sort();
      return {
        body: { prompts: Object.fromEntries(pairs.map((p, i) => [ids[i], p[0]])) },
        key: { kind: "matching", pairs: Object.fromEntries(pairs.map((p, i) => [ids[i], p[1]])), distractors, hints },
        options: { prompts: ids, options },
      };
    }
  }
}

/** The item as a learner would receive it, for the preview. */
export function asLearnerItem(q: QuestionDraft): Schemas["ItemForLearner"] {
  const built = build(q);
  return { id: 0, kind: q.kind, stem: q.stem || "…", body: built.body, options: built.options } as Schemas["ItemForLearner"];
}
