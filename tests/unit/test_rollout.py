"""Rollout specs, sticky assignment and the canary state machine."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from serving.rollout import (
    CanaryController,
    DecisionAction,
    Gates,
    LiveMetrics,
    Mode,
    RolloutError,
    RolloutSpec,
    RolloutState,
    Slot,
    Variant,
    assign,
    bucket,
)

IDS = [f"learner-{i}" for i in range(100_000)]


@pytest.mark.parametrize("target", [5.0, 10.0, 25.0, 50.0, 90.0])
def test_sticky_split_is_within_one_point_of_target_over_100k_ids(target: float) -> None:
    share = sum(assign(i, target, slot="kt", salt="exp1") is Variant.CHALLENGER for i in IDS) / len(IDS) * 100
    assert abs(share - target) <= 1.0, share


@pytest.mark.parametrize("target", [0.0, 100.0])
def test_zero_and_full_traffic_are_exact(target: float) -> None:
    expected = Variant.CHALLENGER if target == 100 else Variant.CHAMPION
    assert all(assign(i, target, slot="kt") is expected for i in IDS[:5000])


def test_raising_traffic_only_moves_learners_towards_the_challenger() -> None:
    at5 = {i for i in IDS[:20_000] if assign(i, 5, slot="kt") is Variant.CHALLENGER}
    at25 = {i for i in IDS[:20_000] if assign(i, 25, slot="kt") is Variant.CHALLENGER}
    assert at5 < at25


def test_assignment_is_the_same_in_a_fresh_process() -> None:
    """Python's hash() is salted per process; our bucket must not be."""
    here = [bucket(i, slot="sequencer", salt="s") for i in IDS[:50]]
    code = (
        "from serving.rollout import bucket;"
        "print([bucket(f'learner-{i}', slot='sequencer', salt='s') for i in range(50)])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=None)
    assert out.stdout.strip() == str(here)


def test_slots_and_salts_assign_independently() -> None:
    kt = [assign(i, 50, slot="kt") for i in IDS[:2000]]
    seq = [assign(i, 50, slot="sequencer") for i in IDS[:2000]]
    agreement = sum(a == b for a, b in zip(kt, seq, strict=True)) / 2000
    assert 0.45 < agreement < 0.55


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"traffic_percent": 101}, "less than or equal to 100"),
        ({"traffic_percent": -1}, "greater than or equal to 0"),
        ({"challenger": None, "traffic_percent": 10}, "needs a challenger"),
        ({"challenger": "1"}, "must differ"),
        ({"steps": (5, 50, 25)}, "strictly increase"),
        ({"steps": (0, 50)}, "in (0, 100]"),
        ({"steps": ()}, "at least one step"),
        ({"step_index": 4}, "past the last step"),
        ({"mode": "shadow", "traffic_percent": 5}, "shadow mode serves no challenger"),
        ({"mode": "blue-green"}, "Input should be"),
        ({"champion": "latest"}, "String should match pattern"),
        ({"slot": "ranker"}, "Input should be"),
        ({"surprise": 1}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_specs_are_rejected(changes: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"slot": "kt", "model_name": "pathwise-bkt", "champion": "1", "challenger": "2"}
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)").replace("]", r"\]")):
        RolloutSpec.model_validate({**base, **changes})


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


GATES = Gates(
    max_error_rate=0.02,
    max_p95_latency_ms=40,
    min_online_auc=0.65,
    min_requests=100,
    min_outcomes=50,
    min_step_seconds=60,
)


def feed(
    metrics: LiveMetrics, variant: Variant, *, n: int, fail_every: int = 0, latency: float = 5.0, auc_good: bool = True
) -> None:
    rng = random.Random(7)
    for k in range(n):
        metrics.record_request(variant, latency + rng.random(), ok=not (fail_every and k % fail_every == 0))
        correct = rng.random() < 0.6
        signal = (0.7 if correct else 0.3) if auc_good else rng.random()
        metrics.record_outcome(variant, min(1.0, max(0.0, signal + rng.gauss(0, 0.15))), correct)


def controller(clock: Clock, log: list[tuple[str, str]]) -> CanaryController:
    spec = RolloutSpec(slot=Slot.KT, model_name="pathwise-bkt", champion="1", gates=GATES)
    return CanaryController(spec, clock=clock, on_decision=lambda d, s: log.append((str(d.action), str(s.state))))


def run_canary(
    ctl: CanaryController, clock: Clock, *, fail_every: int = 0, latency: float = 5.0, auc_good: bool = True
) -> list[DecisionAction]:
    actions = []
    for _ in range(10):
        if ctl.spec.state != RolloutState.RUNNING:
            break
        metrics = LiveMetrics()
        feed(metrics, Variant.CHAMPION, n=200)
        feed(metrics, Variant.CHALLENGER, n=200, fail_every=fail_every, latency=latency, auc_good=auc_good)
        clock.now += timedelta(seconds=61)
        actions.append(ctl.evaluate(metrics.snapshot(Variant.CHAMPION), metrics.snapshot(Variant.CHALLENGER)).action)
    return actions


