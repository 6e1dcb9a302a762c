"""Learners the Router has never seen start from their Feast online features, not from nothing.

After a restart, or for a learner whose history reached the platform before serving ran (the
LRS → stream → Feast path), the ``kt_v1`` FeatureService holds per skill the attempts, correct
answers, mean response time and last attempt. The Router replays them once into its learner state
(wrong answers first, then right ones: the order is not in the features) so the registered KT
model scores them; from then on events keep the state current.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pathwise.logs import get_logger
from serving.state import HISTORY, State

SERVICE = "kt_v1"
#: (skill, correct, seconds, at) of one reconstructed answer
Answer = tuple[str, bool, float, datetime | None]


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(number) else number


class FeastSeed:
    """Reads ``kt_v1`` for one learner x the course's skills from the online store under ``home``."""

    def __init__(self, home: str) -> None:
        from features.config import FeatureSettings
        from features.store import open_repo

        self.repo = open_repo(FeatureSettings(home=Path(home)))

    def answers(self, learner_id: str, skills: list[str]) -> list[Answer]:
        """(skill, correct, seconds, at) per reconstructed answer, at most ``HISTORY`` in all."""
        return self.answers_of([learner_id], skills).get(learner_id, [])

    def answers_of(self, learner_ids: list[str], skills: list[str]) -> dict[str, list[Answer]]:
        """:meth:`answers` for several learners in one online read (a backlog brings many unseen at once)."""
        if not skills or not learner_ids:
            return {}
        rows = [{"learner_id": learner, "skill_id": skill} for learner in learner_ids for skill in skills]
        practised: dict[str, list[list[Answer]]] = {}
        for row in self.repo.online(SERVICE, rows).to_dict(orient="records"):
            attempts = int(_number(row.get("attempts")))
            if attempts <= 0:
                continue
            right = min(attempts, int(_number(row.get("corrects"))))
            seconds = _number(row.get("mean_response_time_s"))
            last = row.get("last_attempt_at")
            at = last.to_pydatetime() if hasattr(last, "to_pydatetime") else last
            if isinstance(at, int | float) and not math.isnan(at):
                at = datetime.fromtimestamp(at, UTC)
            at = at if isinstance(at, datetime) else None
            answers = [(str(row["skill_id"]), False, seconds, at)] * (attempts - right)
            answers += [(str(row["skill_id"]), True, seconds, at)] * right
            practised.setdefault(str(row["learner_id"]), []).append(answers)
        # the history budget goes to the skills the learner practised, newest answers of each
        return {
            learner: [answer for answers in per_skill for answer in answers[-max(1, HISTORY // len(per_skill)) :]]
            for learner, per_skill in practised.items()
        }

    def seed(self, state: State, learner_id: str, skills: list[str]) -> datetime | None:
        """Replay one learner's history into ``state``; returns when that history ends (None: none known)."""
        return self.seed_many(state, [learner_id], skills).get(learner_id)

    def seed_many(self, state: State, learner_ids: list[str], skills: list[str]) -> dict[str, datetime | None]:
        """Replay the learners' histories into ``state``; returns when each history ends (None: none known).

        Every learner is marked seeded either way (also when Feast cannot be read, which is logged), so a
        learner Feast knows nothing of is asked once and an unreachable store never stalls the loop.
        """
        try:
            histories = self.answers_of(learner_ids, skills)
        except Exception as error:  # the online store may be empty or unreachable: start from nothing
            get_logger(__name__).warning("feast_seed_failed", learners=len(learner_ids), error=repr(error))
            histories = {}
        ends: dict[str, datetime | None] = {}
        for learner_id in learner_ids:
            answers = histories.get(learner_id, [])
            for skill, correct, seconds, at in answers:
                state.record(learner_id, skill, f"features:{skill}", correct, seconds, at)
            stamps = [at for *_, at in answers if at is not None]
            ends[learner_id] = max(stamps) if stamps else None
            state.seed_history(learner_id, ends[learner_id])
        return ends
