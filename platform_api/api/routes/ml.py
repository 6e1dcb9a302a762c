"""The ML engineer console: model registry, rollouts per slot with their live gates, experiment reports.

``models:read`` sees everything here; ``models:write`` starts, promotes and aborts rollouts. Rollouts
run through the same controller and store as ``pathwise rollout`` (see :mod:`platform_api.domain.ml.rollouts`),
and a refused promote answers problem+json naming the server's reason.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pathwise.contract.rollout.controller import RolloutDecision
from pathwise.contract.rollout.spec import Slot
from pathwise.contract.rollout.store import RolloutStore
from platform_api.api.deps import CurrentUser, Permit, SessionDep, SettingsDep, forbidden
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.experiments.listing import list_experiments
from platform_api.domain.experiments.report import METRICS, UnknownExperiment, build_report
from platform_api.domain.ml import registry, rollouts
from platform_api.domain.ml.schemas import (
    MODEL_NAME,
    ComparisonReport,
    Difference,
    ExperimentReport,
    ExperimentSummary,
    ExperimentVariant,
    GateMetrics,
    Interval,
    ModelDetail,
    ModelSummary,
    PlotKind,
    RolloutPublic,
    RolloutStart,
    SlotName,
    VariantReport,
)
from platform_api.domain.org.models import OrgUnit
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1", tags=["ml"])


def operates_models(session: Session, principal: Principal) -> bool:
    """Whether the principal's tenant runs the deployment's models: the first tenant (lowest root org unit).

    The registry and the serving slots are shared by every tenant, so only one tenant's staff may see
    or steer them; to any other tenant they do not exist (empty lists, 404 for a named one).
    """
    first = session.scalar(select(func.min(OrgUnit.id)).where(OrgUnit.parent_id.is_(None)))
    return principal.tenant_id == first


class NamedPermit(Permit):
    """:class:`Permit` for routes named by model, slot or experiment names rather than numeric ids.

    Tenant-wide (``on="any"``) and only in the tenant that operates the models (:func:`operates_models`).
    """

    def __call__(self, request: Request, session: SessionDep, principal: CurrentUser) -> Principal:
        if not principal.holds_anywhere(self.permission):
            raise forbidden(self.permission, self.refusal)
        if request.path_params and not operates_models(session, principal):
            raise ProblemError(404, f"{request.url.path} not found")
        return principal


def ml_permit(permission: str) -> Any:
    return Depends(NamedPermit(permission))


ModelName = Annotated[str, Path(pattern=MODEL_NAME, description="registered model name, e.g. pathwise-bkt")]
Version = Annotated[str, Path(pattern=r"^[0-9]{1,9}$")]
Experiment = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,200}$", description="e.g. kt-v1-vs-v2")]
Reader = Annotated[Principal, ml_permit("models:read")]
Writer = Annotated[Principal, ml_permit("models:write")]


def _store(session: SessionDep) -> RolloutStore:
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    session.close()  # the store writes through the engine; leave no read transaction open on SQLite
    return RolloutStore(bind)


@router.get("/models", response_model=list[ModelSummary], summary="Registered models with their aliases")
def list_models(session: SessionDep, settings: SettingsDep, principal: Reader) -> list[ModelSummary]:
    if not operates_models(session, principal):
        return []
    return registry.list_models(registry.client(settings.mlflow_uri))


@router.get("/models/{name}", response_model=ModelDetail, summary="A model's versions: metrics, tags, data, plots")
def model_detail(name: ModelName, settings: SettingsDep, principal: Reader) -> ModelDetail:
    return registry.model_detail(registry.client(settings.mlflow_uri), name)


@router.get(
    "/models/{name}/versions/{version}/plots/{kind}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "the PNG the version's run logged"}},
    summary="A ROC or reliability plot logged with a model version",
)
def model_plot(name: ModelName, version: Version, kind: PlotKind, settings: SettingsDep, principal: Reader) -> Response:
    data = registry.plot_png(registry.client(settings.mlflow_uri), name, version, kind)
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/rollouts", response_model=list[RolloutPublic], summary="Every model slot: who serves, the rollout")
def list_rollouts(session: SessionDep, settings: SettingsDep, principal: Reader) -> list[RolloutPublic]:
    if not operates_models(session, principal):
        return []
    store, mlflow = _store(session), registry.client(settings.mlflow_uri)
    return [rollouts.rollout_view(store, mlflow, slot, limit=20) for slot in Slot]


@router.get("/rollouts/{slot}", response_model=RolloutPublic, summary="One slot's rollout and decision log")
def get_rollout(slot: SlotName, session: SessionDep, settings: SettingsDep, principal: Reader) -> RolloutPublic:
    return rollouts.rollout_view(_store(session), registry.client(settings.mlflow_uri), Slot(slot))


@router.get("/rollouts/{slot}/metrics", response_model=GateMetrics, summary="Live gate metrics of the current step")
def rollout_metrics(slot: SlotName, session: SessionDep, settings: SettingsDep, principal: Reader) -> GateMetrics:
    store = _store(session)
    return rollouts.gate_metrics(store.engine, store, registry.client(settings.mlflow_uri), Slot(slot))


def _changed(
    session: SessionDep, settings: SettingsDep, principal: Principal, slot: str, decision: RolloutDecision
) -> RolloutPublic:
    """Announce the decision (the audit trail names who) and answer with the slot as it is now."""
    emit(
        session,
        f"rollout.{decision.action}",
        tenant_id=principal.tenant_id,
        data={"slot": slot, "actor_id": principal.user.id, **decision.to_dict()},
    )
    session.commit()
    return rollouts.rollout_view(_store(session), registry.client(settings.mlflow_uri), Slot(slot))


@router.post("/rollouts/{slot}/start", response_model=RolloutPublic, summary="Start an A/B, canary or shadow rollout")
def start_rollout(
    slot: SlotName, body: RolloutStart, session: SessionDep, settings: SettingsDep, principal: Writer
) -> RolloutPublic:
    decision = rollouts.start(_store(session), registry.client(settings.mlflow_uri), Slot(slot), body)
    return _changed(session, settings, principal, slot, decision)


@router.post(
    "/rollouts/{slot}/promote",
    response_model=RolloutPublic,
    summary="Make the running challenger the champion (refused with the reason unless its gates allow it)",
)
def promote_rollout(slot: SlotName, session: SessionDep, settings: SettingsDep, principal: Writer) -> RolloutPublic:
    mlflow = registry.client(settings.mlflow_uri)
    decision = rollouts.promote(_store(session), mlflow, Slot(slot), principal.user.email)
    return _changed(session, settings, principal, slot, decision)


@router.post("/rollouts/{slot}/abort", response_model=RolloutPublic, summary="Stop the running rollout")
def abort_rollout(slot: SlotName, session: SessionDep, settings: SettingsDep, principal: Writer) -> RolloutPublic:
    mlflow = registry.client(settings.mlflow_uri)
    decision = rollouts.abort(_store(session), mlflow, Slot(slot), principal.user.email)
    return _changed(session, settings, principal, slot, decision)


@router.get("/experiments", response_model=list[ExperimentSummary], summary="Every experiment stored")
def experiments(session: SessionDep, principal: Reader) -> list[ExperimentSummary]:
    if not operates_models(session, principal):
        return []
    found = list_experiments(session.connection())
    return [
        ExperimentSummary(
            name=e.name,
            slot=e.slot,
            status=e.status,
            mode=e.mode,
            model_name=e.model_name,
            started_at=e.started_at,
            exposures=e.exposures,
            variants=[
                ExperimentVariant(
                    variant=v.variant, version=v.version, traffic_percent=v.traffic_percent, exposures=v.exposures
                )
                for v in e.variants.values()
            ],
        )
        for e in found
    ]


def _interval(raw: dict[str, Any]) -> dict[str, Any]:
    estimate = raw.get("estimate")
    return {**raw, "estimate": None if estimate is None or math.isnan(estimate) else estimate}


@router.get(
    "/experiments/{key}/report",
    response_model=ExperimentReport,
    summary="Per-variant outcomes with always-valid confidence sequences",
)
def experiment_report(key: Experiment, session: SessionDep, principal: Reader) -> ExperimentReport:
    try:
        raw = build_report(session, key)
    except UnknownExperiment as error:
        raise ProblemError(404, str(error)) from None
    return ExperimentReport(
        experiment=raw["experiment"],
        alpha=raw["alpha"],
        control=raw["control"],
        method=raw["method"],
        metrics=list(METRICS),
        variants=[
            VariantReport(
                variant=variant,
                learners=data["learners"],
                metrics={m: Interval(**_interval(data[m])) for m in METRICS},
            )
            for variant, data in raw["variants"].items()
        ],
        comparisons=[
            ComparisonReport(variant=variant, metrics={m: Difference(**_interval(data[m])) for m in METRICS})
            for variant, data in raw["comparisons"].items()
        ],
    )
