"""Serving control data: rollout specs per model slot, the controller's decisions, instructor rules and overrides.

The tables are defined once in :mod:`pathwise.contract.tables`, which serving reads and writes
with SQLAlchemy Core (it must not import ``platform_api``); these are the platform's ORM
classes on them, and the platform's migrations create them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Mapped

from pathwise.contract import tables
from platform_api.core.db import Base


class Rollout(Base):
    """The current rollout spec of one model slot (``kt``, ``sequencer``): one row per slot."""

    __table__ = tables.rollouts

    slot: Mapped[str]
    model_name: Mapped[str]
    champion: Mapped[str]
    challenger: Mapped[str | None]
    mode: Mapped[str]
    traffic_percent: Mapped[float]
    state: Mapped[str]
    spec: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class RolloutDecisionRecord(Base):
    """Every controller decision (start, hold, advance, promote, rollback, abort) with its metrics."""

    __table__ = tables.rollout_decisions

    id: Mapped[int]
    slot: Mapped[str]
    at: Mapped[datetime]
    action: Mapped[str]
    from_state: Mapped[str]
    to_state: Mapped[str]
    traffic_before: Mapped[float]
    traffic_after: Mapped[float]
    reason: Mapped[str]
    metrics: Mapped[dict[str, Any]]
    champion: Mapped[str | None]
    challenger: Mapped[str | None]
    mode: Mapped[str | None]


class InstructorRule(Base):
    """An instructor rule in its source form; serving parses it (and the API validates it on write)."""

    __table__ = tables.instructor_rules

    id: Mapped[int]
    name: Mapped[str]
    source: Mapped[str]
    scope_kind: Mapped[str]
    scope_id: Mapped[str]
    priority: Mapped[int]
    enabled: Mapped[bool]
    created_by: Mapped[int | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LearnerOverride(Base):
    """An instructor's manual recommendation override for one learner (beats rules and, optionally, the model)."""

    __table__ = tables.learner_overrides

    learner_id: Mapped[int]
    recommend: Mapped[list[Any]]
    block: Mapped[list[Any]]
    replace_model: Mapped[bool]
    expires_at: Mapped[datetime | None]
    note: Mapped[str]
    created_by: Mapped[int | None]
    created_at: Mapped[datetime]


class RolloutMetricBatch(Base):
    """What one Router replica saw of one variant since its last flush; the canary gates aggregate these.

    Per-replica windows cannot judge a canary (each replica sees a slice), so every replica
    appends its batch here and the controller pools the batches of the current step.
    """

    __table__ = tables.rollout_metrics

    id: Mapped[int]
    slot: Mapped[str]
    variant: Mapped[str]
    version: Mapped[str]
    at: Mapped[datetime]
    requests: Mapped[int]
    errors: Mapped[int]
    latencies_ms: Mapped[list[Any]]
    predictions: Mapped[list[Any]]
    labels: Mapped[list[Any]]
