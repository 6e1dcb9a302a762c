from __future__ import annotations

import pandas as pd

from models.prerequisites import derive_prerequisites


def _history(orders: list[list[str]]) -> pd.DataFrame:
    rows = [{"user_id": str(u), "skill_id": s, "seq": i} for u, order in enumerate(orders) for i, s in enumerate(order)]
    return pd.DataFrame(rows)


def test_skill_met_first_by_nearly_everyone_becomes_prerequisite() -> None:
    orders = [["add", "mul", "pow"]] * 18 + [["mul", "add", "pow"]] * 2
    edges = derive_prerequisites(_history(orders), min_support=15, min_ratio=0.8)
    assert ("add", "mul") in edges
    assert ("mul", "add") not in edges
    # One prerequisite per skill: the most consistently earlier one.
    assert sum(1 for _, b in edges if b == "pow") == 1


def test_no_edge_without_support_or_consistency() -> None:
    assert derive_prerequisites(_history([["a", "b"]] * 10), min_support=15) == []
    assert derive_prerequisites(_history([["a", "b"]] * 10 + [["b", "a"]] * 10), min_support=15) == []


def test_result_has_no_cycles() -> None:
    orders = [["a", "b", "c"]] * 20 + [["c", "a", "b"]] * 4
    edges = derive_prerequisites(_history(orders), min_support=15, min_ratio=0.6)
    parent = {b: a for a, b in edges}
    for start in parent:
        node, seen = start, set()
        while node in parent:
            assert node not in seen
            seen.add(node)
            node = parent[node]
