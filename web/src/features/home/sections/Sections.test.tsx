import { fireEvent, render, screen, within } from "@testing-library/react";
import type { ReactNode } from "react";
import { IntlProvider } from "react-intl";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { messagesFor } from "@/i18n/catalog";
import { MasteryView } from "./Mastery";
import { ProgressSummary } from "./Progress";

const wrap = (node: ReactNode) =>
  render(
    <IntlProvider locale="en" messages={messagesFor("en")} timeZone="UTC">
      {node}
    </IntlProvider>,
  );

describe("mastery by competency", () => {
  const skills: Schemas["SkillMastery"][] = [
    { skill_id: 2, name: "Fractions", mastery: 0.93 },
    { skill_id: 1, name: "Decimals", mastery: 0.12 },
  ];

  it("writes each cell's skill, percentage and level, and switches to a table", async () => {
    wrap(<MasteryView skills={skills} />);
    const cells = within(screen.getByRole("list", { name: "Mastery heatmap" })).getAllByRole("listitem");
    expect(cells.map((c) => c.textContent)).toEqual(["Decimals12% · Beginning", "Fractions93% · Strong"]);
    expect(cells.map((c) => c.getAttribute("data-level"))).toEqual(["0", "4"]);
    expect(within(screen.getByRole("list", { name: "Mastery levels" })).getAllByRole("listitem")).toHaveLength(5);
    fireEvent.click(screen.getByRole("radio", { name: "Table" }));
    const table = await screen.findByRole("grid", { name: "Mastery by skill" });
    // react-aria's table draws its frame first and its rows on a later tick (seen empty on a busy machine)
    expect(await within(table).findByText("Fractions")).toBeTruthy();
    expect(within(table).getByText("93%")).toBeTruthy();
    expect(screen.queryByRole("list", { name: "Mastery heatmap" })).toBeNull();
  });
});

describe("progress summary", () => {
  it("counts objectives and says in words which badges are earned and when", () => {
    const summary: Schemas["ProgressSummary"] = {
      activities_completed: 4,
      skills_mastered: [{ skill_id: 2, name: "Fractions " }],
      mastered_source: "attempts",
      badges: [
        { code: "first_answer", name: "First answer", description: "x", earned: true, earned_at: "2025-12-03T10:00:00Z" },
        { code: "streak_5", name: "Five-day streak", description: "y", earned: false, earned_at: null },
        { code: "new_badge", name: "Brand new", description: "Not in our catalogue yet.", earned: true, earned_at: null },
      ],
    };
    wrap(<ProgressSummary summary={summary} course={null} />);
    expect(screen.getByText("Mastered, going by the latest answers: Fractions.")).toBeTruthy();
    expect(screen.getByText("2 of 3")).toBeTruthy();
    expect(screen.getByText("First answer: earned Dec 3, 2025")).toBeTruthy();
    expect(screen.getByText("Five-day streak: not earned yet")).toBeTruthy();
    expect(screen.getByText("Brand new: earned")).toBeTruthy();
    expect(screen.getByText("Not in our catalogue yet.")).toBeTruthy();
  });
});
