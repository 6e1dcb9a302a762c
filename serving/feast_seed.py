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

    def answers(self, learner_id: str, skills: list[str]) -> list[tuple[str, bool, float, datetime | None]]:
        """(skill, correct, seconds, at) per reconstructed answer, at most ``HISTORY`` in all."""
        if not skills:
            return []
        frame = self.repo.online(SERVICE, [{"learner_id": learner_id, "skill_id": skill} for skill in skills])
        per_skill = max(1, HISTORY // len(skills))
        out: list[tuple[str, bool, float, datetime | None]] = []
        for row in frame.to_dict(orient="records"):
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
            out += answers[-per_skill:]
        return out

    def seed(self, state: State, learner_id: str, skills: list[str]) -> datetime | None:
        """Replay the learner's history into ``state``; returns when that history ends (None: none known).

        The learner is marked seeded either way (also when Feast cannot be read, which is logged), so a
        learner Feast knows nothing of is asked once and an unreachable store never stalls the loop.
        """
        try:
            answers = self.answers(learner_id, skills)
        except Exception as error:  # the online store may be empty or unreachable: start from nothing
            get_logger(__name__).warning("feast_seed_failed", learner_id=learner_id, error=repr(error))
            answers = []
        for skill, correct, seconds, at in answers:
            state.record(learner_id, skill, f"features:{skill}", correct, seconds, at)
        ends = [at for *_, at in answers if at is not None]
        until = max(ends) if ends else None
        state.seed_history(learner_id, until)
        return until
