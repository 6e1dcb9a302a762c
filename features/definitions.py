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
from feast.types import FeastType, Float64, Int64, UnixTimestamp

from features.transforms import ENGAGEMENT, ITEM_IRT, ITEM_STATS, LEARNER_COURSE, LEARNER_SKILL

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


@dataclass(frozen=True)
class ViewSpec:
    """One feature view's shape: its entities, its features and what it is for.

    The offline Arrow schemas (:mod:`features.offline`) and the stream's entity keys are
    derived from these, so a feature is declared once.
    """

    entities: tuple[str, ...]
    fields: tuple[tuple[str, FeastType], ...]
    description: str
    pushed: bool = True

    @property
    def join_keys(self) -> list[str]:
        return [JOIN_KEYS[e] for e in self.entities]


JOIN_KEYS = {"learner": "learner_id", "skill": "skill_id", "item": "item_id", "course": "course_id"}
VIEW_SPECS: dict[str, ViewSpec] = {
    LEARNER_SKILL: ViewSpec(
        ("learner", "skill"),
        (
            ("attempts", Int64),
            ("corrects", Int64),
            ("streak", Int64),
            ("last_attempt_at", UnixTimestamp),
            ("mean_response_time_s", Float64),
            ("bkt_mastery", Float64),
        ),
        "Learner x skill performance, updated per answer",
    ),
    ENGAGEMENT: ViewSpec(
        ("learner",),
        (
            ("active_minutes_1d", Float64),
            ("active_minutes_7d", Float64),
            ("video_watch_pct", Float64),
            ("sessions", Int64),
            ("last_activity_at", UnixTimestamp),
        ),
        "Learner engagement, as of the learner's last event",
    ),
    LEARNER_COURSE: ViewSpec(
        ("learner", "course"),
        (
            ("course_attempts", Int64),
            ("course_p_correct", Float64),
            ("course_skills_practised", Int64),
            ("course_active_minutes", Float64),
            ("course_last_activity_at", UnixTimestamp),
        ),
        "Learner progress in one course, updated per event that names the course",
    ),
    ITEM_STATS: ViewSpec(
        ("item",),
        (("item_attempts", Int64), ("item_p_correct", Float64), ("item_mean_time_s", Float64)),
        "Item statistics, updated per answer",
    ),
    ITEM_IRT: ViewSpec(
        ("item",),
        (("irt_difficulty", Float64), ("irt_discrimination", Float64)),
        "IRT parameters, written by each calibration run (empty until the first one)",
        pushed=False,
    ),
}


def _view(name: str, spec: ViewSpec, entities: dict[str, Entity], source: DataSource) -> FeatureView:
    return FeatureView(
        name=name,
        entities=[entities[e] for e in spec.entities],
        ttl=NO_TTL,
        schema=[Field(name=field, dtype=dtype) for field, dtype in spec.fields],
        source=source,
        online=True,
        description=spec.description,
    )


def build_definitions(make_source: SourceFactory) -> Definitions:
    """The whole feature repo for one offline store."""
    entities = _entities()
    #: Request-time input of the recency view: the moment the features are read for.
    as_of_request = RequestSource(name="as_of_request", schema=[Field(name="as_of", dtype=UnixTimestamp)])
    batch = {view: make_source(view) for view in VIEW_SPECS}
    push = {
        view: PushSource(name=push_source_for(view), batch_source=batch[view])
        for view, spec in VIEW_SPECS.items()
        if spec.pushed
    }
    views = {name: _view(name, spec, entities, push.get(name, batch[name])) for name, spec in VIEW_SPECS.items()}
    # Built directly rather than with the decorator, which renames the function's module to
    # ``__main__`` and so breaks when the definitions are built a second time in one process.
    recency = OnDemandFeatureView(
        name=RECENCY,
        sources=[views[ENGAGEMENT], as_of_request],
        schema=[Field(name="days_since_last_activity", dtype=Float64)],
        mode="pandas",
        udf=cast(FunctionType, days_since_last_activity),
        udf_string=inspect.getsource(days_since_last_activity),
        description="Days since the learner's last activity, at read time",
    )
    learner_skill = views[LEARNER_SKILL]
    services = {
        "kt_v1": FeatureService(
            name="kt_v1",
            features=[learner_skill],
            description="Knowledge tracing: learner x skill performance and mastery",
        ),
        "sequencer_v1": FeatureService(
            name="sequencer_v1",
            features=[
                learner_skill[["attempts", "streak", "last_attempt_at", "bkt_mastery"]],
                views[ITEM_STATS],
                views[ITEM_IRT],
            ],
            description="Curriculum sequencer: mastery per candidate skill and item difficulty",
        ),
        "risk_v1": FeatureService(
            name="risk_v1",
            features=[views[ENGAGEMENT], recency],
            description="Dropout risk: engagement and recency (pass as_of with the entity rows)",
        ),
        "risk_v2": FeatureService(
            name="risk_v2",
            features=[views[ENGAGEMENT], recency, views[LEARNER_COURSE]],
            description="Dropout risk in one course: risk_v1 plus the learner's progress in the course "
            "(entity rows carry learner_id, course_id and as_of)",
        ),
    }
    return Definitions(
        entities=list(entities.values()),
        sources=batch,
        push_sources={p.name: p for p in push.values()},
        views=views,
        on_demand={RECENCY: recency},
        services=services,
    )


def push_source_for(view: str) -> str:
    """The push source name that feeds ``view``."""
    return f"{view.removesuffix('_fv')}_push_source"
