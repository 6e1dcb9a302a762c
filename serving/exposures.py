"""Record A/B exposures: the first time a learner is served a variant of an experiment.

Each new exposure is a row in ``experiment_exposures`` (what reports read) and an
``experiment.exposure`` event in the platform's outbox, written in the same transaction, so
the stream and the table never disagree. Later exposures of the same learner to the same
experiment are ignored: analysis is per learner (assignment is sticky), from first exposure.

Both tables are defined once in :mod:`pathwise.contract.tables` (the platform's migrations
create them), so serving writes them itself with SQLAlchemy Core. The Router holds an
:class:`ExposureLog`: ``record`` is an in-memory append, cheap enough for the request path;
``flush`` writes a batch and belongs in a background thread. :func:`record_exposures` takes a
connection or session of the caller's own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pathwise.contract.rollout.spec import experiment_name
from pathwise.contract.stream import EXPOSURE_EVENT
from pathwise.contract.tables import event_outbox, experiment_exposures
from serving.config import engine_url

__all__ = [
    "EXPOSURE_EVENT",
    "Exposure",
    "ExposureLog",
    "ExposureSink",
    "experiment_name",
    "open_exposure_log",
    "record_exposure",
    "record_exposures",
]

MAX_REMEMBERED = 1_000_000


class ExposureSink(Protocol):
    """What the Router calls: ``record`` on the request path, ``flush`` from its flush thread."""

    def record(self, experiment: str, variant: str, learner_id: str, **fields: Any) -> None: ...

    def flush(self) -> int: ...


@dataclass(frozen=True)
class Exposure:
    experiment: str
    variant: str
    learner_id: str
    slot: str = ""
    version: str = ""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, limit in (("experiment", 100), ("variant", 50), ("learner_id", 100)):
            value = getattr(self, name)
            if not isinstance(value, str) or not 1 <= len(value) <= limit:
                raise ValueError(f"{name} must be 1 to {limit} characters")

    def key(self) -> str:
        """The event's idempotency key: one exposure per learner and experiment."""
        return f"{self.experiment}:{self.learner_id}"


def record_exposures(conn: Connection | Session, exposures: list[Exposure]) -> int:
    """Store the first exposure of each (experiment, learner) and emit its event; returns how many were new.

    The caller commits. Duplicates within the batch or already stored are skipped.
    """
    fresh: dict[str, Exposure] = {}
    for item in exposures:
        fresh.setdefault(item.key(), item)
    table = experiment_exposures
    for experiment in {item.experiment for item in fresh.values()}:
        learners = [item.learner_id for item in fresh.values() if item.experiment == experiment]
        stored = conn.execute(
            select(table.c.learner_id).where(table.c.experiment == experiment, table.c.learner_id.in_(learners))
        ).scalars()
        for learner_id in stored:
            fresh.pop(f"{experiment}:{learner_id}", None)
    new = list(fresh.values())
    if not new:
        return 0
    conn.execute(
        insert(table),
        [
            {
                "experiment": e.experiment,
                "variant": e.variant,
                "learner_id": e.learner_id,
                "slot": e.slot,
                "version": e.version,
                "metadata": e.details,
                "exposed_at": e.at,
            }
            for e in new
        ],
    )
    now = datetime.now(UTC)
    conn.execute(
        insert(event_outbox),
        [
            {
                "type": EXPOSURE_EVENT,
                "key": e.key(),
                "payload": {
                    "experiment": e.experiment,
                    "variant": e.variant,
                    "learner_id": e.learner_id,
                    "slot": e.slot,
                    "version": e.version,
                    "at": e.at.isoformat(),
                },
                "created_at": now,
            }
            for e in new
        ],
    )
    return len(new)


def record_exposure(conn: Connection | Session, experiment: str, variant: str, learner_id: str, **fields: Any) -> bool:
    """One exposure (see :func:`record_exposures`); True if it was the learner's first in this experiment."""
    return record_exposures(conn, [Exposure(experiment, variant, learner_id, **fields)]) == 1


class ExposureLog:
    """A thread-safe buffer in front of :func:`record_exposures` that also forgets repeats in memory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pending: list[Exposure] = []
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def record(self, experiment: str, variant: str, learner_id: str, **fields: Any) -> None:
        item = Exposure(experiment, variant, learner_id, **fields)
        with self._lock:
            if item.key() in self._seen:
                return
            if len(self._seen) >= MAX_REMEMBERED:
                self._seen.clear()  # the database still deduplicates
            self._seen.add(item.key())
            self._pending.append(item)

    def flush(self) -> int:
        """Write what is buffered in one transaction; if that fails the batch stays buffered and the error is raised."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            try:
                return self._write(batch)
            except IntegrityError:  # another replica stored one of these first; the retry skips it
                return self._write(batch)
        except Exception:
            with self._lock:
                self._pending = batch + self._pending
            raise

    def _write(self, batch: list[Exposure]) -> int:
        with self.engine.begin() as conn:
            return record_exposures(conn, batch)


def open_exposure_log(db_url: str) -> ExposureLog:
    """An exposure log on its own engine (made here, connected on the first flush): the Router's."""
    from sqlalchemy import create_engine

    return ExposureLog(create_engine(engine_url(db_url)))
