"""Feast objects: entities, sources, feature views and the versioned FeatureServices.

Built by :func:`build_definitions` rather than at import time, because the batch sources
depend on settings (parquet folders under ``PATHWISE_HOME`` or PostgreSQL tables).
Names carry their role: ``*_fv`` feature views, ``*_push_source`` push sources, and one
``<consumer>_v<N>`` FeatureService per model consumer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FunctionType
from typing import cast

import pandas as pd
from feast import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, RequestSource, ValueType
from feast.data_source import DataSource
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.types import Float64, Int64, UnixTimestamp

from features.transforms import ENGAGEMENT, ITEM_STATS, LEARNER_SKILL

ITEM_IRT = "item_irt_fv"
RECENCY = "learner_recency_odfv"
#: No expiry: counts and mastery stay valid until the next event changes them.
NO_TTL = timedelta(0)
TIMESTAMP = "event_timestamp"


def _entities() -> dict[str, Entity]:
    return {
        "learner": Entity(
            name="learner", join_keys=["learner_id"], value_type=ValueType.STRING, description="A learner"
        ),
        "skill": Entity(name="skill", join_keys=["skill_id"], value_type=ValueType.STRING, description="A skill (KC)"),
        "item": Entity(name="item", join_keys=["item_id"], value_type=ValueType.STRING, description="An item"),
        "course": Entity(name="course", join_keys=["course_id"], value_type=ValueType.STRING, description="A course"),
    }


def days_since_last_activity(inputs: pd.DataFrame) -> pd.DataFrame:
    """Whole and fractional days between the last activity and the request's ``as_of``."""
    as_of = pd.to_datetime(inputs["as_of"], utc=True)
    last = pd.to_datetime(inputs["last_activity_at"], utc=True)
    out = pd.DataFrame()
    out["days_since_last_activity"] = ((as_of - last).dt.total_seconds() / 86400.0).astype("float64")
    return out


@dataclass(frozen=True)
class Definitions:
    """Everything ``apply`` registers, plus lookup by name for pushes and reads."""

    entities: list[Entity]
    sources: dict[str, DataSource]
    push_sources: dict[str, PushSource]
    views: dict[str, FeatureView]
    on_demand: dict[str, OnDemandFeatureView]
    services: dict[str, FeatureService]

    def objects(self) -> list[object]:
        return [
            *self.entities,
            *self.sources.values(),
            *self.push_sources.values(),
            *self.views.values(),
            *self.on_demand.values(),
            *self.services.values(),
        ]


SourceFactory = Callable[[str], DataSource]


def file_sources(offline_dir: Path) -> SourceFactory:
    """Parquet datasets partitioned by date (``<view>/date=YYYY-MM-DD/part-*.parquet``)."""

    def make(view: str) -> DataSource:
        return FileSource(
            name=f"{view.removesuffix('_fv')}_batch_source",
            path=str(offline_dir / view),
            timestamp_field=TIMESTAMP,
        )

    return make


def postgres_sources() -> SourceFactory:
    """One table per feature view (``feat_<view>``) in the PostgreSQL offline store."""
    from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import PostgreSQLSource

    def make(view: str) -> DataSource:
        return PostgreSQLSource(
            name=f"{view.removesuffix('_fv')}_batch_source",
            table=f"feat_{view}",
            timestamp_field=TIMESTAMP,
        )

    return make


