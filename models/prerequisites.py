"""Prerequisite edges between skills, estimated from the order in which learners meet them."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd


def derive_prerequisites(sample: pd.DataFrame, min_support: int = 15, min_ratio: float = 0.8) -> list[tuple[str, str]]:
    """Estimate a prerequisite edge per skill from the order in which learners meet skills.

    ASSISTments ships no prerequisite graph. For each skill we keep the single skill that
    learners met first in at least ``min_ratio`` of ``min_support`` or more shared
    histories. A 0.8 ratio rules out two-cycles; longer cycles are skipped explicitly.
    """
    firsts = sample.groupby(["user_id", "skill_id"])["seq"].min().reset_index()
    order = {u: dict(zip(g["skill_id"], g["seq"], strict=True)) for u, g in firsts.groupby("user_id")}
    before: dict[tuple[str, str], int] = defaultdict(int)
    together: dict[tuple[str, str], int] = defaultdict(int)
    for seen in order.values():
        skills = list(seen)
        for a in skills:
            for b in skills:
                if a < b:
                    together[(a, b)] += 1
                    before[(a, b) if seen[a] < seen[b] else (b, a)] += 1
    best: dict[str, tuple[float, str]] = {}
    for (a, b), count in together.items():
        for first, second in ((a, b), (b, a)):
            ratio = before[(first, second)] / count
            if count >= min_support and ratio >= min_ratio and ratio > best.get(second, (0.0, ""))[0]:
                best[second] = (ratio, first)
    edges: list[tuple[str, str]] = []
    parent: dict[str, str] = {}
    for skill, (_, prereq) in sorted(best.items()):
        node, cyclic = prereq, False
        while node in parent:
            node = parent[node]
            if node == skill:
                cyclic = True
                break
        if not cyclic:
            parent[skill] = prereq
            edges.append((prereq, skill))
    return edges
