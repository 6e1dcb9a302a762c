"""Shapes of the ML console's answers: registry, rollouts with their gate metrics, experiment reports."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pathwise.contract.rollout.spec import Gates
from platform_api.core.timestamps import Timestamp

#: What MLflow accepts as a registered model name here (it is quoted into a search filter).
MODEL_NAME = r"^[A-Za-z0-9_.\-]{1,200}$"
PlotKind = Literal["roc", "reliability"]
SlotName = Literal["kt", "sequencer"]


class ModelSummary(BaseModel):
    name: str
    description: str
    aliases: dict[str, str] = Field(description="alias → version, e.g. champion → 3")
    versions: int
    latest_version: str | None
    updated_at: Timestamp | None


class ModelVersionPublic(BaseModel):
    version: str
    status: str
    created_at: Timestamp | None
    aliases: list[str]
    run_id: str | None
    metrics: dict[str, float] = Field(description="the training run's logged metrics")
    tags: dict[str, str] = Field(description="the version's tags (validation status, test metrics, ids)")
    data_digest: dict[str, str] = Field(description="digests of the data the run trained and tested on")
    git_commit: str | None
    feature_service: str | None
    dataset: str | None
    plots: list[PlotKind] = Field(description="the plots the run logged; empty when it logged none")


class ModelDetail(BaseModel):
    name: str
    description: str
    aliases: dict[str, str]
    versions: list[ModelVersionPublic]


class DecisionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: Timestamp
    action: str
    from_state: str
    to_state: str
    traffic_before: float
    traffic_after: float
    reason: str
    champion: str | None
    challenger: str | None
    mode: str | None


class RolloutPublic(BaseModel):
    slot: SlotName
    model_name: str
    serving: str = Field(description="one sentence: which versions serve the slot now")
    stored: bool = Field(description="false when no rollout was ever started: the registry's champion serves")
    champion: str | None
    challenger: str | None
    mode: str
    state: str
    traffic_percent: float
    steps: list[float]
    step_index: int
    step_started_at: Timestamp | None
    gates: Gates
    versions: list[str] = Field(description="the registered versions of the slot's model, newest first")
    decisions: list[DecisionPublic]


class RolloutStart(BaseModel):
    """What ``pathwise rollout start`` takes, plus the canary steps and gates it leaves at their defaults."""

    model_config = ConfigDict(extra="forbid")

    challenger: str = Field(pattern=r"^[0-9]{1,9}$", description="registry version number of the challenger")
    mode: Literal["ab", "canary", "shadow"] = "canary"
    traffic_percent: float | None = Field(None, ge=0, le=100, description="A/B only: the challenger's share")
    steps: list[float] | None = Field(None, min_length=1, max_length=10, description="canary steps, in percent")
    gates: Gates | None = None


class VariantMetrics(BaseModel):
    variant: Literal["champion", "challenger"]
    version: str | None
    requests: int
    errors: int
    error_rate: float
    p95_latency_ms: float | None
    outcomes: int
    online_auc: float | None


class MetricPoint(BaseModel):
    at: Timestamp
    variant: Literal["champion", "challenger"]
    requests: int
    error_rate: float
    p95_latency_ms: float | None
    online_auc: float | None


class GateMetrics(BaseModel):
    slot: SlotName
    state: str
    step_index: int
    traffic_percent: float
    step_started_at: Timestamp | None
    gates: Gates
    variants: list[VariantMetrics]
    series: list[MetricPoint] = Field(description="each variant's pooled metrics after each flush, oldest first")


class ExperimentVariant(BaseModel):
    variant: str
    version: str | None
    traffic_percent: float | None
    exposures: int


class ExperimentSummary(BaseModel):
    name: str
    slot: str
    status: str
    mode: str | None
    model_name: str | None
    started_at: Timestamp | None
    exposures: int
    variants: list[ExperimentVariant]


class Interval(BaseModel):
    n: int
    estimate: float | None
    low: float | None
    high: float | None


class Difference(Interval):
    p_value: float
    significant: bool


class VariantReport(BaseModel):
    variant: str
    learners: int
    metrics: dict[str, Interval]


class ComparisonReport(BaseModel):
    variant: str
    metrics: dict[str, Difference]


class ExperimentReport(BaseModel):
    experiment: str
    alpha: float
    control: str
    method: str
    metrics: list[str]
    variants: list[VariantReport]
    comparisons: list[ComparisonReport]
