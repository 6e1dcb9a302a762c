"""The cohort proficiency heatmap: learners x skills of a course, from the ``cells`` and ``answers`` marts.

A cell is the learner's proficiency on the skill: the mean score of their last
:data:`analytics.store.RECENT` answers on it (recent work says more about today than a whole history;
ten answers keep one slip from swinging it), with the number of answers it rests on. The trend is the
cohort's weekly mean score per skill over the ``weeks`` weeks up to ``until`` (by default the newest
answer in the selection, so a course's history reads the same whenever it is opened).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from analytics.store import AnalyticsStore

_CELLS = "SELECT learner_id, skill_id, proficiency, answers, newest FROM cells WHERE course_id = ? {learners}"

_TREND = """
SELECT skill_id, CAST(date_trunc('week', ts) AS DATE) AS week, avg(score) AS mean
FROM answers
WHERE course_id = ? AND score IS NOT NULL AND skill_id IS NOT NULL AND ts >= ? AND ts < ? {learners}
GROUP BY skill_id, week
"""


@dataclass(frozen=True)
class Heatmap:
    learners: list[str]
    skills: list[str]
    #: ``proficiency[i][j]`` for learner i and skill j; None where the learner has no answer on the skill.
    proficiency: list[list[float | None]]
    answers: list[list[int]]
    weeks: list[date]
    #: The cohort's weekly mean score per skill, one value per week (None: no answer that week).
    trend: dict[str, list[float | None]]


def heatmap(
    store: AnalyticsStore,
    course_id: int,
    *,
    learners: Sequence[int] | None = None,
    weeks: int = 8,
    until: datetime | None = None,
) -> Heatmap:
    """The course's heatmap; ``learners`` narrows it (a cohort's members), None keeps everyone with answers."""
    empty = Heatmap([], [], [], [], [], {})
    if not store.path.exists():
        return empty
    only = "" if learners is None else "AND learner_id IN (SELECT unnest(?))"
    narrowed: list[object] = [] if learners is None else [[str(n) for n in learners]]
    with store.connect() as db:
        # whole columns: 100,000 cells as numpy arrays, not 100,000 Python rows with a time zone each
        cells = db.execute(_CELLS.format(learners=only), [str(course_id), *narrowed]).fetchnumpy()
        if len(cells["learner_id"]) == 0:
            return empty
        if until is None:
            [(until,)] = db.execute(
                f"SELECT max(newest) FROM cells WHERE course_id = ? {only}", [str(course_id), *narrowed]
            ).fetchall()
        assert until is not None
        last_week = (until - timedelta(days=until.weekday())).date()  # Monday of until's week
        starts = [last_week - timedelta(weeks=weeks - 1 - n) for n in range(weeks)]
        window = [datetime.combine(starts[0], datetime.min.time(), until.tzinfo), until + timedelta(microseconds=1)]
        means = db.execute(_TREND.format(learners=only), [str(course_id), *window, *narrowed]).fetchall()
    learner_ids = sorted(set(cells["learner_id"].tolist()), key=_numeric_first)
    skill_ids = sorted(set(cells["skill_id"].tolist()), key=_numeric_first)
    rows = _positions(learner_ids, cells["learner_id"])
    columns = _positions(skill_ids, cells["skill_id"])
    values = np.full((len(learner_ids), len(skill_ids)), np.nan)
    counts = np.zeros((len(learner_ids), len(skill_ids)), dtype=np.int64)
    values[rows, columns] = np.ma.filled(np.ma.asarray(cells["proficiency"], dtype=float), np.nan).round(4)
    counts[rows, columns] = np.asarray(cells["answers"], dtype=np.int64)
    shown = values.astype(object)
    shown[np.isnan(values)] = None  # no answer on the skill: JSON null, not NaN
    proficiency = shown.tolist()
    week_index = {week: n for n, week in enumerate(starts)}
    trend: dict[str, list[float | None]] = {skill: [None] * weeks for skill in skill_ids}
    for skill, week, mean in means:
        if str(skill) in trend and week in week_index:
            trend[str(skill)][week_index[week]] = round(float(mean), 4)
    return Heatmap(learner_ids, skill_ids, proficiency, counts.tolist(), starts, trend)


def _positions(ordered: list[str], values: np.ndarray) -> np.ndarray:
    """Each value's index in ``ordered`` (every value is in it)."""
    index = {ident: n for n, ident in enumerate(ordered)}
    return np.fromiter((index[v] for v in values.tolist()), dtype=np.int64, count=len(values))


def _numeric_first(ident: str) -> tuple[int, int | str]:
    return (0, int(ident)) if ident.isdigit() else (1, ident)
