import { describe, expect, it } from "vitest";
import {
  badgeText,
  dailyMinutes,
  daysUntil,
  durationSeconds,
  heatLevel,
  heatmap,
  levelCounts,
  pageOf,
  perPageFor,
  step,
  totalMinutes,
  upcoming,
} from "./shaping";

describe("mastery heatmap", () => {
  it("buckets mastery into five levels, 0.8 and above being mastered", () => {
    expect([0, 0.19, 0.2, 0.39, 0.4, 0.59, 0.6, 0.79, 0.8, 1].map(heatLevel)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it("clamps values outside 0..1 and treats NaN as the lowest level", () => {
    expect([-0.5, 1.7, Number.NaN].map(heatLevel)).toEqual([0, 4, 0]);
  });

  it("groups skills by competency in first-seen order, sorted by name, unknown estimates without a level", () => {
    const rows = heatmap([
      { id: "2", name: "Subtraction", mastery: 0.5, group: "Arithmetic" },
      { id: "9", name: "Angles", mastery: null, group: "Geometry" },
      { id: "1", name: "Addition", mastery: 0.91, group: "Arithmetic" },
      { id: "5", name: "Loose", mastery: 0.1 },
    ]);
    expect(rows.map((r) => r.group)).toEqual(["Arithmetic", "Geometry", ""]);
    expect(rows[0].cells.map((c) => [c.name, c.level])).toEqual([
      ["Addition", 4],
      ["Subtraction", 2],
    ]);
    expect(rows[1].cells[0]).toMatchObject({ mastery: null, level: null });
    expect(levelCounts(rows)).toEqual({ 0: 1, 1: 0, 2: 1, 3: 0, 4: 1 });
  });
});

describe("time usage", () => {
  const today = new Date(2025, 11, 14, 18, 30); // 14 December, local time

  it("reads xAPI durations", () => {
    expect(durationSeconds("PT1H2M3.5S")).toBe(3723.5);
    expect(durationSeconds("PT45S")).toBe(45);
    expect(durationSeconds("P1DT1M")).toBe(86_460);
    for (const bad of ["", "P", "PT", "1H", "PT1X", "-PT1S"]) expect(durationSeconds(bad), bad).toBeNull();
  });

  it("sums minutes per local day over the last 14 days, zero-filled, oldest first", () => {
    const days = dailyMinutes(
      [
        { at: new Date(2025, 11, 14, 9).toISOString(), seconds: 600 },
        { at: new Date(2025, 11, 14, 20).toISOString(), seconds: 330 },
        { at: "2025-12-01", seconds: 120 },
        { at: "2025-11-30", seconds: 6000 }, // a day before the window
        { at: new Date(2025, 11, 15, 1).toISOString(), seconds: 60 }, // tomorrow
        { at: "not a date", seconds: 60 },
        { at: "2025-12-10", seconds: -30 },
      ],
      today,
    );
    expect(days).toHaveLength(14);
    expect(days[0].day).toBe("2025-12-01");
    expect(days[0].minutes).toBe(2);
    expect(days[13].day).toBe("2025-12-14");
    expect(days[13].minutes).toBe(15.5);
    expect(days.slice(1, 13).every((d) => d.minutes === 0)).toBe(true);
    expect(totalMinutes(days)).toBe(18);
  });

  it("crosses month and year boundaries", () => {
    const days = dailyMinutes([], new Date(2026, 0, 3), 5);
    expect(days.map((d) => d.day)).toEqual(["2025-12-30", "2025-12-31", "2026-01-01", "2026-01-02", "2026-01-03"]);
  });
});

describe("badges and deadlines", () => {
  const words = {
    earned: ({ name, date }: { name: string; date: string }) => `${name}, earned ${date}`,
    undated: ({ name }: { name: string }) => `${name}, earned`,
  };
  const day = (d: Date) => d.toISOString().slice(0, 10);

  it("say a badge's name and when it was earned", () => {
    expect(badgeText({ name: "Fractions mastered", earnedAt: "2025-12-03T10:00:00Z" }, words, day)).toBe(
      "Fractions mastered, earned 2025-12-03",
    );
    expect(badgeText({ name: "Decimals mastered", earnedAt: null }, words, day)).toBe("Decimals mastered, earned");
    expect(badgeText({ name: "Odd", earnedAt: "yesterday" }, words, day)).toBe("Odd, earned");
  });

  it("count days by the calendar", () => {
    const now = new Date(2025, 11, 14, 23, 0);
    expect(daysUntil(new Date(2025, 11, 15, 1, 0), now)).toBe(1);
    expect(daysUntil(new Date(2025, 11, 14, 23, 30), now)).toBe(0);
    expect(daysUntil(new Date(2026, 0, 14), now)).toBe(31);
  });

  it("keep deadlines still ahead (or due earlier today), soonest first", () => {
    const now = new Date(2025, 11, 14, 12, 0);
    const list = [
      { id: 1, dueAt: new Date(2025, 11, 20).toISOString() },
      { id: 2, dueAt: new Date(2025, 11, 10).toISOString() },
      { id: 3, dueAt: new Date(2025, 11, 14, 9).toISOString() },
      { id: 4, dueAt: new Date(2025, 11, 16).toISOString() },
      { id: 5, dueAt: "never" },
    ];
    expect(upcoming(list, now).map((d) => d.id)).toEqual([3, 4, 1]);
    expect(upcoming(list, now, 1).map((d) => d.id)).toEqual([3]);
  });

  it("keep a past due date while its cutoff is still ahead, and drop one whose cutoff passed", () => {
    const now = new Date(2025, 11, 14, 12, 0);
    const list = [
      { id: 1, dueAt: new Date(2025, 11, 12).toISOString(), closesAt: new Date(2025, 11, 15).toISOString() },
      { id: 2, dueAt: new Date(2025, 11, 14, 9).toISOString(), closesAt: new Date(2025, 11, 14, 10).toISOString() },
      { id: 3, dueAt: new Date(2025, 11, 18).toISOString(), closesAt: null },
    ];
    expect(upcoming(list, now).map((d) => d.id)).toEqual([1, 3]);
  });
});

describe("carousel paging", () => {
  const items = ["a", "b", "c", "d", "e"];

  it("pages through the items, with positions for the status line", () => {
    expect(pageOf(items, 0, 2)).toEqual({
      items: ["a", "b"],
      page: 0,
      pages: 3,
      first: 1,
      last: 2,
      hasPrevious: false,
      hasNext: true,
    });
    expect(pageOf(items, 2, 2)).toMatchObject({ items: ["e"], first: 5, last: 5, hasPrevious: true, hasNext: false });
  });

  it("clamps a page out of range (the list shrank, or the page size grew)", () => {
    expect(pageOf(items, 7, 2).page).toBe(2);
    expect(pageOf(items, -1, 2).page).toBe(0);
    expect(pageOf(items, 1, 5)).toMatchObject({ page: 0, hasNext: false, hasPrevious: false });
  });

  it("has one empty page for no items", () => {
    expect(pageOf([], 0, 3)).toMatchObject({ items: [], pages: 1, first: 0, last: 0, hasNext: false });
  });

  it("steps forward and back, wrapping at both ends", () => {
    expect([step(0, 1, 3), step(2, 1, 3), step(0, -1, 3), step(1, -1, 3), step(0, 1, 1)]).toEqual([1, 0, 2, 0, 0]);
  });

  it("fits cards to the width", () => {
    expect([200, 260, 600, 2000].map((w) => perPageFor(w))).toEqual([1, 1, 2, 3]);
  });
});
