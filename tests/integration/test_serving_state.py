"""Online learner state, in process and in a real Redis: the same behaviour from both stores."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from serving.state import HISTORY, MemoryState, RedisState, State
from tests.conftest import REDIS_URL


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[State]:
    if request.param == "memory":
        yield MemoryState()
        return
    redis_store = RedisState(REDIS_URL, prefix=f"serving-test:{uuid.uuid4().hex[:8]}:")
    try:
        yield redis_store
    finally:
        redis_store.clear()


def test_events_build_history_and_rule_inputs(store: State) -> None:
    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    assert store.load("u1") is None
    for correct in (True, True, False, True):
        store.record("u1", "Algebra", "a-1", correct, 30.0, at)
    store.record("u1", "Fractions", "f-1", True, 15.5, at)
    learner = store.load("u1")
    assert learner is not None and learner.seq == 5
    assert list(learner.rows)[-1] == ("Fractions", "f-1", 1)
    rules = learner.rules_state("u1", {"Algebra": 0.7})
    assert rules.attempts == {"Algebra": 4, "Fractions": 1}
    assert rules.time_on_task_s == {"Algebra": 120.0, "Fractions": 15.5}
    assert rules.streak == {"Algebra": 1, "Fractions": 1} and rules.overall_streak == 2
    assert rules.last_activity_at == at
    assert learner.fallback_mastery(["Algebra", "Quadratics"]) == {"Algebra": 4 / 6, "Quadratics": 0.5}
    frame = learner.frame("u1", ["Algebra"])
    assert frame["item_id"][-1] == "probe:Algebra" and frame["seq"] == [1, 2, 3, 4, 5, 6]


def test_history_is_bounded(store: State) -> None:
    for n in range(HISTORY + 5):
        store.record("u2", "Algebra", f"a-{n}", n % 2 == 0, 1.0)
    learner = store.load("u2")
    assert learner is not None and len(learner.rows) == HISTORY and learner.rows[0][1] == "a-5"


def test_mastery_cache_is_per_version_and_invalidated_by_events(store: State) -> None:
    store.record("u3", "Algebra", "a-1", True, 1.0)
    learner = store.load("u3")
    assert learner is not None
    store.store_mastery("u3", "m/1", learner.seq, {"Algebra": 0.6, "Fractions": 0.9})
    cached = store.load("u3")
    assert cached is not None
    assert cached.cached_mastery("m/1", ["Algebra"]) == {"Algebra": 0.6}
    assert cached.cached_mastery("m/2", ["Algebra"]) is None  # another version: score again
    assert cached.cached_mastery("m/1", ["Quadratics"]) is None  # a skill it never scored
    store.record("u3", "Algebra", "a-2", False, 1.0)
    stale = store.load("u3")
    assert stale is not None and stale.cached_mastery("m/1", ["Algebra"]) is None  # an event since
    store.store_mastery("u3", "m/1", stale.seq, {"Algebra": 0.5})
    store.store_mastery("u3", "m/1", stale.seq - 1, {"Algebra": 0.99})  # a slower, older refresh lands late
    fresh = store.load("u3")
    assert fresh is not None and fresh.cached_mastery("m/1", ["Algebra"]) == {"Algebra": 0.5}


def test_served_prediction_is_returned_once_with_the_next_answer(store: State) -> None:
    store.record("u4", "Algebra", "a-1", True, 1.0)
    store.remember_served("u4", "challenger", {"Algebra": 0.75})
    assert store.record("u4", "Algebra", "a-2", True, 1.0) == ("challenger", 0.75)
    assert store.record("u4", "Algebra", "a-3", True, 1.0) is None


def test_unknown_learner_gets_no_cached_mastery(store: State) -> None:
    store.store_mastery("ghost", "m/1", 0, {"Algebra": 0.5})
    assert store.load("ghost") is None


def test_redis_state_is_shared_by_replicas() -> None:
    prefix = f"serving-test:{uuid.uuid4().hex[:8]}:"
    first, second = RedisState(REDIS_URL, prefix), RedisState(REDIS_URL, prefix)
    try:
        first.record("shared", "Algebra", "a-1", True, 10.0)
        second.record("shared", "Algebra", "a-2", True, 5.0)
        learner = first.load("shared")
        assert learner is not None and learner.seq == 2 and learner.seconds == {"Algebra": 15.0}
    finally:
        first.clear()
