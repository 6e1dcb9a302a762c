"""Rollouts per model slot as the console drives them: the same controller and store as ``pathwise rollout``.

Start, promote and abort go through :class:`pathwise.contract.rollout.controller.CanaryController` with
the decision stored by :class:`~pathwise.contract.rollout.store.RolloutStore`, so a running serving app
applies them on its watcher's next tick, exactly as after the CLI. The API adds one rule of its own:
a promote by hand must pass :func:`~pathwise.contract.rollout.controller.promotion_refusal`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, select

from pathwise.contract.rollout.assign import Variant
from pathwise.contract.rollout.controller import CanaryController, RolloutDecision, RolloutError, promotion_refusal
from pathwise.contract.rollout.metrics import VariantSnapshot
from pathwise.contract.rollout.pooled import PooledMetrics
from pathwise.contract.rollout.spec import Mode, RolloutSpec, Slot, serving_sentence
from pathwise.contract.rollout.store import RolloutStore
from pathwise.contract.tables import rollout_metrics
from pathwise.registry import BKT_MODEL, CHAMPION, SEQUENCER_MODEL, alias_version, version_problem
from platform_api.core.errors import ProblemError
from platform_api.domain.ml.registry import version_numbers
from platform_api.domain.ml.schemas import (
    DecisionPublic,
    GateMetrics,
    MetricPoint,
    RolloutPublic,
    RolloutStart,
    VariantMetrics,
)

#: The registered model each slot serves when no rollout names one (serving's defaults).
SLOT_MODELS = {Slot.KT: BKT_MODEL, Slot.SEQUENCER: SEQUENCER_MODEL}
SERIES_POINTS = 60


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def current_spec(store: RolloutStore, mlflow: Any, slot: Slot) -> tuple[RolloutSpec | None, bool]:
    """(the stored spec, True), else (the registry champion alone, False), else (None, False)."""
    stored = store.load(slot)
    if stored is not None:
        return stored, True
    name = SLOT_MODELS[slot]
    champion = alias_version(mlflow, name, CHAMPION)
    if champion is None and slot == Slot.SEQUENCER:  # serving falls back to the newest policy version
        champion = next(iter(version_numbers(mlflow, name)), None)
    return (RolloutSpec(slot=slot, model_name=name, champion=champion), False) if champion else (None, False)


def rollout_view(store: RolloutStore, mlflow: Any, slot: Slot, limit: int = 50) -> RolloutPublic:
    spec, stored = current_spec(store, mlflow, slot)
    name = spec.model_name if spec else SLOT_MODELS[slot]
    decisions = [DecisionPublic.model_validate(row) for row in store.decisions(slot, limit)]
    if spec is None:
        return RolloutPublic(
            slot=slot.value,
            model_name=name,
            serving=f"nothing serves slot {slot}: no rollout is stored and {name!r} has no champion",
            stored=False,
            champion=None,
            challenger=None,
            mode="canary",
            state="idle",
            traffic_percent=0.0,
            steps=list(RolloutSpec.model_fields["steps"].default),
            step_index=0,
            step_started_at=None,
            gates=RolloutSpec.model_fields["gates"].default,
            versions=version_numbers(mlflow, name),
            decisions=decisions,
        )
    serving = (
        serving_sentence(spec)
        if stored
        else f"{name} v{spec.champion} serves every learner (the registry's champion; no rollout has been started)"
    )
    return RolloutPublic(
        slot=slot.value,
        model_name=name,
        serving=serving,
        stored=stored,
        champion=spec.champion,
        challenger=spec.challenger,
        mode=str(spec.mode),
        state=str(spec.state),
        traffic_percent=spec.traffic_percent,
        steps=list(spec.steps),
        step_index=spec.step_index,
        step_started_at=spec.step_started_at,
        gates=spec.gates,
        versions=version_numbers(mlflow, name),
        decisions=decisions,
    )


def _controller(store: RolloutStore, mlflow: Any, slot: Slot) -> CanaryController:
    spec, stored = current_spec(store, mlflow, slot)
    if spec is None:
        raise ProblemError(409, f"{SLOT_MODELS[slot]!r} has no champion in the registry; register one before a rollout")
    if not stored:
        store.save(spec)
    return CanaryController(spec, on_decision=store.record)


def start(store: RolloutStore, mlflow: Any, slot: Slot, body: RolloutStart) -> RolloutDecision:
    """``pathwise rollout start``'s checks and controller call, with the canary steps and gates as given."""
    if body.traffic_percent is not None and body.mode != Mode.AB:
        raise ProblemError(
            422,
            f"traffic_percent sets an A/B split (mode ab); a {body.mode} chooses its own traffic",
            errors=[{"location": "body.traffic_percent", "message": "only for mode ab"}],
        )
    controller = _controller(store, mlflow, slot)
    name = controller.spec.model_name
    if body.challenger == controller.spec.champion:
        raise ProblemError(
            422,
            f"version {body.challenger} is already the champion of {name!r}; start a rollout of another version",
            errors=[{"location": "body.challenger", "message": "already the champion"}],
        )
    problem = version_problem(mlflow, name, body.challenger)
    if problem is not None:
        raise ProblemError(422, problem, errors=[{"location": "body.challenger", "message": problem}])
    try:
        return controller.start(
            body.challenger,
            mode=Mode(body.mode),
            traffic_percent=body.traffic_percent,
            steps=tuple(body.steps) if body.steps else None,
            gates=body.gates,
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise ProblemError(422, f"the rollout was not started: {first['msg']}") from None
    except RolloutError as error:
        raise ProblemError(409, f"the rollout was not started: {error}") from None


def promote(store: RolloutStore, mlflow: Any, slot: Slot, actor: str) -> RolloutDecision:
    controller = _controller(store, mlflow, slot)
    _, challenger = PooledMetrics(store.engine).snapshots(controller.spec)
    refusal = promotion_refusal(controller.spec, challenger)
    if refusal is not None:
        raise ProblemError(409, f"not promoted: {refusal}", title="Promotion refused")
    metrics = {"challenger": challenger.to_dict()}
    return controller.promote(f"promoted by hand by {actor}", metrics)


def abort(store: RolloutStore, mlflow: Any, slot: Slot, actor: str) -> RolloutDecision:
    controller = _controller(store, mlflow, slot)
    try:
        return controller.abort(f"aborted by hand by {actor}")
    except RolloutError as error:
        raise ProblemError(409, str(error)) from None


def gate_metrics(engine: Engine, store: RolloutStore, mlflow: Any, slot: Slot) -> GateMetrics:
    """The current step's pooled metrics per variant (what the watcher judges) and their course over time."""
    spec, _ = current_spec(store, mlflow, slot)
    if spec is None:
        raise ProblemError(404, f"slot {slot} has no rollout and its model has no champion")
    versions = {Variant.CHAMPION: spec.champion, Variant.CHALLENGER: spec.challenger}
    query = select(rollout_metrics).where(rollout_metrics.c.slot == str(slot)).order_by(rollout_metrics.c.at)
    if spec.step_started_at is not None:
        query = query.where(rollout_metrics.c.at >= spec.step_started_at)
    pools: dict[Variant, dict[str, Any]] = defaultdict(
        lambda: {"latencies": [], "errors": 0, "predictions": [], "labels": []}
    )
    points: list[tuple[datetime, Variant, VariantSnapshot]] = []
    with engine.connect() as conn:
        rows = list(conn.execute(query)) if spec.challenger is not None else []
    first_point = len(rows) - SERIES_POINTS * 2  # older batches count in the pools, not as chart points
    for index, row in enumerate(rows):
        variant = Variant(row.variant)
        if row.version != versions[variant]:
            continue  # another rollout's batch, as the watcher skips it
        pool = pools[variant]
        pool["latencies"] += row.latencies_ms
        pool["errors"] += row.errors
        pool["predictions"] += row.predictions
        pool["labels"] += row.labels
        if index >= first_point:
            points.append((_aware(row.at), variant, VariantSnapshot.of(**_args(pool))))
    variants = []
    for variant in Variant:
        snap = VariantSnapshot.of(**_args(pools[variant])) if variant in pools else VariantSnapshot(0, 0, None, 0, None)
        variants.append(VariantMetrics(variant=variant.value, version=versions[variant], **snap.to_dict()))
    series = [
        MetricPoint(
            at=at,
            variant=variant.value,
            requests=snap.requests,
            error_rate=round(snap.error_rate, 6),
            p95_latency_ms=snap.p95_latency_ms,
            online_auc=snap.online_auc,
        )
        for at, variant, snap in points[-SERIES_POINTS:]
    ]
    return GateMetrics(
        slot=slot.value,
        state=str(spec.state),
        step_index=spec.step_index,
        traffic_percent=spec.traffic_percent,
        step_started_at=spec.step_started_at,
        gates=spec.gates,
        variants=variants,
        series=series,
    )


def _args(pool: dict[str, Any]) -> dict[str, Any]:
    return {
        "latencies": pool["latencies"],
        "errors": pool["errors"],
        "predictions": pool["predictions"],
        "labels": pool["labels"],
    }
