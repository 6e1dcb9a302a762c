import { describe, expect, it } from "vitest";
import { childrenOf, descendants } from "./tree";

const units = [
  { id: 1, parent_id: null, name: "District" },
  { id: 4, parent_id: 1, name: "West High" },
  { id: 2, parent_id: 1, name: "East High" },
  { id: 3, parent_id: 2, name: "Maths" },
  { id: 9, parent_id: 7, name: "Orphan seen alone" },
];

describe("the org-unit tree", () => {
  it("hangs each unit under its parent, sorted by name, with unseen parents as roots", () => {
    const tree = childrenOf(units);
    expect(tree.get(null)?.map((u) => u.id)).toEqual([1, 9]);
    expect(tree.get(1)?.map((u) => u.name)).toEqual(["East High", "West High"]);
    expect(tree.get(2)?.map((u) => u.id)).toEqual([3]);
  });

  it("names a unit's subtree, where it may not move", () => {
    const tree = childrenOf(units);
    expect([...descendants(tree, 1)].sort()).toEqual([1, 2, 3, 4]);
    expect([...descendants(tree, 2)].sort()).toEqual([2, 3]);
    expect([...descendants(tree, 3)]).toEqual([3]);
  });
});
