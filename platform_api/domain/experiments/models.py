"""The exposure log of A/B experiments: one row per (experiment, learner), the first time a variant was served.

The outbox carries each exposure as an ``experiment.exposure`` event too, but the relay
deletes outbox rows once published, so reports read this table. Serving writes it (the table
is defined once in :mod:`pathwise.contract.tables`); this is the platform's ORM class on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Mapped, column_property

from pathwise.contract import tables
from platform_api.core.db import Base


class ExperimentExposure(Base):
    __table__ = tables.experiment_exposures

    id: Mapped[int]
    experiment: Mapped[str]
    variant: Mapped[str]
    learner_id: Mapped[str]
    slot: Mapped[str]
    version: Mapped[str]
    details: Mapped[dict[str, Any]] = column_property(tables.experiment_exposures.c.metadata)
    exposed_at: Mapped[datetime]
