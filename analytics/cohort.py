"""The cohort proficiency heatmap: learners x skills of a course, from the ``answers`` mart.

A cell is the learner's proficiency on the skill: the mean score of their last :data:`RECENT` answers
on it (recent work says more about today than a whole history; ten answers keep one slip from
swinging it), with the number of answers it rests on. The trend is the cohort's weekly mean score per
skill over the ``weeks`` weeks up to ``until`` (by default the newest answer in the selection, so a
course's history reads the same whenever it is opened).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from analytics.store import AnalyticsStore

#: How many of a learner's latest answers on a skill make their proficiency.
RECENT = 10

_CELLS = """
WITH picked AS (
    SELECT learner_id, skill_id, score, ts FROM answers
    WHERE course_id = ? AND score IS NOT NULL AND skill_id IS NOT NULL {learners}
), recent AS (
    SELECT learner_id, skill_id, score,
           row_number() OVER (PARTITION BY learner_id, skill_id ORDER BY ts DESC) AS recency
    FROM picked
)
SELECT learner_id, skill_id, avg(score) FILTER (WHERE recency <= ?) AS proficiency, count(*) AS answers
FROM recent GROUP BY learner_id, skill_id
"""

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
        rows = db.execute(_CELLS.format(learners=only), [str(course_id), *narrowed, RECENT]).fetchall()
        if not rows:
            return empty
        if until is None:
            [(until,)] = db.execute(
                f"SELECT max(ts) FROM answers WHERE course_id = ? AND score IS NOT NULL {only}",
                [str(course_id), *narrowed],
            ).fetchall()
        assert until is not None
        last_week = (until - timedelta(days=until.weekday())).date()  # Monday of until's week
        starts = [last_week - timedelta(weeks=weeks - 1 - n) for n in range(weeks)]
        window = [datetime.combine(starts[0], datetime.min.time(), until.tzinfo), until + timedelta(microseconds=1)]
        means = db.execute(_TREND.format(learners=only), [str(course_id), *window, *narrowed]).fetchall()
    learner_ids = sorted({str(r[0]) for r in rows}, key=_numeric_first)
    skill_ids = sorted({str(r[1]) for r in rows}, key=_numeric_first)
    row_of = {learner: n for n, learner in enumerate(learner_ids)}
    column_of = {skill: n for n, skill in enumerate(skill_ids)}
    proficiency: list[list[float | None]] = [[None] * len(skill_ids) for _ in learner_ids]
    counts = [[0] * len(skill_ids) for _ in learner_ids]
    for learner, skill, value, count in rows:
        i, j = row_of[str(learner)], column_of[str(skill)]
        proficiency[i][j] = None if value is None else round(float(value), 4)
        counts[i][j] = int(count)
    week_index = {week: n for n, week in enumerate(starts)}
    trend: dict[str, list[float | None]] = {skill: [None] * weeks for skill in skill_ids}
    for skill, week, mean in means:
        if str(skill) in trend and week in week_index:
            trend[str(skill)][week_index[week]] = round(float(mean), 4)
    return Heatmap(learner_ids, skill_ids, proficiency, counts, starts, trend)


def _numeric_first(ident: str) -> tuple[int, int | str]:
    return (0, int(ident)) if ident.isdigit() else (1, ident)
