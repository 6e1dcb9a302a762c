"""The canary controller: a small state machine that advances, holds, promotes or rolls back a rollout.

Inputs are the live snapshots of both variants; the output is a :class:`RolloutDecision`
and a new spec. Every decision, holds included, is logged and handed to ``on_decision``
(the store writes it to ``rollout_decisions``), so ``pathwise rollout status`` can show why.
Rollback is immediate on any gate breach once the challenger has enough requests; advancing
needs enough requests, enough answered predictions and a minimum time at the step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pathwise.contract.rollout.metrics import VariantSnapshot
from pathwise.contract.rollout.spec import Gates, Mode, RolloutSpec, RolloutState
from pathwise.logs import get_logger


class DecisionAction(StrEnum):
    START = "start"
    HOLD = "hold"
    ADVANCE = "advance"
    PROMOTE = "promote"
    ROLLBACK = "rollback"
    ABORT = "abort"


@dataclass(frozen=True)
class RolloutDecision:
    slot: str
    action: DecisionAction
    from_state: RolloutState
    to_state: RolloutState
    traffic_before: float
    traffic_after: float
    reason: str
    at: datetime
    metrics: dict[str, Any] = field(default_factory=dict)
    #: The experiment the decision concerned: the versions compared, and how.
    champion: str | None = None
    challenger: str | None = None
    mode: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "action": str(self.action),
            "from_state": str(self.from_state),
            "to_state": str(self.to_state),
            "traffic_before": self.traffic_before,
            "traffic_after": self.traffic_after,
            "reason": self.reason,
            "at": self.at.isoformat(),
            "metrics": self.metrics,
            "champion": self.champion,
            "challenger": self.challenger,
            "mode": self.mode,
        }


class RolloutError(ValueError):
    """An operation that does not fit the rollout's current state (e.g. promoting an idle slot)."""


def breaches(gates: Gates, challenger: VariantSnapshot) -> list[str]:
    """The gates the challenger currently fails; empty until it has served ``min_requests``."""
    found: list[str] = []
    if challenger.requests >= gates.min_requests:
        if challenger.error_rate > gates.max_error_rate:
            found.append(f"error rate {challenger.error_rate:.2%} > {gates.max_error_rate:.2%}")
        if challenger.p95_latency_ms is not None and challenger.p95_latency_ms > gates.max_p95_latency_ms:
            found.append(f"p95 latency {challenger.p95_latency_ms:.1f} ms > {gates.max_p95_latency_ms:.1f} ms")
    auc = challenger.online_auc
    if challenger.outcomes >= gates.min_outcomes and auc is not None and auc < gates.min_online_auc:
        found.append(f"online AUC {challenger.online_auc:.3f} < {gates.min_online_auc:.3f}")
    return found


def unhealthy(gates: Gates, challenger: VariantSnapshot) -> bool:
    """The health check: the challenger was called ``health_requests`` times and never answered.

    A version that is missing or cannot load fails every call (the Router falls back to the
    champion each time); waiting for ``min_requests`` at a small step would take hours.
    """
    return challenger.requests >= gates.health_requests and challenger.errors == challenger.requests


def promotion_refusal(spec: RolloutSpec, challenger: VariantSnapshot) -> str | None:
    """Why a person may not promote the running challenger now, or None when they may.

    A promote by hand skips the remaining canary steps, so it needs what a step needs to be judged:
    the challenger has served ``min_requests`` and passes every gate on the pooled metrics. The
    platform API (the ML console) and ``pathwise rollout promote`` both apply it; the CLI's ``--force``
    overrides it with a recorded reason.
    """
    if spec.state != RolloutState.RUNNING or spec.challenger is None:
        return f"the {spec.slot} slot has no running rollout to promote"
    failed = breaches(spec.gates, challenger)
    if failed:
        return f"version {spec.challenger} fails its gates: " + "; ".join(failed)
    if challenger.requests < spec.gates.min_requests:
        return (
            f"version {spec.challenger} has served {challenger.requests} of the {spec.gates.min_requests} requests "
            "its gates need before it can be promoted"
        )
    return None


