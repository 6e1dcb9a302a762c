import { act, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { IntlProvider } from "react-intl";
import { describe, expect, it } from "vitest";
import en from "@/i18n/messages/en.json";
import { SkillPicker } from "./SkillPicker";

const skills = [
  { id: 1, code: "71", name: "Addition and Subtraction Fractions" },
  { id: 2, code: "72", name: "Multiplication Fractions" },
] as never[];

function Harness() {
  const [chosen, setChosen] = useState<number[]>([]);
  return <SkillPicker skills={skills} chosen={chosen} onChange={setChosen} />;
}

describe("skill picker", () => {
  it("collects several picked skills as removable tags", async () => {
    render(
      <IntlProvider locale="en" messages={en as Record<string, string>}>
        <Harness />
      </IntlProvider>,
    );
    const search = screen.getByRole("combobox", { name: "Add a skill" });
    await act(async () => {
      search.focus();
      fireEvent.change(search, { target: { value: "Addition" } });
    });
    const option = await screen.findByRole("option", { name: /Addition and Subtraction/ });
    await act(async () => {
      fireEvent.click(option);
    });
    // the list stays open for the next pick, the search is emptied and the picked skill is marked
    expect((search as HTMLInputElement).value).toBe("");
    expect(screen.getByRole("option", { name: /Addition and Subtraction/ }).getAttribute("aria-selected")).toBe("true");
    await act(async () => {
      fireEvent.click(screen.getByRole("option", { name: /Multiplication/ }));
    });
    await act(async () => {
      fireEvent.keyDown(search, { key: "Escape" });
    });
    // closed, the chosen skills are tags a screen reader reaches (the open list hides the rest of the page)
    expect(screen.queryByRole("listbox")).toBeNull();
    const tags = screen.getAllByRole("row").map((row) => row.getAttribute("aria-label"));
    expect(tags).toEqual(["Addition and Subtraction Fractions", "Multiplication Fractions"]);
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: /^Remove Multiplication Fractions/ }));
    });
    expect(screen.getAllByRole("row").map((row) => row.getAttribute("aria-label"))).toEqual(["Addition and Subtraction Fractions"]);
  });
});
