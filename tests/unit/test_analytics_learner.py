"""One learner's analytics against a hand-made history: weekly proficiency, time, streaks, completions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from analytics.learner import learner_analytics
from analytics.store import AnalyticsStore
from features.xapi_vocabulary import Verb, answered_statement, build_statement, learner_account

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _answer(day: int, skill: int, right: bool, course: int = 3, seconds: float = 60, who: int = 5) -> dict[str, Any]:
    when = MONDAY + timedelta(days=day)
    return answered_statement(
        learner_account(who), 100 + day, skill, right, course_id=course, timestamp=when, duration_s=seconds
    )


def _completed(day: int, activity: str) -> dict[str, Any]:
    actor = {"objectType": "Agent", "account": {"homePage": "https://pathwise.example", "name": "5"}}
    statement = build_statement(actor, Verb.COMPLETED, f"https://pathwise.example/activities/{activity}")
    statement["timestamp"] = (MONDAY + timedelta(days=day)).isoformat()
    statement["context"] = {"extensions": {"https://pathwise.example/xapi/extensions/course-id": "3"}}
    return statement


def test_weekly_proficiency_time_and_streaks(tmp_path: Path) -> None:
    store = AnalyticsStore(tmp_path / "a.duckdb")
    store.apply(
        [
            # week of Nov 2: days 0, 1, 2 active (a 3-day run); skill 7: right, wrong -> 0.5; skill 8: right
            _answer(0, 7, True),
            _answer(1, 7, False),
            _answer(2, 8, True),
            # week of Nov 9: days 8, 9 (a 2-day run); skill 7: right, right -> 1.0; one in another course
            _answer(8, 7, True),
            _answer(9, 7, True),
            _answer(9, 7, False, course=4, seconds=600),
            _completed(9, "a1"),
            _completed(9, "a1"),  # the same activity again counts once
            _answer(3, 7, True, who=6),  # someone else
        ]
    )
    found = learner_analytics(store, 5, courses=[3], today=date(2026, 11, 12))
    assert [(s.skill_id, s.week.isoformat(), s.mean_score, s.answers) for s in found.skills] == [
        ("7", "2026-11-02", 0.5, 2),
        ("7", "2026-11-09", 1.0, 2),
        ("8", "2026-11-02", 1.0, 1),
    ]
    # answers: 60 s each; completions carry no duration: 3 x 60 s in week one, 2 x 60 s (+ 2 completions) in two
    assert [(t.week.isoformat(), t.seconds, t.statements) for t in found.time] == [
        ("2026-11-02", 180.0, 3),
        ("2026-11-09", 120.0, 4),
    ]
    assert (found.active_days, found.longest_streak, found.last_streak) == (5, 3, 2)
    # days 0-2 are Nov 2-4, days 8-9 are Nov 10-11
    assert found.last_active == date(2026, 11, 11) and found.completed == 1
    assert found.current_streak == 2  # Nov 11 was yesterday: the streak can still be kept today
    assert learner_analytics(store, 5, courses=[3], today=date(2026, 11, 13)).current_streak == 0

    everywhere = learner_analytics(store, 5, today=date(2026, 11, 11))
    assert [(t.course_id, t.seconds) for t in everywhere.time] == [("3", 180.0), ("3", 120.0), ("4", 600.0)]
