import { describe, expect, it } from "vitest";
import type { GradeBook } from "./api";
import { codeReport, filterRows, gradeTable, modelView, moveFocus, parsePercent } from "./shaping";

describe("the grader's report", () => {
  it("reads an essay's rubric points, scale and confidence", () => {
    const view = modelView({ rubric_score: 3, max_score: 4, confidence: 0.42, scored_by: "cross-prompt" }, 0.75);
    expect(view).toEqual({ points: 3, max: 4, score: 0.75, confidence: 0.42, scoredBy: "cross-prompt" });
  });

  it("reads a code report's score and its tests and sandbox events", () => {
    const report = {
      status: "graded",
      score: 0.5,
      points: 1,
      points_possible: 2,
      tests: [{ suite: "visible", name: "test_halves", status: "failed", cases_passed: 0, cases_total: 1, points: 0, weight: 1, feedback: "off by one" }],
      events: [{ kind: "network", suite: "visible", test: null, detail: "connect refused" }],
    };
    expect(modelView(report).score).toBe(0.5);
    const { tests, events } = codeReport(report);
    expect(tests[0]).toMatchObject({ name: "test_halves", status: "failed", casesTotal: 1, feedback: "off by one" });
    expect(events).toEqual([{ kind: "network", suite: "visible", test: null, detail: "connect refused" }]);
  });

  it("has nothing to say about a report without a score", () => {
    expect(modelView({}, null)).toMatchObject({ score: null, confidence: null });
    expect(codeReport(undefined)).toEqual({ status: null, tests: [], events: [] });
  });
});

describe("a typed score", () => {
  it("takes a percentage with a point or a comma, and refuses anything else", () => {
    expect(parsePercent("80")).toBe(0.8);
    expect(parsePercent("72,5 %")).toBe(0.725);
    expect(parsePercent("100")).toBe(1);
    for (const bad of ["", "101", "-1", "abc", "1e2"]) expect(parsePercent(bad)).toBeNull();
  });
});

const BOOK = {
  course_id: 1,
  assignments: [{ id: 7, title: "Essay" }],
  tests: [{ id: 9, title: "Final", grade_policy: "highest", max_attempts: null }],
  rows: [
    { user_id: 1, email: "ana@x", display_name: "Ana Núñez", cells: { "7": { score: 0.5, attempts: 1, pending: 0 } }, tests: {}, mean: 0.25 },
    { user_id: 2, email: "bo@x", display_name: "Bo", cells: {}, tests: { "9": { score: null, attempts: 1, pending: 1 } }, mean: null },
  ],
} as unknown as GradeBook;

describe("the grade book", () => {
  it("lays out assignments then tests, an empty cell where a learner has nothing", () => {
    const { columns, rows } = gradeTable(BOOK);
    expect(columns.map((c) => c.key)).toEqual(["a7", "t9"]);
    expect(rows[0].cells).toEqual([{ score: 0.5, attempts: 1, pending: 0 }, { score: null, attempts: 0, pending: 0 }]);
    expect(rows[1].cells[1]).toEqual({ score: null, attempts: 1, pending: 1 });
  });

  it("finds learners by every word of a query, ignoring case and accents", () => {
    const { rows } = gradeTable(BOOK);
    expect(filterRows(rows, "nunez").map((r) => r.userId)).toEqual([1]);
    expect(filterRows(rows, "BO@").map((r) => r.userId)).toEqual([2]);
    expect(filterRows(rows, "  ")).toHaveLength(2);
  });

  it("moves the focus by arrows, row ends and pages, never out of the grid", () => {
    expect(moveFocus({ row: 0, col: 0 }, "ArrowUp", false, 5, 4)).toEqual({ row: 0, col: 0 });
    expect(moveFocus({ row: 1, col: 1 }, "ArrowRight", false, 5, 4)).toEqual({ row: 1, col: 2 });
    expect(moveFocus({ row: 1, col: 1 }, "End", false, 5, 4)).toEqual({ row: 1, col: 3 });
    expect(moveFocus({ row: 1, col: 1 }, "End", true, 5, 4)).toEqual({ row: 4, col: 3 });
    expect(moveFocus({ row: 1, col: 1 }, "PageDown", false, 5, 4)).toEqual({ row: 4, col: 1 });
    expect(moveFocus({ row: 1, col: 1 }, "a", false, 5, 4)).toBeNull();
  });
});
