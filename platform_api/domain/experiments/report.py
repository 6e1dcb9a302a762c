"""Per-variant outcomes of an A/B experiment, from its exposures and what learners did afterwards.

The unit is the learner (assignment is sticky), measured from their first exposure:

- ``next_attempt_correct``: whether the first answer after exposure was correct;
- ``mastery_per_hour``: gain in mastery (smoothed share correct, averaged over the skills
  practised after exposure) per hour of practice after exposure; learners with under a
  minute of practice are left out of this metric;
- ``completion``: an enrollment marked completed;
- ``dropoff``: an enrollment marked dropped, or no answer for ``idle_days`` while not completed.

Every variant gets an always-valid interval per metric and every other variant is compared
with the control (``champion`` when present) by :mod:`platform_api.domain.experiments.sequential`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_api.domain.attempts.models import Attempt
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.experiments.models import ExperimentExposure
from platform_api.domain.experiments.sequential import ALPHA, EFFECT, compare, mean_interval
from platform_api.domain.items.models import Item

METRICS = ("next_attempt_correct", "mastery_per_hour", "completion", "dropoff")
MIN_PRACTICE_H = 1 / 60


class UnknownExperiment(LookupError):
    pass


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class LearnerAnswers:
    """One learner's answers in order: (time, skill id, correct, seconds)."""

    rows: list[tuple[datetime, int | None, bool, float]]

    def outcomes(self, exposed: datetime, statuses: set[str], now: datetime, idle_days: float) -> dict[str, float]:
        after = [row for row in self.rows if row[0] >= exposed]
        out: dict[str, float] = {}
        if after:
            out["next_attempt_correct"] = float(after[0][2])
        hours = sum(row[3] for row in after) / 3600
        skills = {row[1] for row in after}
        if hours >= MIN_PRACTICE_H and skills:
            gains = [self._mastery(skill, now) - self._mastery(skill, exposed) for skill in skills]
            out["mastery_per_hour"] = sum(gains) / len(gains) / hours
        if statuses:
            out["completion"] = float("completed" in statuses)
        last = max((row[0] for row in after), default=exposed)
        idle = now - last > timedelta(days=idle_days)
        out["dropoff"] = float("dropped" in statuses or (idle and "completed" not in statuses))
        return out

    def _mastery(self, skill: int | None, until: datetime) -> float:
        answers = [row[2] for row in self.rows if row[1] == skill and row[0] < until]
        return (sum(answers) + 1) / (len(answers) + 2)


def learner_outcomes(
    session: Session, experiment: str, *, now: datetime | None = None, idle_days: float = 7.0
) -> dict[str, list[dict[str, float]]]:
    """Variant → one outcome dict per exposed learner (metrics a learner has no data for are absent)."""
    now = now or datetime.now(UTC)
    exposures = session.execute(
        select(ExperimentExposure.learner_id, ExperimentExposure.variant, ExperimentExposure.exposed_at).where(
            ExperimentExposure.experiment == experiment
        )
    ).all()
    if not exposures:
        raise UnknownExperiment(f"no exposures recorded for experiment {experiment!r}")
    users = sorted({int(e.learner_id) for e in exposures if e.learner_id.isdigit() and int(e.learner_id) < 2**31})
    answers: dict[int, LearnerAnswers] = defaultdict(lambda: LearnerAnswers([]))
    for user_id, at, skill_id, correct, duration_ms in session.execute(
        select(Attempt.user_id, Attempt.submitted_at, Item.skill_id, Attempt.correct, Attempt.duration_ms)
        .join(Item, Item.id == Attempt.item_id)
        .where(Attempt.user_id.in_(users))
        .order_by(Attempt.user_id, Attempt.submitted_at, Attempt.id)
    ):
        answers[user_id].rows.append((_aware(at), skill_id, bool(correct), (duration_ms or 0) / 1000))
    statuses: dict[int, set[str]] = defaultdict(set)
    for user_id, status in session.execute(
        select(Enrollment.user_id, Enrollment.status).where(Enrollment.user_id.in_(users))
    ):
        statuses[user_id].add(status)
    out: dict[str, list[dict[str, float]]] = defaultdict(list)
    for learner_id, variant, exposed_at in exposures:
        uid = int(learner_id) if learner_id.isdigit() else -1
        out[variant].append(answers[uid].outcomes(_aware(exposed_at), statuses[uid], now, idle_days))
    return dict(out)


def build_report(
    session: Session,
    experiment: str,
    *,
    control: str | None = None,
    alpha: float = ALPHA,
    effect: float = EFFECT,
    now: datetime | None = None,
    idle_days: float = 7.0,
) -> dict[str, Any]:
    """The whole report as plain data (the CLI prints it as a table or JSON)."""
    outcomes = learner_outcomes(session, experiment, now=now, idle_days=idle_days)
    variants = sorted(outcomes)
    control = control or ("champion" if "champion" in outcomes else variants[0])
    if control not in outcomes:
        raise UnknownExperiment(f"variant {control!r} has no exposures in {experiment!r}; have {variants}")

    def values(variant: str, metric: str) -> list[float]:
        return [row[metric] for row in outcomes[variant] if metric in row]

    return {
        "experiment": experiment,
        "alpha": alpha,
        "control": control,
        "method": "normal-mixture confidence sequences (mSPRT): valid at every look",
        "variants": {
            v: {
                "learners": len(outcomes[v]),
                **{m: mean_interval(values(v, m), alpha=alpha, effect=effect).to_dict() for m in METRICS},
            }
            for v in variants
        },
        "comparisons": {
            v: {m: compare(values(control, m), values(v, m), alpha=alpha, effect=effect).to_dict() for m in METRICS}
            for v in variants
            if v != control
        },
    }
