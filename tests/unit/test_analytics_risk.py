"""At-risk rules against a hand-made course: idle learners, a falling score, someone who never started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from analytics.risk import FALL, WINDOW, at_risk
from analytics.store import AnalyticsStore
from features.xapi_vocabulary import answered_statement, learner_account

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _answer(learner: int, right: bool, days_ago: float, skill: int = 7, course: int = 3) -> dict[str, Any]:
    when = AS_OF - timedelta(days=days_ago)
    return answered_statement(learner_account(learner), 50, skill, right, course_id=course, timestamp=when)


def test_idle_falling_and_never_started_learners_are_flagged_with_reasons(tmp_path: Path) -> None:
    assert (WINDOW, FALL) == (5, 0.2)
    store = AnalyticsStore(tmp_path / "a.duckdb")
    store.apply(
        [
            _answer(1, True, days_ago=9.5),  # idle 9 whole days
            # learner 2: ten answers on skill 7, the five older right, the five newest wrong: falls by 1.0
            *[_answer(2, True, days_ago=10 - n) for n in range(5)],
            *[_answer(2, False, days_ago=5 - n * 0.5) for n in range(5)],
            # learner 4: ten right answers, the newest 1.4 days ago: steady and active
            *[_answer(4, True, days_ago=5 - n * 0.4) for n in range(10)],
            _answer(5, True, days_ago=1, course=4),  # active in another course only: nothing in this one
            _answer(6, True, days_ago=30),  # idle, but not enrolled: not listed
        ]
    )
    flagged = at_risk(store, 3, [1, 2, 3, 4, 5], as_of=AS_OF)
    assert [(r.learner_id, r.days_inactive, r.reasons) for r in flagged] == [
        ("3", None, ["no activity in the course yet"]),
        ("5", None, ["no activity in the course yet"]),
        ("1", 9, ["no activity for 9 days"]),
        ("2", 3, ["mastery falling in 1 skill"]),  # newest answer 3 days ago: 5 - 4 x 0.5
    ]
    assert flagged[3].falling_skills == ["7"]
    # a looser rule: 10 days idle is needed, so learner 1 is no longer at risk
    assert [r.learner_id for r in at_risk(store, 3, [1, 2, 4], as_of=AS_OF, inactive_days=10)] == ["2"]
    # as of a day before the falling answers, learner 2 had no fall yet and had been active
    earlier = at_risk(store, 3, [2], as_of=AS_OF - timedelta(days=5.5))
    assert earlier == []
