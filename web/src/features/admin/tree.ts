/** The org-unit tree's shape, from the flat list the API gives. */
export interface UnitLike {
  id: number;
  parent_id: number | null;
  name: string;
}

/** Children by parent id; the roots (under `null`) are the units whose parent the person cannot see. */
export function childrenOf<U extends UnitLike>(units: U[]): Map<number | null, U[]> {
  const ids = new Set(units.map((u) => u.id));
  const out = new Map<number | null, U[]>();
  for (const unit of units) {
    const parent = unit.parent_id !== null && ids.has(unit.parent_id) ? unit.parent_id : null;
    out.set(parent, [...(out.get(parent) ?? []), unit]);
  }
  for (const list of out.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  return out;
}

/** A unit and every unit below it: where it may not be moved. */
export function descendants<U extends UnitLike>(tree: Map<number | null, U[]>, id: number): Set<number> {
  const out = new Set<number>([id]);
  const walk = (parent: number) =>
    (tree.get(parent) ?? []).forEach((child) => {
      out.add(child.id);
      walk(child.id);
    });
  walk(id);
  return out;
}
