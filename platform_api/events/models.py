"""Outbox and consumer bookkeeping tables of the event backbone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from pathwise.contract import tables
from platform_api.core.db import Base, utcnow


class OutboxEvent(Base):
    """An event written in the same transaction as the change it announces.

    The relay publishes rows in ``id`` order and deletes them once published; ``key`` is
    the idempotency key consumers use (the statement id for xAPI statements). The table is
    defined once in :mod:`pathwise.contract.tables`: serving writes its exposure events too.
    """

    __table__ = tables.event_outbox

    id: Mapped[int]
    type: Mapped[str]
    key: Mapped[str]
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class ConsumedEvent(Base):
    """Marks an event as handled by one consumer group, in the handler's own transaction."""

    __tablename__ = "event_consumed"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    consumed_at: Mapped[datetime] = mapped_column(default=utcnow)


class VerbCount(Base):
    """A running count of statements per verb: the built-in projection consumers keep.

    Incrementing a counter is not idempotent by itself, which is why it is the effect the
    exactly-once tests check.
    """

    __tablename__ = "event_verb_counts"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    verb_id: Mapped[str] = mapped_column(String(2048), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
