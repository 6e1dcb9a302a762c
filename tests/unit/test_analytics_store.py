"""The analytics store: each statement once, a regrade replaces its attempt's score, a void hides it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import analytics.store
from analytics.store import AnalyticsStore
from features.xapi_vocabulary import Extension, Verb, answered_statement, learner_account

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _answer(learner: int, item: int, correct: bool, attempt: str, minute: int = 0, **extra: Any) -> dict[str, Any]:
    return answered_statement(
        learner_account(learner),
        item,
        7,
        correct,
        timestamp=T0 + timedelta(minutes=minute),
        extra={Extension.ATTEMPT_ID: attempt, **extra},
    )


def _void(target: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:grader@example.org"},
        "verb": {"id": Verb.VOIDED},
        "object": {"objectType": "StatementRef", "id": target},
        "timestamp": T0.isoformat(),
    }


def _answers(store: AnalyticsStore) -> list[tuple[Any, ...]]:
    with store.connect() as db:
        return db.execute(
            "SELECT learner_id, item_id, score, correct, assessment_id, revisions FROM answers "
            "ORDER BY learner_id, item_id"
        ).fetchall()


@pytest.fixture
def store(tmp_path: Path) -> AnalyticsStore:
    return AnalyticsStore(tmp_path / "analytics.duckdb")


def test_each_statement_counts_once_however_often_it_arrives(store: AnalyticsStore) -> None:
    first = _answer(1, 10, True, "a1", **{Extension.ASSESSMENT_ID: "5"})
    second = _answer(2, 10, False, "a2")
    report = store.apply([first, second, first])
    assert (report.applied, report.duplicates) == (2, 1)
    again = store.apply([second, _answer(3, 11, True, "a3")])
    assert (again.applied, again.duplicates) == (1, 1)
    assert _answers(store) == [
        ("1", "10", 1.0, True, "5", 0),
        ("2", "10", 0.0, False, None, 0),
        ("3", "11", 1.0, True, None, 0),
    ]


def test_a_regrade_replaces_the_attempts_outcome_and_keeps_its_origin(store: AnalyticsStore) -> None:
    original = _answer(1, 10, False, "a1", **{Extension.ASSESSMENT_ID: "5"})
    revision = _answer(1, 10, True, "a1", minute=30, **{Extension.REVISES: {"success": False, "scaled": 0.0}})
    store.apply([original])
    store.apply([revision])
    # one answer still: the revision's outcome, the original's assessment and time
    assert _answers(store) == [("1", "10", 1.0, True, "5", 1)]
    with store.connect() as db:
        assert db.execute("SELECT ts FROM answers").fetchall() == [(T0,)]


def test_a_voided_statement_leaves_the_marts_and_a_voided_revision_restores_the_original(
    store: AnalyticsStore,
) -> None:
    kept, dropped = _answer(1, 10, True, "a1"), _answer(2, 10, True, "a2")
    revision = _answer(1, 10, False, "a1", minute=5, **{Extension.REVISES: {"success": True, "scaled": 1.0}})
    store.apply([kept, dropped, revision])
    assert [(row[0], row[3]) for row in _answers(store)] == [("1", False), ("2", True)]
    report = store.apply([_void(dropped["id"]), _void(revision["id"])])
    assert (report.applied, report.voids) == (0, 2)
    assert [(row[0], row[3], row[5]) for row in _answers(store)] == [("1", True, 0)]


def test_a_void_that_arrives_before_its_target_still_hides_it(store: AnalyticsStore) -> None:
    late = _answer(4, 12, True, "a4")
    store.apply([_void(late["id"])])
    store.apply([late])
    assert _answers(store) == []


def test_statements_no_mart_can_read_are_counted_with_the_reason(store: AnalyticsStore) -> None:
    foreign = _answer(1, 10, True, "a1")
    foreign["actor"] = {"objectType": "Agent", "account": {"homePage": "https://other.example", "name": "1"}}
    report = store.apply([foreign, {"no": "id"}, _answer(2, 10, True, "a2")])
    assert (report.applied, report.unreadable) == (1, 2)
    assert "is not the platform's" in report.reasons[0]


def test_the_watermark_commits_with_the_rows(store: AnalyticsStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.apply([_answer(1, 10, True, "a1")], state={"lrs_seq": "41"})
    assert store.state()["lrs_seq"] == "41"
    real_row = analytics.store._row

    def dies_on_learner_3(statement: dict[str, Any]) -> tuple[Any, ...]:  # the process dies mid-batch
        if statement["actor"]["account"]["name"] == "3":
            raise RuntimeError("killed")
        return real_row(statement)

    monkeypatch.setattr(analytics.store, "_row", dies_on_learner_3)
    with pytest.raises(RuntimeError):
        store.apply([_answer(2, 10, True, "a2"), _answer(3, 10, True, "a3")], state={"lrs_seq": "99"})
    monkeypatch.undo()
    assert store.state()["lrs_seq"] == "41" and len(_answers(store)) == 1  # neither rows, keys nor watermark
    store.apply([_answer(2, 10, True, "a2"), _answer(3, 10, True, "a3")], state={"lrs_seq": "99"})
    assert store.state()["lrs_seq"] == "99" and len(_answers(store)) == 3


def test_the_cells_follow_a_regrade_and_a_void(store: AnalyticsStore) -> None:
    """A cell is recomputed for every attempt a batch touches, in the same transaction."""

    def cells() -> list[tuple[Any, ...]]:
        with store.connect() as db:
            return db.execute("SELECT learner_id, skill_id, proficiency, answers FROM cells").fetchall()

    first = _answer(1, 10, False, "a1", **{Extension.COURSE_ID: "3"})
    second = _answer(1, 11, True, "a2", minute=1, **{Extension.COURSE_ID: "3"})
    store.apply([first, second])
    assert cells() == [("1", "7", 0.5, 2)]
    regrade = _answer(1, 10, True, "a1", minute=9, **{Extension.REVISES: {"success": False, "scaled": 0.0}})
    store.apply([regrade])
    assert cells() == [("1", "7", 1.0, 2)]
    store.apply([_void(second["id"])])
    assert cells() == [("1", "7", 1.0, 1)]
    store.apply([_void(first["id"]), _void(regrade["id"])])
    assert cells() == []
