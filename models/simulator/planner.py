"""Belief-space planning on the tutor's KT estimate: which activity earns a skill's badge soonest.

For one skill the tutor's state is a single number, its estimate ``m`` of P(mastered), and the
activity table (:mod:`models.simulator.activities`) says how every activity moves it: an
answered activity by the Bayes posterior of a right or wrong answer (with the item's own guess
and slip) and then the learning step, a lesson by the learning step alone. A badge is earned
when the estimate reaches the mastery threshold right after an answer. Value iteration over a
grid of ``m`` gives, per skill, the expected number of activities to its badge and the activity
that minimises it. This is a dynamic program over one variable, small enough to solve exactly
in a tenth of a second per skill, so it is written here rather than taken from a POMDP library.

The plan sees what the tutor sees (calibrated parameters, the estimate, the mask), never the
learner's hidden state. It ignores engagement and forgetting: the sequencer's PPO policy
starts from its advice (:func:`advice_vector`, part of the observation) and learns the rest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from models.simulator.activities import EFFECTS, N_ACTIVITIES, Activity, encode_action

#: The activities the plan chooses among. Review and peer tasks depend on spacing and cool-downs
#: that a one-skill plan cannot see; in the estimate, review moves like medium practice anyway.
PLANNED: tuple[Activity, ...] = (
    Activity.PRACTICE_EASY,
    Activity.PRACTICE_MEDIUM,
    Activity.PRACTICE_HARD,
    Activity.REMEDIAL,
    Activity.CHALLENGE,
)
#: What to offer, in order, when the planned activity is not open (the course lacks it).
FALLBACK: tuple[Activity, ...] = (Activity.PRACTICE_MEDIUM, Activity.PRACTICE_HARD, Activity.PRACTICE_EASY)
GRID_POINTS = 2001
PLAN_FILE = "planner.json"


def topological_order(prereq: np.ndarray) -> list[int]:
    """Skills with prerequisites first, ties in curriculum (data) order. ``prereq[b, a]``: a before b."""
    remaining = set(range(len(prereq)))
    order: list[int] = []
    while remaining:
        ready = [s for s in sorted(remaining) if not any(prereq[s, p] for p in remaining)]
        if not ready:
            raise ValueError("prerequisite graph has a cycle")
        order.append(ready[0])
        remaining.remove(ready[0])
    return order


@lru_cache(maxsize=256)
def solve_skill(
    learn: float, guess: float, slip: float, threshold: float, challenge_min: float
) -> tuple[np.ndarray, np.ndarray]:
    """Expected activities to the badge on the grid, and the index in :data:`PLANNED` of the best activity."""
    grid = np.linspace(0.0, 1.0, GRID_POINTS)
    values = np.zeros_like(grid)
    for _ in range(2000):
        q = np.stack([_one_step(values, grid, kind, learn, guess, slip, threshold) for kind in PLANNED])
        q[PLANNED.index(Activity.CHALLENGE), grid < challenge_min] = np.inf
        new = q.min(axis=0)
        converged = float(np.max(np.abs(new - values))) < 1e-9
        values = new
        if converged:
            break
    values.setflags(write=False)
    choice = q.argmin(axis=0)
    choice.setflags(write=False)
    return values, choice


def _one_step(
    values: np.ndarray, grid: np.ndarray, kind: Activity, learn: float, guess: float, slip: float, threshold: float
) -> np.ndarray:
    effect = EFFECTS[kind]
    rate = min(1.0, learn * effect.learn_factor)
    if not effect.answered:
        return 1.0 + np.interp(grid + (1 - grid) * rate, grid, values)
    g, s = effect.item_guess(guess), effect.item_slip(slip)
    p_right = grid * (1 - s) + (1 - grid) * g
    after = []
    for posterior in (grid * (1 - s) / np.maximum(p_right, 1e-12), grid * s / np.maximum(1 - p_right, 1e-12)):
        moved = posterior + (1 - posterior) * rate
        after.append(np.where(moved >= threshold, 0.0, np.interp(moved, grid, values)))
    return 1.0 + p_right * after[0] + (1 - p_right) * after[1]


@dataclass(frozen=True)
class PlanSpec:
    """What the plan is built from: the tutor's parameters per skill and the course's order and thresholds."""

    learn: tuple[float, ...]
    guess: tuple[float, ...]
    slip: tuple[float, ...]
    order: tuple[int, ...]
    mastery_threshold: float
    challenge_min_mastery: float

    def save(self, directory: Path) -> Path:
        path = Path(directory) / PLAN_FILE
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: Path) -> PlanSpec | None:
        """The spec saved next to a policy, or None for a policy trained without one."""
        path = Path(directory) / PLAN_FILE
        if not path.is_file():
            return None
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        return cls(**fields)


class BeliefPlanner:
    """Per skill, the activity that minimises the expected activities to its badge at the current estimate."""

    def __init__(self, spec: PlanSpec) -> None:
        if not len(spec.learn) == len(spec.guess) == len(spec.slip) == len(spec.order):
            raise ValueError("plan spec: learn, guess, slip and order must cover the same skills")
        self.spec = spec
        self.n_skills = len(spec.order)
        self.tables = [
            solve_skill(rate, g, s, spec.mastery_threshold, spec.challenge_min_mastery)
            for rate, g, s in zip(spec.learn, spec.guess, spec.slip, strict=True)
        ]

    def _at(self, mastery: float) -> int:
        return round(min(1.0, max(0.0, float(mastery))) * (GRID_POINTS - 1))

    def expected_activities(self, skill: int, mastery: float) -> float:
        return float(self.tables[skill][0][self._at(mastery)])

    def activity(self, skill: int, mastery: float) -> Activity:
        return PLANNED[int(self.tables[skill][1][self._at(mastery)])]

    def action(
        self, mastery: Sequence[float] | np.ndarray, badges: Sequence[bool] | np.ndarray, mask: np.ndarray
    ) -> int:
        """The plan's next action: the first skill without a badge (prerequisite order) that has an open activity.

        Returns -1 when no skill qualifies (every skill has its badge, or nothing is open).
        """
        open_ = np.asarray(mask).reshape(self.n_skills, N_ACTIVITIES) > 0
        for skill in self.spec.order:
            if badges[skill]:
                continue
            for kind in (self.activity(skill, mastery[skill]), *FALLBACK):
                if open_[skill, kind]:
                    return encode_action(skill, kind)
        return -1


def advice_vector(
    planner: BeliefPlanner, mastery: Sequence[float] | np.ndarray, badges: Sequence[bool] | np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """One-hot of the plan's next action over the action space (all zeros when it has none)."""
    out = np.zeros(planner.n_skills * N_ACTIVITIES, dtype=np.float32)
    action = planner.action(mastery, badges, mask)
    if action >= 0:
        out[action] = 1.0
    return out