class CanaryController:
    """Holds one slot's spec and moves it through its states; never does I/O itself."""

    def __init__(
        self,
        spec: RolloutSpec,
        *,
        on_decision: Callable[[RolloutDecision, RolloutSpec], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.spec = spec
        self.decisions: list[RolloutDecision] = []
        self._on_decision = on_decision
        self._clock = clock
        self._log = get_logger("serving.rollout")

    def _decide(
        self, action: DecisionAction, new_spec: RolloutSpec, reason: str, metrics: dict[str, Any] | None = None
    ) -> RolloutDecision:
        # a promote ends the pair it promoted from (its new spec has no challenger); a start begins its new one
        pair = self.spec if action == DecisionAction.PROMOTE else new_spec
        decision = RolloutDecision(
            slot=str(self.spec.slot),
            action=action,
            from_state=self.spec.state,
            to_state=new_spec.state,
            traffic_before=self.spec.traffic_percent,
            traffic_after=new_spec.traffic_percent,
            reason=reason,
            at=self._clock(),
            metrics=metrics or {},
            champion=pair.champion,
            challenger=pair.challenger,
            mode=str(pair.mode),
        )
        self.spec = new_spec
        self.decisions.append(decision)
        self._log.info("rollout_decision", **decision.to_dict())
        if self._on_decision is not None:
            self._on_decision(decision, new_spec)
        return decision

    def _update(self, **changes: Any) -> RolloutSpec:
        return RolloutSpec.model_validate({**self.spec.model_dump(), **changes})

    def start(
        self,
        challenger: str,
        *,
        mode: Mode = Mode.CANARY,
        traffic_percent: float | None = None,
        steps: tuple[float, ...] | None = None,
        gates: Gates | None = None,
    ) -> RolloutDecision:
        if self.spec.state == RolloutState.RUNNING:
            raise RolloutError(f"a {self.spec.mode} rollout of version {self.spec.challenger} is already running")
        steps = steps or self.spec.steps
        if mode == Mode.CANARY:
            traffic = steps[0]
        elif mode == Mode.SHADOW:
            traffic = 0.0
        else:
            traffic = 50.0 if traffic_percent is None else traffic_percent
        new_spec = self._update(
            challenger=challenger,
            mode=mode,
            steps=steps,
            step_index=0,
            traffic_percent=traffic,
            gates=(gates or self.spec.gates).model_dump(),
            state=RolloutState.RUNNING,
            step_started_at=self._clock(),
        )
        return self._decide(DecisionAction.START, new_spec, f"{mode} of version {challenger} at {traffic:g}%")

    def evaluate(self, champion: VariantSnapshot, challenger: VariantSnapshot) -> RolloutDecision:
        """One tick: roll back on a breach, advance or promote when the step is proven, else hold."""
        if self.spec.state != RolloutState.RUNNING:
            raise RolloutError(f"the {self.spec.slot} slot has no running rollout (state {self.spec.state})")
        metrics = {"champion": champion.to_dict(), "challenger": challenger.to_dict()}
        if unhealthy(self.spec.gates, challenger):
            reason = (
                f"aborted: version {self.spec.challenger} failed its health check "
                f"(none of its {challenger.requests} calls answered)"
            )
            return self.abort(reason, metrics)
        failed = breaches(self.spec.gates, challenger)
        if failed:
            new_spec = self._update(traffic_percent=0.0, state=RolloutState.ROLLED_BACK, step_started_at=None)
            return self._decide(DecisionAction.ROLLBACK, new_spec, "gate breached: " + "; ".join(failed), metrics)
        if self.spec.mode != Mode.CANARY:
            return self._decide(
                DecisionAction.HOLD, self.spec, f"{self.spec.mode}: gates pass; promote by hand", metrics
            )
        waiting = self._waiting_for(challenger)
        if waiting:
            return self._decide(DecisionAction.HOLD, self.spec, "waiting for " + ", ".join(waiting), metrics)
        if self.spec.step_index + 1 >= len(self.spec.steps):
            return self.promote("every canary step passed its gates", metrics)
        index = self.spec.step_index + 1
        new_spec = self._update(step_index=index, traffic_percent=self.spec.steps[index], step_started_at=self._clock())
        return self._decide(DecisionAction.ADVANCE, new_spec, f"step {index} passed its gates", metrics)

    def _waiting_for(self, challenger: VariantSnapshot) -> list[str]:
        gates = self.spec.gates
        waiting: list[str] = []
        if challenger.requests < gates.min_requests:
            waiting.append(f"{gates.min_requests - challenger.requests} more requests")
        if challenger.outcomes < gates.min_outcomes:
            waiting.append(f"{gates.min_outcomes - challenger.outcomes} more outcomes")
        started = self.spec.step_started_at
        if started is not None:
            elapsed = (self._clock() - started).total_seconds()
            if elapsed < gates.min_step_seconds:
                waiting.append(f"{gates.min_step_seconds - elapsed:.0f} more seconds at this step")
        return waiting

    def promote(self, reason: str = "promoted by hand", metrics: dict[str, Any] | None = None) -> RolloutDecision:
        if self.spec.state != RolloutState.RUNNING or self.spec.challenger is None:
            raise RolloutError(f"the {self.spec.slot} slot has no running rollout to promote")
        new_spec = self._update(
            champion=self.spec.challenger,
            challenger=None,
            traffic_percent=0.0,
            step_index=0,
            state=RolloutState.PROMOTED,
            step_started_at=None,
        )
        return self._decide(DecisionAction.PROMOTE, new_spec, reason, metrics)

    def abort(self, reason: str = "aborted by hand", metrics: dict[str, Any] | None = None) -> RolloutDecision:
        if self.spec.state != RolloutState.RUNNING:
            raise RolloutError(f"the {self.spec.slot} slot has no running rollout to abort")
        new_spec = self._update(traffic_percent=0.0, state=RolloutState.ABORTED, step_started_at=None)
        return self._decide(DecisionAction.ABORT, new_spec, reason, metrics)
