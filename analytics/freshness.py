"""How fresh the analytics store is: how many LRS statements it has not taken, and their age."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, DateTime, Engine, column, func, select, table

from analytics.catchup import WATERMARK
from analytics.store import AnalyticsStore

_statements = table("lrs_statements", column("seq", BigInteger), column("stored", DateTime(timezone=True)))


@dataclass(frozen=True)
class Freshness:
    path: str
    statements: int
    answers: int
    voided: int
    reached_seq: int
    lrs_seq: int
    behind: int
    #: LRS time between the newest statement the store took and the newest the LRS holds (0: caught up;
    #: None: the store has taken nothing yet).
    lag_s: float | None
    refreshed_at: str | None


def freshness(engine: Engine, store: AnalyticsStore) -> Freshness:
    state = store.state()
    reached = int(state.get(WATERMARK, "0"))
    counts = (0, 0, 0)
    if store.path.exists():
        with store.connect() as db:
            row = db.execute(
                "SELECT (SELECT count(*) FROM interactions), (SELECT count(*) FROM answers), "
                "(SELECT count(*) FROM voided)"
            ).fetchall()[0]
            counts = (int(row[0]), int(row[1]), int(row[2]))
    with engine.connect() as connection:
        newest, newest_at = connection.execute(
            select(_statements.c.seq, _statements.c.stored).order_by(_statements.c.seq.desc()).limit(1)
        ).first() or (0, None)
        reached_at = connection.execute(  # one row by its key, not a scan of everything before it
            select(_statements.c.stored).where(_statements.c.seq == reached)
        ).scalar_one_or_none()
    lag: float | None = 0.0
    if newest > reached:
        lag = (newest_at - reached_at).total_seconds() if newest_at and reached_at else None
    return Freshness(
        path=str(store.path),
        statements=counts[0],
        answers=counts[1],
        voided=counts[2],
        reached_seq=reached,
        lrs_seq=int(newest),
        behind=max(0, int(newest) - reached),
        lag_s=lag,
        refreshed_at=state.get("refreshed_at"),
    )


@dataclass(frozen=True)
class Lag:
    """What every report says of its data: when the store last took statements, and how many it has not."""

    refreshed_at: str | None
    behind: int


def lag(engine: Engine, store: AnalyticsStore) -> Lag:
    """The reports' freshness: the store's state and the LRS's newest key; no counting on the request path."""
    state = store.state()
    with engine.connect() as connection:
        newest = int(connection.execute(select(func.coalesce(func.max(_statements.c.seq), 0))).scalar_one())
    return Lag(state.get("refreshed_at"), max(0, newest - int(state.get(WATERMARK, "0"))))
