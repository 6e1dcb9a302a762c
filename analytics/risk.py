"""At-risk learners of a course by rule: inactivity, and proficiency falling on skills they practise.

The rules are the ones course dashboards use (Open edX Aspects counts a learner at risk after 7 days
without a visit): a learner enrolled in the course is at risk when their last statement about it is
``inactive_days`` or more before ``as_of`` (or they have none), or when their score is falling on
:data:`FALLING_SKILLS` skills or more. Falling: the mean of their last :data:`WINDOW` answers on a skill
is at least :data:`FALL` below the mean of the :data:`WINDOW` before those. Each learner comes with
the reasons in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from analytics.store import AnalyticsStore

WINDOW = 5
FALL = 0.2
FALLING_SKILLS = 1

_LAST_SEEN = """
SELECT learner_id, max(ts) FROM interactions
WHERE course_id = ? AND ts <= ? AND statement_id NOT IN (SELECT statement_id FROM voided)
GROUP BY learner_id
"""

_FALLING = """
SELECT learner_id, skill_id,
       avg(score) FILTER (WHERE recency <= {window}) AS recent,
       avg(score) FILTER (WHERE recency > {window}) AS before
FROM (
    SELECT learner_id, skill_id, score,
           row_number() OVER (PARTITION BY learner_id, skill_id ORDER BY ts DESC) AS recency
    FROM answers
    WHERE course_id = ? AND skill_id IS NOT NULL AND score IS NOT NULL AND ts <= ?
)
WHERE recency <= {window} * 2
GROUP BY learner_id, skill_id
HAVING count(*) = {window} * 2
"""


@dataclass(frozen=True)
class AtRisk:
    learner_id: str
    days_inactive: int | None  # None: no activity in the course at all
    falling_skills: list[str]
    reasons: list[str]


def at_risk(
    store: AnalyticsStore, course_id: int, learners: Sequence[int], *, as_of: datetime, inactive_days: int = 7
) -> list[AtRisk]:
    """The ``learners`` (the course's enrolment) at risk on ``as_of``, the longest idle first."""
    seen: dict[str, datetime] = {}
    falling: dict[str, list[str]] = {}
    if store.path.exists():
        with store.connect() as db:
            seen = {str(k): v for k, v in db.execute(_LAST_SEEN, [str(course_id), as_of]).fetchall()}
            rows = db.execute(_FALLING.format(window=WINDOW), [str(course_id), as_of]).fetchall()
        for learner, skill, recent, before in rows:
            if recent is not None and before is not None and before - recent >= FALL:
                falling.setdefault(str(learner), []).append(str(skill))
    flagged: list[AtRisk] = []
    for learner in sorted({str(n) for n in learners}, key=lambda i: (len(i), i)):
        last = seen.get(learner)
        idle = None if last is None else (as_of - last).days
        skills = sorted(falling.get(learner, []), key=lambda s: (len(s), s))
        reasons = []
        if idle is None:
            reasons.append("no activity in the course yet")
        elif idle >= inactive_days:
            reasons.append(f"no activity for {idle} days")
        if len(skills) >= FALLING_SKILLS:
            reasons.append(f"mastery falling in {len(skills)} skill{'s' if len(skills) != 1 else ''}")
        if reasons:
            flagged.append(AtRisk(learner, idle, skills, reasons))
    return sorted(flagged, key=lambda r: (r.days_inactive is not None, -(r.days_inactive or 0)))
