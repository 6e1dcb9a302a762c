"""Engagement against hand counts: items most answered and most failed, the weekday-hour grid, time on task."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from analytics.engagement import MIN_ANSWERS_TO_RANK, engagement
from analytics.store import AnalyticsStore
from features.xapi_vocabulary import answered_statement, learner_account

TUESDAY_9 = datetime(2026, 11, 3, 9, 15, tzinfo=UTC)  # ISO weekday 2, hour 9


def _answer(learner: int, item: int, right: bool, hours: float = 0, seconds: float | None = None) -> dict[str, Any]:
    when = TUESDAY_9 + timedelta(hours=hours)
    return answered_statement(learner_account(learner), item, 7, right, course_id=3, timestamp=when, duration_s=seconds)


def test_engagement_counts_match_the_hand_tally(tmp_path: Path) -> None:
    store = AnalyticsStore(tmp_path / "a.duckdb")
    assert MIN_ANSWERS_TO_RANK == 5
    statements = [
        # item 1: six answers, two right -> failed 4/6; item 2: five answers, all wrong -> failed 1.0;
        # item 3: two answers, both wrong (too few to rank as failed) but among the answered
        *[_answer(n, 1, n < 2, seconds=30) for n in range(6)],
        *[_answer(n, 2, False, hours=24) for n in range(5)],  # Wednesday, 9h
        *[_answer(n, 3, False, hours=24 * 7, seconds=90) for n in range(2)],  # next Tuesday, 9h
    ]
    dropped = _answer(9, 2, True, hours=1)
    store.apply([*statements, dropped])
    store.apply(
        [
            {
                "id": "00000000-0000-4000-8000-00000000dead",
                "actor": {"objectType": "Agent", "mbox": "mailto:admin@example.org"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                "object": {"objectType": "StatementRef", "id": dropped["id"]},
                "timestamp": TUESDAY_9.isoformat(),
            }
        ]
    )
    found = engagement(store, 3)
    assert [(i.item_id, i.answers) for i in found.most_answered] == [("1", 6), ("2", 5), ("3", 2)]
    assert [(i.item_id, i.failed) for i in found.most_failed] == [("2", 1.0), ("1", round(4 / 6, 4))]
    assert found.most_answered[0].mean_score == round(2 / 6, 4)
    # 6 on Tuesday 9h plus 2 a week later; 5 on Wednesday 9h; the voided one (Tuesday 10h) is gone
    assert found.activity[1][9] == 8 and found.activity[2][9] == 5 and found.activity[1][10] == 0
    assert sum(map(sum, found.activity)) == 13
    # time on task: week of Nov 2: 6 x 30 s by 6 learners; week of Nov 9: 2 x 90 s by 2 learners
    assert found.time_on_task == [(date(2026, 11, 2), 180.0, 6), (date(2026, 11, 9), 180.0, 2)]

    cohort = engagement(store, 3, learners=[0, 1])
    assert [(i.item_id, i.answers) for i in cohort.most_answered] == [("1", 2), ("2", 2), ("3", 2)]
    assert cohort.most_failed == []  # nobody reaches five answers on one item
    assert engagement(store, 99).most_answered == []
