"""Engagement in a course: the items most answered and most failed, when learners work, time on task.

Read from the marts: items from ``answers`` (one row per attempt, its final score); the weekday-and-hour
grid and time on task from ``interactions`` (every statement about the course that was not voided:
answers, completions, video). Times are UTC; weekdays are ISO (1 = Monday).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from analytics.store import AnalyticsStore

#: An item needs this many answers before its failure rate ranks it (two wrong of two says little).
MIN_ANSWERS_TO_RANK = 5

_ITEMS = """
SELECT item_id, count(*) AS answers, avg(score) AS mean_score, avg(CASE WHEN correct THEN 0.0 ELSE 1.0 END) AS failed
FROM answers WHERE course_id = ? AND item_id IS NOT NULL {learners}
GROUP BY item_id
"""

_GRID = """
SELECT CAST(extract('isodow' FROM ts) AS INTEGER), CAST(extract('hour' FROM ts) AS INTEGER), count(*)
FROM interactions
WHERE course_id = ? AND statement_id NOT IN (SELECT statement_id FROM voided) {learners}
GROUP BY 1, 2
"""

_TIME = """
SELECT CAST(date_trunc('week', ts) AS DATE) AS week, sum(duration_s), count(DISTINCT learner_id)
FROM interactions
WHERE course_id = ? AND duration_s IS NOT NULL AND statement_id NOT IN (SELECT statement_id FROM voided) {learners}
GROUP BY 1 ORDER BY 1
"""


@dataclass(frozen=True)
class ItemUse:
    item_id: str
    answers: int
    mean_score: float
    failed: float  # share of answers not right


@dataclass(frozen=True)
class Engagement:
    most_answered: list[ItemUse]
    most_failed: list[ItemUse]
    #: ``activity[weekday - 1][hour]``: statements in that UTC hour of that ISO weekday.
    activity: list[list[int]]
    #: (week's Monday, seconds on task, learners who spent them), oldest first.
    time_on_task: list[tuple[date, float, int]]


def engagement(
    store: AnalyticsStore, course_id: int, *, learners: Sequence[int] | None = None, top: int = 10
) -> Engagement:
    activity = [[0] * 24 for _ in range(7)]
    if not store.path.exists():
        return Engagement([], [], activity, [])
    only = "" if learners is None else "AND learner_id IN (SELECT unnest(?))"
    params: list[object] = [str(course_id)] + ([] if learners is None else [[str(n) for n in learners]])
    with store.connect() as db:
        items = [
            ItemUse(str(item), int(n), round(float(mean), 4), round(float(failed), 4))
            for item, n, mean, failed in db.execute(_ITEMS.format(learners=only), params).fetchall()
            if mean is not None
        ]
        grid = db.execute(_GRID.format(learners=only), params).fetchall()
        weekly = db.execute(_TIME.format(learners=only), params).fetchall()
    for weekday, hour, count in grid:
        activity[int(weekday) - 1][int(hour)] = int(count)
    most_answered = sorted(items, key=lambda i: (-i.answers, i.item_id))[:top]
    ranked = [i for i in items if i.answers >= MIN_ANSWERS_TO_RANK]
    most_failed = sorted(ranked, key=lambda i: (-i.failed, -i.answers, i.item_id))[:top]
    time_on_task = [(week, round(float(seconds), 1), int(people)) for week, seconds, people in weekly]
    return Engagement(most_answered, most_failed, activity, time_on_task)
