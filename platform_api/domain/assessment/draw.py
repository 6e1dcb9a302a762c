"""Randomized drawdowns: n items per (skill, difficulty band), seeded per learner and attempt.

The seed is a hash of (assessment, learner, attempt), so a resumed sitting keeps its items,
two learners usually get different ones, and a retake is drawn afresh (the sitting service
keeps items of earlier forms out of a retake when the bank has enough others).
Candidates are sorted by id before sampling, so the draw does not depend on the order
the database returns rows in.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from platform_api.domain.assessment.bank import band_of

SEED_BITS = 31


class BlueprintRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skill_id: int = Field(ge=1, le=2**31 - 1)
    band: str = Field("any", pattern="^(any|easy|medium|hard)$", description="difficulty band, or any")
    count: int = Field(ge=1, le=100)


@dataclass(frozen=True)
class Candidate:
    item_id: int
    skill_id: int | None
    difficulty: float | None


class BlueprintShortfall(ValueError):
    """The bank holds too few items for some blueprint rows; ``short`` lists each one."""

    def __init__(self, short: list[dict[str, object]]) -> None:
        parts = [
            f"skill {s['skill_id']} band {s['band']}: need {s['needed']}, bank has {s['available']}" for s in short
        ]
        super().__init__("the bank cannot satisfy the blueprint: " + "; ".join(parts))
        self.short = short


def learner_seed(assessment_id: int, user_id: int, attempt: int = 1) -> int:
    """A stable 31-bit seed for one learner's ``attempt`` (1, 2, ...) at one assessment."""
    key = f"pathwise-draw:{assessment_id}:{user_id}" + (f":{attempt}" if attempt > 1 else "")
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % (2**SEED_BITS)


def _matches(candidate: Candidate, row: BlueprintRow) -> bool:
    return candidate.skill_id == row.skill_id and (row.band == "any" or band_of(candidate.difficulty) == row.band)


def draw(blueprint: Sequence[BlueprintRow], candidates: Sequence[Candidate], seed: int) -> list[int]:
    """Item ids for one learner: each row's count, no item twice, rows in blueprint order.

    Rows are filled in order and an item taken by an earlier row is not offered to a later
    one, so overlapping rows (``any`` next to ``easy`` for one skill) are counted honestly.
    Raises :class:`BlueprintShortfall` listing every row that cannot be filled.
    """
    rng = random.Random(seed)
    pool = sorted(candidates, key=lambda c: c.item_id)
    taken: set[int] = set()
    chosen: list[int] = []
    short: list[dict[str, object]] = []
    for row in blueprint:
        eligible = [c.item_id for c in pool if c.item_id not in taken and _matches(c, row)]
        if len(eligible) < row.count:
            short.append({"skill_id": row.skill_id, "band": row.band, "needed": row.count, "available": len(eligible)})
            continue
        picked = rng.sample(eligible, row.count)
        taken.update(picked)
        chosen.extend(picked)
    if short:
        raise BlueprintShortfall(short)
    return chosen
