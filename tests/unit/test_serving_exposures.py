"""Serving writes exposures itself through the shared tables, and which rollouts log exposures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select

from pathwise.contract import tables
from pathwise.contract.stream import EXPOSURE_EVENT
from serving.exposures import ExposureLog, open_exposure_log
from serving.rollout import Mode, RolloutSpec, RolloutState, Slot

BASE = RolloutSpec(slot=Slot.KT, model_name="pathwise-bkt", champion="6")
AT = datetime(2026, 11, 5, tzinfo=UTC)


def test_opening_the_log_connects_nowhere(tmp_path) -> None:  # type: ignore[no-untyped-def]
    log = open_exposure_log(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    assert isinstance(log, ExposureLog) and log.flush() == 0  # nothing buffered: no database touched


def test_the_log_writes_each_first_exposure_and_its_outbox_event_once() -> None:
    engine = create_engine("sqlite://")
    tables.metadata.create_all(engine, tables=[tables.experiment_exposures, tables.event_outbox])
    log = ExposureLog(engine)
    for _ in range(3):
        log.record("kt-v6-vs-v7", "challenger", "42", slot="kt", version="7", at=AT)
    log.record("kt-v6-vs-v7", "champion", "43", slot="kt", version="6", at=AT)
    assert log.flush() == 2
    fresh = ExposureLog(engine)  # another replica: nothing in memory, the table still deduplicates
    fresh.record("kt-v6-vs-v7", "champion", "42", slot="kt", version="6", at=AT)
    assert fresh.flush() == 0
    with engine.connect() as conn:
        rows = conn.execute(select(tables.experiment_exposures).order_by(tables.experiment_exposures.c.id)).all()
        events = conn.execute(select(tables.event_outbox).order_by(tables.event_outbox.c.id)).all()
    assert [(r.learner_id, r.variant, r.version) for r in rows] == [("42", "challenger", "7"), ("43", "champion", "6")]
    assert [(e.type, e.key) for e in events] == [(EXPOSURE_EVENT, "kt-v6-vs-v7:42"), (EXPOSURE_EVENT, "kt-v6-vs-v7:43")]
    assert events[0].payload == {
        "experiment": "kt-v6-vs-v7",
        "variant": "challenger",
        "learner_id": "42",
        "slot": "kt",
        "version": "7",
        "at": AT.isoformat(),
    }
    engine.dispose()


def test_a_failed_flush_keeps_the_batch() -> None:
    engine = create_engine("sqlite://")  # no tables yet: the flush fails
    log = ExposureLog(engine)
    log.record("kt-v6-vs-v7", "champion", "1")
    with pytest.raises(Exception, match="no such table"):
        log.flush()
    tables.metadata.create_all(engine, tables=[tables.experiment_exposures, tables.event_outbox])
    assert log.flush() == 1
    engine.dispose()


@pytest.mark.parametrize(
    ("changes", "experiment"),
    [
        ({}, None),  # champion only
        ({"challenger": "7", "mode": Mode.AB, "traffic_percent": 50.0, "state": RolloutState.RUNNING}, "kt-v6-vs-v7"),
        ({"challenger": "7", "traffic_percent": 5.0, "state": RolloutState.RUNNING}, "kt-v6-vs-v7"),
        ({"challenger": "7", "mode": Mode.SHADOW, "state": RolloutState.RUNNING}, None),  # nobody is served it
        ({"challenger": "7", "traffic_percent": 0.0, "state": RolloutState.ROLLED_BACK}, None),
    ],
)
def test_only_a_running_rollout_that_serves_a_challenger_is_an_experiment(
    changes: dict[str, object], experiment: str | None
) -> None:
    assert BASE.model_copy(update=changes).experiment == experiment


class _Recorder:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, dict[str, object]]] = []

    def record(self, experiment: str, variant: str, learner_id: str, **fields: object) -> None:
        self.rows.append((experiment, variant, learner_id, fields))

    def flush(self) -> int:
        return 0


def test_an_exposure_records_what_actually_served() -> None:
    """A learner assigned the challenger whose call fell back to the champion was not exposed to the challenger."""
    from types import SimpleNamespace

    from serving.app import Router
    from serving.rollout import Variant, assign

    router_class = Router.func_or_class
    spec = BASE.model_copy(
        update={"challenger": "7", "mode": Mode.AB, "traffic_percent": 50.0, "state": RolloutState.RUNNING}
    )
    learners = [f"learner-{n}" for n in range(40)]
    challenged = next(i for i in learners if assign(i, 50.0, slot="kt", salt="") is Variant.CHALLENGER)
    championed = next(i for i in learners if assign(i, 50.0, slot="kt", salt="") is Variant.CHAMPION)
    recorder = _Recorder()
    router = SimpleNamespace(_exposures=recorder)
    router._variant = lambda s, learner: router_class._variant(router, s, learner)
    for learner, served in ((challenged, "champion"), (challenged, "fallback"), (championed, "fallback")):
        router_class._expose(router, spec, learner, served)
    assert recorder.rows == []  # every one of these calls fell back: nobody was served their variant
    router_class._expose(router, spec, challenged, "challenger")
    router_class._expose(router, spec, championed, "champion")
    assert [(v, learner, f["version"]) for _, v, learner, f in recorder.rows] == [
        ("challenger", challenged, "7"),
        ("champion", championed, "6"),
    ]
