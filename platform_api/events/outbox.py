"""Writing events into the outbox, inside the caller's own transaction.

Whatever a request changes and the events announcing it commit or roll back together, so
the stream never carries an event for a change that did not happen, nor misses one.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from pathwise.contract.stream import STATEMENT_EVENT, STATEMENT_IDS
from pathwise.contract.tables import event_outbox
from platform_api.core.db import utcnow
from platform_api.lrs.bulk import bulk_insert


def emit_event(session: Session, type: str, payload: dict[str, Any], *, key: str | None = None) -> str:
    """Queue one platform event (``attempt.graded``, ``enrollment.changed`` …); returns its key."""
    if not type or len(type) > 100:
        raise ValueError("event type must be 1 to 100 characters")
    event_key = key or str(uuid.uuid4())
    emit_many(session, [(type, event_key, payload)])
    return event_key


def emit_many(session: Session, events: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Queue several events with one multi-row insert (the statement ingest path)."""
    if not events:
        return
    now = utcnow()
    rows = [{"type": t, "key": k, "payload": p, "created_at": now} for t, k, p in events]
    bulk_insert(session, event_outbox, rows)


def emit_statements(session: Session, statement_ids: list[str]) -> None:
    """Queue the statements a transaction stored as one outbox row (one stream entry later).

    The row's type is :data:`~pathwise.contract.stream.STATEMENT_EVENT` and its payload lists the
    statement ids, in order, under :data:`~pathwise.contract.stream.STATEMENT_IDS`; the relay
    publishes it as one :data:`~pathwise.contract.stream.STATEMENTS_EVENT` entry.

    One row per batch rather than per statement: the outbox insert, the relay's delete and
    their index and WAL work shrink a hundredfold for batches of 100.
    """
    if statement_ids:
        emit_many(session, [(STATEMENT_EVENT, statement_ids[0], {STATEMENT_IDS: statement_ids})])
