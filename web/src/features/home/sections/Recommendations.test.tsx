import { fireEvent, render, screen, within } from "@testing-library/react";
import { IntlProvider } from "react-intl";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { messagesFor } from "@/i18n/catalog";
import type { Load } from "@/lib/useLoad";
import { RecommendationsSection } from "./Recommendations";

type Answer = Schemas["RecommendationsOut"];
const TYPES = ["remedial", "practice", "challenge", "review", "peer-collaboration"] as const;

function answer(count: number): Answer {
  const items = Array.from({ length: count }, (_, i) => ({
    activity_id: String(i + 1),
    title: `Activity ${i + 1}`,
    type: TYPES[i % TYPES.length],
    reason: i === 0 ? "Your teacher asks for this first" : `Reason ${i + 1}`,
    skill: "3",
    skill_name: "Fractions",
    mastery: 0.42,
    source: i === 0 ? "rule:7" : "model",
  }));
  return { learner_id: "5", course: "1", items, mastery: {}, model_versions: {}, variant: {} };
}

function show(state: Load<Answer>, readOnly = false, locale: "en" | "es" = "en") {
  return render(
    <IntlProvider locale={locale} messages={messagesFor(locale)}>
      <MemoryRouter>
        <RecommendationsSection state={state} readOnly={readOnly} />
      </MemoryRouter>
    </IntlProvider>,
  );
}

describe("recommendations carousel", () => {
  it("shows a page of cards with type, reason and a link, and pages with wrapping buttons", () => {
    show({ status: "ok", data: answer(5) });
    const region = screen.getByRole("region", { name: "Recommended next activities" });
    const list = within(region).getByRole("list", { name: "Recommendations" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(3);
    expect(within(list).getByRole("link", { name: "Activity 1" }).getAttribute("href")).toBe("/learn/1");
    expect(within(list).getByText("Remedial")).toBeTruthy();
    expect(within(list).getByText("Your teacher asks for this first")).toBeTruthy();
    expect(screen.getByRole("status").textContent).toBe("Showing 1–3 of 5");
    fireEvent.click(screen.getByRole("button", { name: "Next recommendations" }));
    expect(screen.getByRole("status").textContent).toBe("Showing 4–5 of 5");
    expect(within(list).getByText("Peer collaboration")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Next recommendations" }));
    expect(screen.getByRole("status").textContent).toBe("Showing 1–3 of 5");
    fireEvent.click(screen.getByRole("button", { name: "Previous recommendations" }));
    expect(screen.getByRole("status").textContent).toBe("Showing 4–5 of 5");
  });

  it("has no paging buttons when everything fits, and no links for a read-only reader", () => {
    show({ status: "ok", data: answer(2) }, true);
    expect(screen.queryByRole("button")).toBeNull();
    expect(screen.queryByRole("link")).toBeNull();
    expect(screen.getByText("Activity 2")).toBeTruthy();
  });

  it("translates the types", () => {
    show({ status: "ok", data: answer(3) }, false, "es");
    expect(screen.getByText("Refuerzo")).toBeTruthy();
    expect(screen.getByText("Desafío")).toBeTruthy();
  });

  it("says what failed with the problem's own sentence, and treats a course with nothing to rank as empty", () => {
    const { unmount } = show({ status: "error", error: "Recommendations are unavailable right now (ConnectError).", code: 503 });
    expect(screen.getByRole("status").textContent).toContain("Recommendations could not be loaded.");
    expect(screen.getByRole("status").textContent).toContain("(ConnectError)");
    unmount();
    show({ status: "error", error: "course 2 has no activities to recommend yet", code: 404 });
    expect(screen.getByText("This course has no activities to recommend yet.")).toBeTruthy();
    expect(screen.queryByRole("status")).toBeNull();
  });

  it("says so when there is nothing to recommend, and is busy while loading", () => {
    const { unmount } = show({ status: "ok", data: answer(0) });
    expect(screen.getByText(/Nothing to recommend right now/)).toBeTruthy();
    unmount();
    show({ status: "loading" });
    expect(screen.getByText("Loading…").getAttribute("aria-busy")).toBe("true");
  });
});
