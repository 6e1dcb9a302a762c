import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { LineChart } from "./LineChart";

describe("line chart", () => {
  const series = [
    { key: "a", label: "Champion", points: [{ x: 1000, y: 0.1 }, { x: 2000, y: 0.2 }] },
    { key: "b", label: "Challenger", dashed: true, points: [{ x: 2000, y: null }, { x: 3000, y: 0.4 }] },
  ];

  it("is a named image with one path per series and the same numbers in a table", () => {
    render(
      <LineChart
        title="Error rate"
        series={series}
        threshold={0.3}
        thresholdLabel="gate"
        format={(v) => `${Math.round(v * 100)}%`}
        formatX={(x) => `t${x / 1000}`}
        tableLabel="Show the numbers as a table"
        xLabel="Time"
      />,
    );
    const image = screen.getByRole("img", { name: "Error rate" });
    expect(image.querySelectorAll("path")).toHaveLength(2);
    expect(image.querySelector("path[stroke-dasharray]")).not.toBeNull();
    const table = screen.getByRole("table", { name: "Error rate", hidden: true });
    const rows = within(table).getAllByRole("row", { hidden: true }).map((r) => r.textContent);
    expect(rows).toEqual(["TimeChampionChallenger", "t110%–", "t220%–", "t3–40%"]);
  });
});
