"""Bring the analytics store up to the LRS: every statement stored after the store's watermark.

The LRS numbers statements as it stores them (``lrs_statements.seq``); the store keeps the last
number it took, committed in the same transaction as the rows (:meth:`AnalyticsStore.apply`), so
a catch-up that dies half way resumes where the store says, and a statement the stream consumer
already applied is skipped by its id. A voiding statement arrives like any other and hides its
target in the marts; a regrade's revised statement replaces its attempt's score.

Only the columns read are named here (SQLAlchemy Core), as serving's stores do: the platform owns
the table, and this package sits below it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, DateTime, Engine, column, func, select, table
from sqlalchemy.dialects.postgresql import JSONB

from analytics.store import AnalyticsStore, ApplyReport, now_text

_statements = table(
    "lrs_statements",
    column("seq", BigInteger),
    column("stored", DateTime(timezone=True)),
    column("payload", JSON().with_variant(JSONB(), "postgresql")),
)
WATERMARK = "lrs_seq"
BATCH = 5_000


@dataclass
class CatchUp:
    """One catch-up: how far it got and what it did."""

    from_seq: int
    to_seq: int
    report: ApplyReport
    seconds: float


def catch_up(
    engine: Engine, store: AnalyticsStore, *, batch: int = BATCH, progress: Callable[[int, int], None] | None = None
) -> CatchUp:
    """Apply every statement stored after the watermark, a batch per transaction."""
    started = time.perf_counter()
    start = int(store.state().get(WATERMARK, "0"))
    with engine.connect() as connection:
        newest = int(connection.execute(select(func.coalesce(func.max(_statements.c.seq), 0))).scalar_one())
    total = ApplyReport()
    at = start
    while at < newest:
        with engine.connect() as connection:
            rows = connection.execute(
                select(_statements.c.seq, _statements.c.payload)
                .where(_statements.c.seq > at)
                .order_by(_statements.c.seq)
                .limit(batch)
            ).all()
        if not rows:
            break
        at = int(rows[-1][0])
        report = store.apply((_payload(row[1]) for row in rows), state={WATERMARK: str(at), "refreshed_at": now_text()})
        for name in ("applied", "duplicates", "voids", "unreadable"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.reasons.extend(report.reasons[: max(0, 5 - len(total.reasons))])
        if progress is not None:
            progress(at - start, newest - start)
    return CatchUp(start, at, total, time.perf_counter() - started)


def _payload(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # SQLite hands JSON back as text on some paths
        parsed: dict[str, Any] = orjson.loads(value)
        return parsed
    return dict(value)
