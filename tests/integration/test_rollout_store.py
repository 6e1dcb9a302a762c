"""Rollout specs and decisions round-trip through the real database, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from pathwise.contract.rollout.store import RolloutStore
from platform_api.core.db import make_engine
from platform_api.core.migrate import upgrade
from serving.rollout import CanaryController, LiveMetrics, Mode, RolloutSpec, RolloutState, Slot, Variant


def test_decisions_and_specs_are_stored_together(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    store = RolloutStore(engine)
    spec = RolloutSpec(slot=Slot.KT, model_name="pathwise-bkt", champion="1")
    store.save(spec)
    controller = CanaryController(spec, on_decision=store.record)
    controller.start("2")
    metrics = LiveMetrics()
    for n in range(300):  # an injected challenger failing half its calls (one that never answers is aborted)
        metrics.record_request(Variant.CHALLENGER, 3.0, ok=n % 2 == 0)
    controller.evaluate(metrics.snapshot(Variant.CHAMPION), metrics.snapshot(Variant.CHALLENGER))
    loaded = store.load("kt")
    assert loaded is not None and loaded.state == RolloutState.ROLLED_BACK and loaded.traffic_percent == 0
    history = store.decisions("kt")
    assert [row["action"] for row in history] == ["rollback", "start"]
    assert history[0]["metrics"]["challenger"]["errors"] == 150
    assert "error rate" in history[0]["reason"]
    assert store.load("sequencer") is None and [s.slot for s in store.load_all()] == [Slot.KT]
    engine.dispose()


def test_each_decision_names_the_versions_it_concerned(db_url: str) -> None:
    """A promote names the pair it ended, though its spec has no challenger left; the next start its new pair."""
    upgrade(db_url)
    engine = make_engine(db_url)
    store = RolloutStore(engine)
    spec = RolloutSpec(slot=Slot.KT, model_name="pathwise-bkt", champion="1")
    controller = CanaryController(spec, on_decision=store.record)
    controller.start("2", mode=Mode.AB, traffic_percent=40.0)
    controller.promote()
    controller.start("3", mode=Mode.SHADOW)
    controller.abort()
    pairs = [(r["action"], r["champion"], r["challenger"], r["mode"]) for r in reversed(store.decisions("kt"))]
    assert pairs == [
        ("start", "1", "2", "ab"),
        ("promote", "1", "2", "ab"),
        ("start", "2", "3", "shadow"),
        ("abort", "2", "3", "shadow"),
    ]
    engine.dispose()


def test_the_database_refuses_traffic_outside_0_100(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    spec = RolloutSpec(slot=Slot.SEQUENCER, model_name="pathwise-seq", champion="1")
    RolloutStore(engine).save(spec)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql("UPDATE rollouts SET traffic_percent = 150")
    engine.dispose()
