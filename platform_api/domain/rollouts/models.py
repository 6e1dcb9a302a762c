"""Serving control data: rollout specs per model slot, the controller's decisions, instructor rules and overrides.

The serving package reads and writes these tables through SQLAlchemy Core (it must not
import ``platform_api``); this module owns the schema and the migration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from platform_api.core.db import Base, utcnow


class Rollout(Base):
    """The current rollout spec of one model slot (``kt``, ``sequencer``): one row per slot."""

    __tablename__ = "rollouts"
    __table_args__ = (
        CheckConstraint("traffic_percent >= 0 AND traffic_percent <= 100", name="traffic_0_100"),
        CheckConstraint("mode IN ('ab', 'canary', 'shadow')", name="known_mode"),
    )

    slot: Mapped[str] = mapped_column(String(40), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    champion: Mapped[str] = mapped_column(String(50))
    challenger: Mapped[str | None] = mapped_column(String(50))
    mode: Mapped[str] = mapped_column(String(20))
    traffic_percent: Mapped[float] = mapped_column(Float, default=0.0)
    state: Mapped[str] = mapped_column(String(20))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RolloutDecisionRecord(Base):
    """Every controller decision (start, hold, advance, promote, rollback, abort) with its metrics."""

    __tablename__ = "rollout_decisions"
    __table_args__ = (Index("ix_rollout_decisions_slot_at", "slot", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot: Mapped[str] = mapped_column(ForeignKey("rollouts.slot", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    traffic_before: Mapped[float] = mapped_column(Float)
    traffic_after: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)


class InstructorRule(Base):
    """An instructor rule in its source form; serving parses it (and the API validates it on write)."""

    __tablename__ = "instructor_rules"
    __table_args__ = (
        CheckConstraint("scope_kind IN ('org_unit', 'course', 'cohort', 'learner')", name="known_scope"),
        Index("ix_instructor_rules_scope", "scope_kind", "scope_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(2000))
    scope_kind: Mapped[str] = mapped_column(String(20))
    scope_id: Mapped[str] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(default=0)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LearnerOverride(Base):
    """An instructor's manual recommendation override for one learner (beats rules and, optionally, the model)."""

    __tablename__ = "learner_overrides"

    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    recommend: Mapped[list[Any]] = mapped_column(default=list)
    block: Mapped[list[Any]] = mapped_column(default=list)
    replace_model: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None] = mapped_column()
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RolloutMetricBatch(Base):
    """What one Router replica saw of one variant since its last flush; the canary gates aggregate these.

    Per-replica windows cannot judge a canary (each replica sees a slice), so every replica
    appends its batch here and the controller pools the batches of the current step.
    """

    __tablename__ = "rollout_metrics"
    __table_args__ = (Index("ix_rollout_metrics_slot_at", "slot", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot: Mapped[str] = mapped_column(String(40))
    variant: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    requests: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    latencies_ms: Mapped[list[Any]] = mapped_column(default=list)
    predictions: Mapped[list[Any]] = mapped_column(default=list)
    labels: Mapped[list[Any]] = mapped_column(default=list)
