"""Canary metrics pooled across replicas in the database, and the watcher's gate tick that reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from platform_api.core.migrate import upgrade
from serving.config import ServingSettings
from serving.rollout import CanaryController, DecisionAction, Gates, LiveMetrics, RolloutSpec, RolloutState, Slot
from serving.rollout import Variant as V
from serving.runtime import RolloutWatcher
from serving.schemas import AppArgs

GATES = Gates(min_requests=20, min_outcomes=10, min_step_seconds=0, max_p95_latency_ms=100, min_online_auc=0.6)
CHAMPION = RolloutSpec(slot=Slot.KT, model_name="pathwise-bkt", champion="1")


def _replica(challenger_ok: bool, version: str = "2", requests: int = 15) -> list[dict[str, object]]:
    """What one Router replica drains: champion and challenger requests, and outcomes that its scores rank well."""
    live = LiveMetrics()
    for n in range(requests):
        live.record_request(V.CHAMPION, 5.0, ok=True, version="1")
        live.record_request(V.CHALLENGER, 8.0 + n, ok=challenger_ok or n % 2 == 0, version=version)
        live.record_outcome(V.CHALLENGER, 0.9 if n % 2 else 0.2, bool(n % 2), version=version)
    return live.drain()


@pytest.fixture
def watcher(db_url: str, tmp_path: Path) -> RolloutWatcher:
    upgrade(db_url)
    settings = ServingSettings(database_url=db_url, mlflow_tracking_uri="sqlite://")
    return RolloutWatcher(settings, AppArgs(mlflow_uri="sqlite://", kt=CHAMPION, home=str(settings.home)))


def _start(watcher: RolloutWatcher, challenger: str = "2") -> RolloutSpec:
    controller = CanaryController(CHAMPION, on_decision=watcher.store.record)
    controller.start(challenger, gates=GATES)
    return controller.spec


def test_replicas_are_pooled_per_version_and_step(watcher: RolloutWatcher) -> None:
    spec = _start(watcher)
    before = (spec.step_started_at or datetime.now(UTC)) - timedelta(seconds=5)
    watcher.pooled.write("kt", _replica(True), at=before)  # an earlier step: not counted
    watcher.pooled.write("kt", _replica(True, version="9"))  # another rollout's challenger: not counted
    watcher.pooled.write("kt", _replica(True))
    watcher.pooled.write("kt", _replica(True))
    champion, challenger = watcher.pooled.snapshots(spec)
    assert (champion.requests, challenger.requests, challenger.outcomes) == (45, 30, 30)
    assert challenger.online_auc == 1.0 and challenger.errors == 0
    pooled = [8.0 + n for n in range(15)] * 2  # both replicas' challenger latencies, not either one's
    assert challenger.p95_latency_ms == pytest.approx(float(np.percentile(pooled, 95)))
    assert watcher.pooled.prune(datetime.now(UTC) + timedelta(seconds=1)) == 8
    assert LiveMetrics().drain() == []  # nothing recorded: nothing written


def test_no_replica_alone_has_enough_but_together_they_advance(watcher: RolloutWatcher) -> None:
    _start(watcher)
    watcher.pooled.write("kt", _replica(True))
    assert watcher.judge_once() == []  # 15 < 20 requests: a hold, logged, not stored
    watcher.pooled.write("kt", _replica(True))
    [decision] = watcher.judge_once()
    assert decision.action is DecisionAction.ADVANCE and decision.traffic_after == 25.0
    assert [row["action"] for row in watcher.store.decisions(Slot.KT)] == ["advance", "start"]
    assert watcher.judge_once() == []  # the new step starts with an empty pool


def test_a_failing_challenger_is_rolled_back_and_the_router_config_follows(watcher: RolloutWatcher) -> None:
    _start(watcher)
    watcher.pooled.write("kt", _replica(False))
    watcher.pooled.write("kt", _replica(False))
    [decision] = watcher.judge_once()
    assert decision.action is DecisionAction.ROLLBACK and "error rate" in decision.reason
    stored = watcher.store.load(Slot.KT)
    assert stored is not None and stored.state is RolloutState.ROLLED_BACK and stored.traffic_percent == 0.0
    assert watcher.desired().rollouts["kt"] == stored  # what the next sync deploys
    assert watcher.judge_once() == []  # nothing running any more


def test_a_challenger_that_never_answers_is_aborted_on_the_next_tick(watcher: RolloutWatcher) -> None:
    """A version that does not exist fails every call; the watcher aborts at once instead of waiting for 20."""
    _start(watcher, "7")
    live = LiveMetrics()
    for _ in range(GATES.health_requests):
        live.record_request(V.CHAMPION, 5.0, ok=True, version="1")
        live.record_request(V.CHALLENGER, 1.0, ok=False, version="7")
    watcher.pooled.write("kt", live.drain())
    [decision] = watcher.judge_once()
    assert decision.action is DecisionAction.ABORT and "failed its health check" in decision.reason
    stored = watcher.store.load(Slot.KT)
    assert stored is not None and stored.state is RolloutState.ABORTED and stored.traffic_percent == 0.0
    assert not watcher.desired().rollouts["kt"].serving_challenger
