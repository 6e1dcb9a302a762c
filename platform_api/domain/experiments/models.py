"""The exposure log of A/B experiments: one row per (experiment, learner), the first time a variant was served.

The outbox carries each exposure as an ``experiment.exposure`` event too, but the relay
deletes outbox rows once published, so reports read this table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from platform_api.core.db import Base, utcnow


class ExperimentExposure(Base):
    __tablename__ = "experiment_exposures"
    __table_args__ = (
        UniqueConstraint("experiment", "learner_id"),
        Index("ix_experiment_exposures_experiment_variant", "experiment", "variant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment: Mapped[str] = mapped_column(String(100))
    variant: Mapped[str] = mapped_column(String(50))
    learner_id: Mapped[str] = mapped_column(String(100))
    slot: Mapped[str] = mapped_column(String(40), default="")
    version: Mapped[str] = mapped_column(String(50), default="")
    details: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    exposed_at: Mapped[datetime] = mapped_column(default=utcnow)
