import { describe, expect, it } from "vitest";
import { errorSpan, fromChecked, toSource, type Builder } from "./model";

const builder: Builder = {
  join: "and",
  conditions: [
    { key: 1, fn: "mastery", skill: "Algebra", op: ">=", value: "80", unit: "%" },
    { key: 2, fn: "time_on_task", skill: "", op: "<", value: "30", unit: "min" },
  ],
  actions: [
    { key: 3, verb: "recommend", target: "Practice Set B" },
    { key: 4, verb: "block", target: 'The "hard" one' },
  ],
};

describe("rule builder model", () => {
  it("writes the DSL the server parses", () => {
    expect(toSource(builder)).toBe(
      `if mastery("Algebra") >= 80% and time_on_task() < 30 min then recommend "Practice Set B", block 'The "hard" one'`,
    );
  });

  it("reads a flat parsed rule back into rows, turning a reversed comparison around", () => {
    const back = fromChecked({
      source: "",
      description: "",
      condition: {
        kind: "or",
        operands: [
          {
            kind: "comparison",
            op: ">=",
            left: { kind: "call", function: "mastery", args: ["Algebra"], skill_ids: ["7"] },
            right: { kind: "quantity", number: 80, unit: "%", args: [], skill_ids: [] },
            operands: [],
          },
          {
            kind: "comparison",
            op: "<",
            left: { kind: "quantity", number: 3, unit: null, args: [], skill_ids: [] },
            right: { kind: "call", function: "streak", args: [], skill_ids: [] },
            operands: [],
          },
        ],
      },
      actions: [{ verb: "block", target: "Quiz", activity_id: "5" }],
    });
    expect(back?.join).toBe("or");
    expect(back?.conditions.map((c) => [c.fn, c.skill, c.op, c.value, c.unit])).toEqual([
      ["mastery", "Algebra", ">=", "80", "%"],
      ["streak", "", ">", "3", ""],
    ]);
    expect(back?.actions.map((a) => [a.verb, a.target])).toEqual([["block", "Quiz"]]);
  });

  it("leaves a rule with not or nesting to the text editor", () => {
    const nested = fromChecked({
      source: "",
      description: "",
      condition: { kind: "not", operands: [] },
      actions: [],
    });
    expect(nested).toBeNull();
  });

  it("marks the word at the error's column", () => {
    expect(errorSpan('if mastery("A") >= 80%\nthen recommnd "B"', 2, 6)).toEqual({
      before: "then ",
      at: "recommnd",
      after: ' "B"',
    });
    expect(errorSpan("if x", 1, 5)).toEqual({ before: "if x", at: " ", after: "" });
  });
});
