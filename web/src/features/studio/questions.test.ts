import { describe, expect, it } from "vitest";
import { build, emptyQuestion } from "./questions";

describe("studio questions", () => {
  it("builds a multiple-choice key with distractor feedback and hints", () => {
    const q = {
      ...emptyQuestion(),
      stem: "1/2 + 1/4?",
      choices: [
        { text: "2/6", feedback: "Find a common denominator.", correct: false },
        { text: "3/4", feedback: "", correct: true },
        { text: "", feedback: "", correct: false },
      ],
      hints: "Quarters\n\n",
    };
    const built = build(q);
    expect(built.body).toEqual({ choices: { a: "2/6", b: "3/4" } });
    expect(built.key).toEqual({
      kind: "multiple_choice",
      choices: [{ id: "a", feedback: "Find a common denominator." }, { id: "b" }],
      correct: "b",
      hints: ["Quarters"],
    });
  });

  it("builds matching prompts, options and distractors", () => {
    const built = build({ ...emptyQuestion("matching"), pairs: "1/4 + 1/4 = 1/2\n1/3 + 1/3 = 2/3", distractors: "2/8" });
    expect(built.key).toMatchObject({ pairs: { p1: "1/2", p2: "2/3" }, distractors: ["2/8"] });
    expect(built.options).toEqual({ prompts: ["p1", "p2"], options: ["1/2", "2/3", "2/8"] });
  });
});
