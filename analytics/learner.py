"""One learner's own analytics: proficiency per skill week by week, time per course and week, streaks.

Read from the marts like every other view: ``answers`` for scores (regrades applied, voids left out),
``interactions`` for activity and time. A week starts on Monday (UTC); an active day is a UTC day
with at least one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from analytics.store import AnalyticsStore

_WEEKLY_SKILL = """
SELECT skill_id, CAST(date_trunc('week', ts) AS DATE) AS week, avg(score), count(*)
FROM answers
WHERE learner_id = ? AND skill_id IS NOT NULL AND score IS NOT NULL {course}
GROUP BY 1, 2 ORDER BY 1, 2
"""

_WEEKLY_TIME = """
SELECT course_id, CAST(date_trunc('week', ts) AS DATE) AS week, sum(duration_s), count(*)
FROM interactions
WHERE learner_id = ? AND course_id IS NOT NULL AND statement_id NOT IN (SELECT statement_id FROM voided) {course}
GROUP BY 1, 2 ORDER BY 1, 2
"""

_DAYS = """
SELECT DISTINCT CAST(ts AS DATE) FROM interactions
WHERE learner_id = ? AND statement_id NOT IN (SELECT statement_id FROM voided) {course}
ORDER BY 1
"""

_COMPLETED = """
SELECT count(DISTINCT object_id) FROM interactions
WHERE learner_id = ? AND verb = 'http://adlnet.gov/expapi/verbs/completed'
  AND statement_id NOT IN (SELECT statement_id FROM voided) {course}
"""


@dataclass(frozen=True)
class SkillWeek:
    skill_id: str
    week: date
    mean_score: float
    answers: int


@dataclass(frozen=True)
class CourseWeek:
    course_id: str
    week: date
    seconds: float
    statements: int


@dataclass(frozen=True)
class LearnerAnalytics:
    skills: list[SkillWeek]
    time: list[CourseWeek]
    active_days: int
    #: Consecutive active days ending on the newest active day; ``current_streak`` only counts if that day
    #: is ``today`` or the day before (a streak someone can still keep).
    last_streak: int
    current_streak: int
    longest_streak: int
    last_active: date | None
    completed: int


def learner_analytics(
    store: AnalyticsStore, learner_id: int, *, courses: Sequence[int] | None = None, today: date
) -> LearnerAnalytics:
    """The learner's analytics in ``courses`` (None: everywhere, as the learner sees their own)."""
    if not store.path.exists():
        return LearnerAnalytics([], [], 0, 0, 0, 0, None, 0)
    course = "" if courses is None else "AND course_id IN (SELECT unnest(?))"
    params: list[object] = [str(learner_id)] + ([] if courses is None else [[str(c) for c in courses]])
    with store.connect() as db:
        skills = [
            SkillWeek(str(s), w, round(float(m), 4), int(n))
            for s, w, m, n in db.execute(_WEEKLY_SKILL.format(course=course), params).fetchall()
        ]
        time = [
            CourseWeek(str(c), w, round(float(t or 0.0), 1), int(n))
            for c, w, t, n in db.execute(_WEEKLY_TIME.format(course=course), params).fetchall()
        ]
        days = [row[0] for row in db.execute(_DAYS.format(course=course), params).fetchall()]
        [(completed,)] = db.execute(_COMPLETED.format(course=course), params).fetchall()
    runs = _runs(days)
    last = runs[-1] if runs else 0
    keeps = bool(days) and days[-1] >= today - timedelta(days=1)
    return LearnerAnalytics(
        skills=skills,
        time=time,
        active_days=len(days),
        last_streak=last,
        current_streak=last if keeps else 0,
        longest_streak=max(runs, default=0),
        last_active=days[-1] if days else None,
        completed=int(completed),
    )


def _runs(days: list[date]) -> list[int]:
    """Lengths of the runs of consecutive days in a sorted list of distinct days."""
    runs: list[int] = []
    for n, day in enumerate(days):
        if n and day - days[n - 1] == timedelta(days=1):
            runs[-1] += 1
        else:
            runs.append(1)
    return runs
