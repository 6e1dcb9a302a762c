"""Builder arguments and the recommendation API's request/response shapes (the response models live in
:mod:`pathwise.contract.recommendations`, shared with the platform; re-exported here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pathwise.contract.catalog import Catalog, demo_catalog
from pathwise.contract.recommendations import RecommendationOut, RecommendationsOut
from serving.rollout import RolloutSpec

__all__ = ["AppArgs", "EventIn", "RecommendationOut", "RecommendationsOut", "RouterConfig", "RuleConfig"]


class RuleConfig(BaseModel):
    """An instructor rule as pushed to the Router (parsed there; a bad one is rejected at reconfigure)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    source: str
    scope_kind: str = "course"
    scope_id: str
    priority: int = 0
    enabled: bool = True


class RouterConfig(BaseModel):
    """The Router's ``user_config``: changing it calls ``reconfigure()``, replicas keep running."""

    model_config = ConfigDict(extra="forbid")

    rollouts: dict[str, RolloutSpec] = Field(default_factory=dict)
    rules: list[RuleConfig] = Field(default_factory=list)
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    model_timeout_s: float = Field(2.0, gt=0, le=30)
    model_retries: int = Field(2, ge=0, le=5, description="retries on another replica when one dies mid-call")
    flush_interval_s: float = Field(2.0, gt=0, le=300, description="how often canary metrics and exposures are written")
    catalog: Catalog | None = Field(
        None, description="the platform's courses as the watcher last read them; None keeps the deployed catalog"
    )


class AppArgs(BaseModel):
    """Everything :func:`serving.app.build_app` needs; also accepted as ``serve run`` args."""

    model_config = ConfigDict(extra="forbid")

    mlflow_uri: str
    kt: RolloutSpec
    sequencer: RolloutSpec | None = Field(None, description="the RL policy slot, when one is registered")
    catalog: Catalog = Field(default_factory=demo_catalog)
    router: RouterConfig = Field(default_factory=RouterConfig)
    router_replicas: int = Field(1, ge=1, le=64)
    tracer_replicas: int = Field(1, ge=1, le=64)
    state_redis_url: str | None = Field(None, description="shared learner state in Redis; None: per replica")
    features_home: str | None = Field(None, description="PATHWISE_HOME whose Feast store seeds unseen learners")
    state_prefix: str = Field("pathwise:serving:", min_length=1, max_length=100)
    db_url: str | None = Field(None, description="application database: canary metrics and exposures go there")
    replica_cpus: float = Field(0.5, gt=0, le=16, description="CPUs reserved per replica of each deployment")
    home: str = Field(
        description="PATHWISE_HOME: where the platform's signing secret is kept unless PATHWISE_SECRET_KEY is set "
        "(never passed in the args, which the Serve controller keeps in plain text)"
    )


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skill: str = Field(min_length=1, max_length=100)
    item: str = Field(min_length=1, max_length=100)
    correct: bool
    seconds: float = Field(0.0, ge=0, le=86_400)
    at: datetime | None = None
