"""How several attempts at one summative test make its grade: the highest, the latest or the average."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

GradePolicy = Literal["highest", "latest", "average"]
GRADE_POLICIES: tuple[str, ...] = get_args(GradePolicy)


def combine(policy: str, scores: Sequence[float]) -> float | None:
    """The grade from the released scores of the attempts, oldest first (``None`` when there are none)."""
    if not scores:
        return None
    if policy == "latest":
        return scores[-1]
    if policy == "average":
        return round(sum(scores) / len(scores), 6)
    if policy == "highest":
        return max(scores)
    raise ValueError(f"unknown grade policy {policy!r}")


def attempts_phrase(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"
