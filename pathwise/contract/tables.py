"""The tables serving and the platform share, defined once: rollouts, rules, overrides, metrics, exposures, the outbox.

The platform owns the schema (its Alembic migrations create these tables) and maps its ORM
classes onto these :class:`~sqlalchemy.Table` objects; serving reads and writes them with
SQLAlchemy Core. Both use the one :data:`metadata`, which the platform's declarative base
shares, so autogenerate compares the migrations against these definitions too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

#: Constraint names are deterministic so the migrations stay portable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Every application table, the platform's and these, lives on this one MetaData.
metadata = MetaData(naming_convention=NAMING_CONVENTION)

#: JSON everywhere, stored as JSONB on PostgreSQL so it can be indexed and queried.
JSONType = JSON().with_variant(JSONB(), "postgresql")
#: Every stored time is UTC (SQLite hands them back naive).
Time = DateTime(timezone=True)
#: 64-bit keys for the high-volume tables; SQLite's INTEGER PRIMARY KEY is its rowid.
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


#: The current rollout spec of one model slot (``kt``, ``sequencer``): one row per slot.
rollouts = Table(
    "rollouts",
    metadata,
    Column("slot", String(40), primary_key=True),
    Column("model_name", String(200), nullable=False),
    Column("champion", String(50), nullable=False),
    Column("challenger", String(50), nullable=True),
    Column("mode", String(20), nullable=False),
    Column("traffic_percent", Float, nullable=False, default=0.0),
    Column("state", String(20), nullable=False),
    Column("spec", JSONType, nullable=False, default=dict),
    Column("updated_at", Time, nullable=False, default=utcnow, onupdate=utcnow),
    CheckConstraint("traffic_percent >= 0 AND traffic_percent <= 100", name="traffic_0_100"),
    CheckConstraint("mode IN ('ab', 'canary', 'shadow')", name="known_mode"),
)

#: Every rollout controller decision (start, hold, advance, promote, rollback, abort) with its metrics.
rollout_decisions = Table(
    "rollout_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slot", String(40), ForeignKey("rollouts.slot", ondelete="CASCADE"), nullable=False),
    Column("at", Time, nullable=False, default=utcnow),
    Column("action", String(20), nullable=False),
    Column("from_state", String(20), nullable=False),
    Column("to_state", String(20), nullable=False),
    Column("traffic_before", Float, nullable=False),
    Column("traffic_after", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("metrics", JSONType, nullable=False, default=dict),
    # the experiment the decision concerned (a promote's is the pair it ended); NULL on decisions made before 0013
    Column("champion", String(50), nullable=True),
    Column("challenger", String(50), nullable=True),
    Column("mode", String(20), nullable=True),
    Index("ix_rollout_decisions_slot_at", "slot", "at"),
)

#: An instructor rule in its source form; serving parses it (and the API validates it on write).
instructor_rules = Table(
    "instructor_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("source", String(2000), nullable=False),
    Column("scope_kind", String(20), nullable=False),
    Column("scope_id", String(100), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", Time, nullable=False, default=utcnow),
    Column("updated_at", Time, nullable=False, default=utcnow, onupdate=utcnow),
    CheckConstraint("scope_kind IN ('org_unit', 'course', 'cohort', 'learner')", name="known_scope"),
    Index("ix_instructor_rules_scope", "scope_kind", "scope_id"),
)

#: An instructor's manual recommendation override for one learner (beats rules and, optionally, the model).
learner_overrides = Table(
    "learner_overrides",
    metadata,
    Column("learner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("recommend", JSONType, nullable=False, default=list),
    Column("block", JSONType, nullable=False, default=list),
    Column("replace_model", Boolean, nullable=False, default=False),
    Column("expires_at", Time, nullable=True),
    Column("note", String(500), nullable=False, default=""),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", Time, nullable=False, default=utcnow),
)

#: What one Router replica saw of one variant since its last flush; the canary gates pool these.
rollout_metrics = Table(
    "rollout_metrics",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slot", String(40), nullable=False),
    Column("variant", String(20), nullable=False),
    Column("version", String(50), nullable=False),
    Column("at", Time, nullable=False, default=utcnow),
    Column("requests", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("latencies_ms", JSONType, nullable=False, default=list),
    Column("predictions", JSONType, nullable=False, default=list),
    Column("labels", JSONType, nullable=False, default=list),
    Index("ix_rollout_metrics_slot_at", "slot", "at"),
)

#: The exposure log of A/B experiments: one row per (experiment, learner), the first time a variant was served.
experiment_exposures = Table(
    "experiment_exposures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("experiment", String(100), nullable=False),
    Column("variant", String(50), nullable=False),
    Column("learner_id", String(100), nullable=False),
    Column("slot", String(40), nullable=False, default=""),
    Column("version", String(50), nullable=False, default=""),
    Column("metadata", JSONType, nullable=False, default=dict),
    Column("exposed_at", Time, nullable=False, default=utcnow),
    UniqueConstraint("experiment", "learner_id"),
    Index("ix_experiment_exposures_experiment_variant", "experiment", "variant"),
)

#: Events written in the same transaction as the change they announce; the relay publishes them
#: in ``id`` order (as :mod:`pathwise.contract.stream` spells) and deletes them once published.
event_outbox = Table(
    "event_outbox",
    metadata,
    Column("id", BigIntKey, primary_key=True, autoincrement=True),
    Column("type", String(100), nullable=False),
    Column("key", String(200), nullable=False),
    Column("payload", JSONType, nullable=False),
    Column("created_at", Time, nullable=False, default=utcnow),
)
