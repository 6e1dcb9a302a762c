"""Online learner state kept in the Router replica (the embedded default), updated on every event.

Each learner keeps a bounded, ordered history in the tidy KT shape (``user_id, skill_id,
item_id, correct, seq``) plus practice time and last activity; the model reads the history,
rules read :class:`serving.rules.LearnerState`. A Redis-backed store with the same methods is
the production switch (not written yet).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from serving.rules import LearnerState

HISTORY = 200
MAX_LEARNERS = 100_000


@dataclass
class _Learner:
    rows: deque[tuple[str, str, int, int]] = field(default_factory=lambda: deque(maxlen=HISTORY))
    seconds: dict[str, float] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    streak: dict[str, int] = field(default_factory=dict)
    overall_streak: int = 0
    seq: int = 0
    last_at: datetime | None = None
    served: dict[str, tuple[str, float]] = field(default_factory=dict)  # skill → (variant, p_correct)


class StateStore:
    """Bounded in-memory state per learner (least recently active learners are evicted first)."""

    def __init__(self, max_learners: int = MAX_LEARNERS) -> None:
        self._learners: OrderedDict[str, _Learner] = OrderedDict()
        self._max = max_learners

    def knows(self, learner_id: str) -> bool:
        return learner_id in self._learners

    def record(
        self, learner_id: str, skill: str, item: str, correct: bool, seconds: float, at: datetime | None = None
    ) -> tuple[str, float] | None:
        """Add one answer; return the (variant, prediction) served for that skill, for online AUC."""
        learner = self._learners.pop(learner_id, None) or _Learner()
        self._learners[learner_id] = learner
        while len(self._learners) > self._max:
            self._learners.popitem(last=False)
        learner.seq += 1
        learner.rows.append((skill, item, int(correct), learner.seq))
        learner.seconds[skill] = learner.seconds.get(skill, 0.0) + max(0.0, seconds)
        learner.attempts[skill] = learner.attempts.get(skill, 0) + 1
        learner.streak[skill] = learner.streak.get(skill, 0) + 1 if correct else 0
        learner.overall_streak = learner.overall_streak + 1 if correct else 0
        learner.last_at = at or datetime.now(UTC)
        return learner.served.pop(skill, None)

    def remember_served(self, learner_id: str, variant: str, predictions: dict[str, float]) -> None:
        learner = self._learners.get(learner_id)
        if learner is not None:
            learner.served.update({skill: (variant, p) for skill, p in predictions.items()})

    def history(self, learner_id: str, probe_skills: list[str]) -> pd.DataFrame:
        """The learner's history followed by one probe row per skill: the model's next-answer
        probability on a probe is the current mastery estimate for that skill."""
        learner = self._learners.get(learner_id) or _Learner()
        rows = [(learner_id, skill, item, correct, seq) for skill, item, correct, seq in learner.rows]
        rows += [(learner_id, skill, f"probe:{skill}", 0, learner.seq + 1 + i) for i, skill in enumerate(probe_skills)]
        return pd.DataFrame(rows, columns=["user_id", "skill_id", "item_id", "correct", "seq"])

    def rules_state(self, learner_id: str, mastery: dict[str, float]) -> LearnerState:
        learner = self._learners.get(learner_id) or _Learner()
        return LearnerState(
            learner_id=learner_id,
            mastery=mastery,
            time_on_task_s=dict(learner.seconds),
            attempts=dict(learner.attempts),
            streak=dict(learner.streak),
            overall_streak=learner.overall_streak,
            last_activity_at=learner.last_at,
        )

    def fallback_mastery(self, learner_id: str, skills: list[str]) -> dict[str, float]:
        """Rule-based estimate when no model answers: smoothed share correct, (right + 1) / (n + 2)."""
        learner = self._learners.get(learner_id) or _Learner()
        out: dict[str, float] = {}
        for skill in skills:
            answers = [correct for s, _, correct, _ in learner.rows if s == skill]
            out[skill] = (sum(answers) + 1) / (len(answers) + 2)
        return out
