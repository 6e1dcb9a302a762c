"""The cohort heatmap against hand arithmetic: recent proficiency per cell, the weekly trend, narrowing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from analytics.cohort import heatmap
from analytics.store import RECENT, AnalyticsStore
from features.xapi_vocabulary import answered_statement, learner_account

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def _answer(learner: int, skill: int, score: float, day: int, course: int = 3) -> dict[str, Any]:
    return answered_statement(
        learner_account(learner), 100 + skill, skill, score >= 0.5, score=score, course_id=course,
        timestamp=MONDAY + timedelta(days=day),
    )  # fmt: skip


def test_cells_use_the_last_answers_and_the_trend_is_the_cohorts_weekly_mean(tmp_path: Path) -> None:
    store = AnalyticsStore(tmp_path / "a.duckdb")
    statements = [
        # learner 1, skill 7: twelve answers; the two oldest (days 0, 1) are wrong, the last ten right: 1.0
        *[_answer(1, 7, 0.0, day) for day in (0, 1)],
        *[_answer(1, 7, 1.0, day) for day in range(2, 12)],
        # learner 1, skill 8: 0.5 and 1.0 -> 0.75
        _answer(1, 8, 0.5, 3),
        _answer(1, 8, 1.0, 10),
        # learner 2, skill 7: one wrong answer -> 0.0; no answer on skill 8
        _answer(2, 7, 0.0, 9),
        # another course: not in the map
        _answer(3, 7, 1.0, 5, course=4),
    ]
    store.apply(statements)
    found = heatmap(store, 3, weeks=3)
    assert (found.learners, found.skills) == (["1", "2"], ["7", "8"])
    assert RECENT == 10
    assert found.proficiency == [[1.0, 0.75], [0.0, None]]
    assert found.answers == [[12, 2], [1, 0]]
    # weeks up to the newest answer (day 11, in the week of Nov 9): Oct 26, Nov 2, Nov 9
    assert found.weeks == [date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9)]
    # skill 7, week of Nov 2 (days 0-6): learner 1's 0, 0, 1, 1, 1, 1, 1 -> 5/7; week of Nov 9 (days 7-11):
    #   learner 1's 1, 1, 1, 1, 1 and learner 2's 0 -> 5/6. Skill 8: 0.5 (day 3), then 1.0 (day 10).
    assert found.trend["7"] == [None, round(5 / 7, 4), round(5 / 6, 4)]
    assert found.trend["8"] == [None, 0.5, 1.0]

    cohort = heatmap(store, 3, learners=[2], weeks=1)
    assert (cohort.learners, cohort.skills, cohort.proficiency) == (["2"], ["7"], [[0.0]])
    assert cohort.weeks == [date(2026, 11, 9)] and cohort.trend == {"7": [0.0]}
    assert heatmap(store, 99).learners == [] and heatmap(store, 3, learners=[]).learners == []