def test_a_healthy_canary_walks_every_step_then_promotes() -> None:
    clock, log = Clock(), []
    ctl = controller(clock, log)
    ctl.start("2")
    assert ctl.spec.traffic_percent == 5
    assert run_canary(ctl, clock) == [DecisionAction.ADVANCE] * 3 + [DecisionAction.PROMOTE]
    assert [d.traffic_after for d in ctl.decisions] == [5, 25, 50, 100, 0]
    assert ctl.spec.champion == "2" and ctl.spec.challenger is None and ctl.spec.state == RolloutState.PROMOTED
    assert log[0] == ("start", "running") and log[-1] == ("promote", "promoted")


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"fail_every": 5}, "error rate"),
        ({"latency": 80.0}, "p95 latency"),
        ({"auc_good": False}, "online AUC"),
    ],
)
def test_an_injected_failing_challenger_is_rolled_back(kwargs: dict[str, object], reason: str) -> None:
    clock, log = Clock(), []
    ctl = controller(clock, log)
    ctl.start("2")
    assert run_canary(ctl, clock, **kwargs) == [DecisionAction.ROLLBACK]  # type: ignore[arg-type]
    last = ctl.decisions[-1]
    assert reason in last.reason and last.traffic_after == 0 and last.metrics["challenger"]["requests"] == 200
    assert ctl.spec.state == RolloutState.ROLLED_BACK and ctl.spec.champion == "1"
    assert log[-1] == ("rollback", "rolled_back")


def test_holds_until_enough_evidence_and_time() -> None:
    clock, log = Clock(), []
    ctl = controller(clock, log)
    ctl.start("2")
    metrics = LiveMetrics()
    feed(metrics, Variant.CHALLENGER, n=30)
    decision = ctl.evaluate(metrics.snapshot(Variant.CHAMPION), metrics.snapshot(Variant.CHALLENGER))
    assert decision.action is DecisionAction.HOLD
    assert (
        "70 more requests" in decision.reason and "20 more outcomes" in decision.reason and "seconds" in decision.reason
    )
    assert ctl.spec.traffic_percent == 5


def test_shadow_serves_nothing_and_ab_never_auto_advances() -> None:
    clock, log = Clock(), []
    ctl = controller(clock, log)
    ctl.start("2", mode=Mode.SHADOW)
    assert ctl.spec.traffic_percent == 0 and ctl.spec.shadowing and not ctl.spec.serving_challenger
    assert run_canary(ctl, clock)[:2] == [DecisionAction.HOLD, DecisionAction.HOLD]
    ctl.abort("done looking")
    ctl.start("3", mode=Mode.AB, traffic_percent=30)
    assert ctl.spec.serving_challenger and ctl.spec.traffic_percent == 30
    assert run_canary(ctl, clock, fail_every=3)[-1] is DecisionAction.ROLLBACK


def test_operations_out_of_order_are_refused() -> None:
    clock, log = Clock(), []
    ctl = controller(clock, log)
    with pytest.raises(RolloutError, match="no running rollout"):
        ctl.promote()
    with pytest.raises(RolloutError, match="no running rollout"):
        ctl.abort()
    ctl.start("2")
    with pytest.raises(RolloutError, match="already running"):
        ctl.start("3")
    ctl.abort()
    with pytest.raises(ValidationError, match="must differ"):
        ctl.start("1")  # the champion cannot challenge itself


def test_a_challenger_that_never_answers_fails_its_health_check_and_is_aborted() -> None:
    """Every call to a missing or broken version fails; the canary stops long before ``min_requests``."""
    clock, log = Clock(), []
    ctl = controller(clock, log)
    ctl.start("2")
    metrics = LiveMetrics()
    feed(metrics, Variant.CHAMPION, n=100)
    for _ in range(GATES.health_requests - 1):
        metrics.record_request(Variant.CHALLENGER, 3.0, ok=False)
    early = ctl.evaluate(metrics.snapshot(Variant.CHAMPION), metrics.snapshot(Variant.CHALLENGER))
    assert early.action is DecisionAction.HOLD  # too few calls to judge yet
    metrics.record_request(Variant.CHALLENGER, 3.0, ok=False)
    decision = ctl.evaluate(metrics.snapshot(Variant.CHAMPION), metrics.snapshot(Variant.CHALLENGER))
    assert decision.action is DecisionAction.ABORT and decision.traffic_after == 0
    assert (
        decision.reason
        == f"aborted: version 2 failed its health check (none of its {GATES.health_requests} calls answered)"
    )
    assert ctl.spec.state == RolloutState.ABORTED and ctl.spec.champion == "1"
    assert log[-1] == ("abort", "aborted")


def test_one_answer_passes_the_health_check() -> None:
    clock, log = Clock(), []
    ctl = controller(clock, log)
    ctl.start("2")
    metrics = LiveMetrics()
    for n in range(GATES.health_requests + 3):
        metrics.record_request(Variant.CHALLENGER, 3.0, ok=n == 0)
    assert ctl.evaluate(metrics.snapshot(Variant.CHAMPION), metrics.snapshot(Variant.CHALLENGER)).action is (
        DecisionAction.HOLD
    )
