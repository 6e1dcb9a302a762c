import type { AnswerRow } from "@/offline/db";
import { currentItem, itemStates, moved, startingOrder, toAnswer, type Item, type Sitting } from "./logic";

const item = (id: number, kind: string, body: Record<string, unknown> = {}, options: Record<string, unknown> = {}): Item => ({
  id,
  kind,
  stem: `Q${id}`,
  body,
  options,
});
const items = [item(1, "multiple_choice"), item(2, "numeric"), item(3, "short_text")];
const sitting = (next: number | null, status = "open"): Sitting =>
  ({ id: 7, items, next_item: next === null ? null : items.find((i) => i.id === next), status, results: null }) as unknown as Sitting;
const row = (itemId: number, state: AnswerRow["state"], result: Record<string, unknown> | null = null, at = 1): AnswerRow => ({
  changeId: `${itemId}-${at}`,
  userId: 1,
  sittingId: 7,
  itemId,
  answer: {},
  answeredAt: at,
  state,
  result,
  problem: null,
});

describe("the answer each kind sends", () => {
  it("builds the API's answer, and nothing while incomplete", () => {
    expect(toAnswer(item(1, "multiple_choice"), {})).toBeNull();
    expect(toAnswer(item(1, "multiple_choice"), { choice: "b" })).toEqual({ choice: "b" });
    expect(toAnswer(item(1, "multiple_response"), { choices: [] })).toBeNull();
    expect(toAnswer(item(1, "numeric"), { text: " 0,42 " })).toEqual({ value: "0,42" });
    expect(toAnswer(item(1, "short_text"), { text: "denominator" })).toEqual({ text: "denominator" });
    expect(toAnswer(item(1, "ordering"), { order: ["b", "a"] })).toEqual({ order: ["b", "a"] });
    const matching = item(1, "matching", {}, { prompts: ["p1", "p2"], options: ["1/2", "2/3", "2/8"] });
    expect(toAnswer(matching, { pairs: { p1: "1/2" } })).toBeNull();
    expect(toAnswer(matching, { pairs: { p1: "1/2", p2: "2/3" } })).toEqual({ pairs: { p1: "1/2", p2: "2/3" } });
  });

  it("never starts an ordering item in sorted order (the API lists it sorted), and the same on every reload", () => {
    const first = startingOrder(["a", "b", "c", "d"], "7:5");
    expect(first).not.toEqual(["a", "b", "c", "d"]);
    expect([...first].sort()).toEqual(["a", "b", "c", "d"]);
    expect(startingOrder(["a", "b", "c", "d"], "7:5")).toEqual(first);
    expect(moved(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(moved(["a", "b", "c"], 0, -1)).toEqual(["a", "b", "c"]);
  });
});

describe("which item comes next", () => {
  it("starts at the server's next item and skips answers waiting on the device", () => {
    expect(currentItem(sitting(2), [])?.id).toBe(2);
    expect(currentItem(sitting(1), [row(1, "queued")])?.id).toBe(2);
    expect(currentItem(sitting(1), [row(1, "queued"), row(2, "queued"), row(3, "queued")])).toBeNull();
  });

  it("offers a wrongly answered item again while tries are left", () => {
    expect(currentItem(sitting(1), [row(1, "graded", { correct: false, tries_left: 2 })])?.id).toBe(1);
    expect(currentItem(sitting(1), [row(1, "graded", { correct: false, tries_left: 0 })])?.id).toBe(2);
    expect(currentItem(sitting(1), [row(1, "graded", { correct: true, tries_left: 0 })])?.id).toBe(2);
  });

  it("is nothing once the sitting is finished", () => {
    expect(currentItem(sitting(null, "finished"), [])).toBeNull();
  });

  it("sums up each item: graded, waiting, answered earlier or not answered", () => {
    const states = itemStates(sitting(2), [row(2, "graded", { correct: false, score: 0.5, feedback: ["Close."], tries_left: 0 }), row(3, "queued")]);
    expect(states.get(1)).toEqual({ kind: "earlier" });
    expect(states.get(2)).toMatchObject({ kind: "graded", score: 0.5, correct: false, feedback: ["Close."] });
    expect(states.get(3)).toEqual({ kind: "queued" });
  });
});