def build_definitions(make_source: SourceFactory) -> Definitions:
    """The whole feature repo for one offline store."""
    entities = _entities()
    learner, skill, item = entities["learner"], entities["skill"], entities["item"]
    #: Request-time input of the recency view: the moment the features are read for.
    as_of_request = RequestSource(name="as_of_request", schema=[Field(name="as_of", dtype=UnixTimestamp)])
    batch = {view: make_source(view) for view in (LEARNER_SKILL, ENGAGEMENT, ITEM_STATS, ITEM_IRT)}
    push = {
        view: PushSource(name=f"{view.removesuffix('_fv')}_push_source", batch_source=batch[view])
        for view in (LEARNER_SKILL, ENGAGEMENT, ITEM_STATS)
    }
    learner_skill_fv = FeatureView(
        name=LEARNER_SKILL,
        entities=[learner, skill],
        ttl=NO_TTL,
        schema=[
            Field(name="attempts", dtype=Int64),
            Field(name="corrects", dtype=Int64),
            Field(name="streak", dtype=Int64),
            Field(name="last_attempt_at", dtype=UnixTimestamp),
            Field(name="mean_response_time_s", dtype=Float64),
            Field(name="bkt_mastery", dtype=Float64),
        ],
        source=push[LEARNER_SKILL],
        online=True,
        description="Learner x skill performance, updated per answer",
    )
    engagement_fv = FeatureView(
        name=ENGAGEMENT,
        entities=[learner],
        ttl=NO_TTL,
        schema=[
            Field(name="active_minutes_1d", dtype=Float64),
            Field(name="active_minutes_7d", dtype=Float64),
            Field(name="video_watch_pct", dtype=Float64),
            Field(name="sessions", dtype=Int64),
            Field(name="last_activity_at", dtype=UnixTimestamp),
        ],
        source=push[ENGAGEMENT],
        online=True,
        description="Learner engagement, as of the learner's last event",
    )
    item_stats_fv = FeatureView(
        name=ITEM_STATS,
        entities=[item],
        ttl=NO_TTL,
        schema=[
            Field(name="item_attempts", dtype=Int64),
            Field(name="item_p_correct", dtype=Float64),
            Field(name="item_mean_time_s", dtype=Float64),
        ],
        source=push[ITEM_STATS],
        online=True,
        description="Item statistics, updated per answer",
    )
    item_irt_fv = FeatureView(
        name=ITEM_IRT,
        entities=[item],
        ttl=NO_TTL,
        schema=[Field(name="irt_difficulty", dtype=Float64), Field(name="irt_discrimination", dtype=Float64)],
        source=batch[ITEM_IRT],
        online=True,
        description="IRT parameters, written by each calibration run (empty until the first one)",
    )
    # Built directly rather than with the decorator, which renames the function's module to
    # ``__main__`` and so breaks when the definitions are built a second time in one process.
    recency = OnDemandFeatureView(
        name=RECENCY,
        sources=[engagement_fv, as_of_request],
        schema=[Field(name="days_since_last_activity", dtype=Float64)],
        mode="pandas",
        udf=cast(FunctionType, days_since_last_activity),
        udf_string=inspect.getsource(days_since_last_activity),
        description="Days since the learner's last activity, at read time",
    )
    services = {
        "kt_v1": FeatureService(
            name="kt_v1",
            features=[learner_skill_fv],
            description="Knowledge tracing: learner x skill performance and mastery",
        ),
        "sequencer_v1": FeatureService(
            name="sequencer_v1",
            features=[
                learner_skill_fv[["attempts", "streak", "last_attempt_at", "bkt_mastery"]],
                item_stats_fv,
                item_irt_fv,
            ],
            description="Curriculum sequencer: mastery per candidate skill and item difficulty",
        ),
        "risk_v1": FeatureService(
            name="risk_v1",
            features=[engagement_fv, recency],
            description="Dropout risk: engagement and recency (pass as_of with the entity rows)",
        ),
    }
    return Definitions(
        entities=list(entities.values()),
        sources=batch,
        push_sources={p.name: p for p in push.values()},
        views={v.name: v for v in (learner_skill_fv, engagement_fv, item_stats_fv, item_irt_fv)},
        on_demand={RECENCY: recency},
        services=services,
    )


def push_source_for(view: str) -> str:
    """The push source name that feeds ``view``."""
    return f"{view.removesuffix('_fv')}_push_source"
