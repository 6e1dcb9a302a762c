"""Idempotent event handling: a consumed-marker and the handler's effects share one transaction.

Delivery is at-least-once (a relay or consumer can die between doing and acknowledging),
so each group records the keys it has handled; a redelivered key finds its marker and
is skipped, which turns at-least-once delivery into exactly-once effects.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence

import orjson
from sqlalchemy.orm import Session, sessionmaker

from pathwise.contract.stream import STATEMENT_EVENT, Event
from platform_api.core.db import dialect_insert, transaction, utcnow
from platform_api.events.models import ConsumedEvent, VerbCount

#: A handler applies a batch of not-yet-seen events using the given session.
Handler = Callable[[Session, str, Sequence[Event]], None]


def process_batch(factory: sessionmaker[Session], group: str, handler: Handler, events: Sequence[Event]) -> int:
    """Apply ``handler`` to the events this group has not handled yet; returns how many were new."""
    unique: dict[str, Event] = {}
    for event in events:
        unique.setdefault(event.key, event)
    if not unique:
        return 0
    with transaction(factory) as session:
        inserted = _mark_consumed(session, group, list(unique))
        fresh = [event for key, event in unique.items() if key in inserted]
        if fresh:
            handler(session, group, fresh)
    return len(fresh)


_PG_MARK = """
WITH new AS (
    INSERT INTO event_consumed (consumer, key, consumed_at)
    SELECT %(group)s, key, now() FROM jsonb_array_elements_text(%(keys)s::jsonb) AS key
    ON CONFLICT DO NOTHING RETURNING key
)
SELECT coalesce(jsonb_agg(key), '[]')::text FROM new
"""


def _mark_consumed(session: Session, group: str, keys: list[str]) -> set[str]:
    """Insert the consumed markers; return the keys that were new.

    On PostgreSQL the keys go out as one JSON array and the new ones come back as one: two orjson
    calls instead of the driver adapting and returning a row per key.
    """
    if session.get_bind().dialect.name == "postgresql":
        driver = session.connection().connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            cursor.execute(_PG_MARK, {"group": group, "keys": orjson.dumps(keys).decode()})
            row = cursor.fetchone()
        return set(orjson.loads(row[0])) if row else set()
    now = utcnow()
    stmt = dialect_insert(session, ConsumedEvent).values(
        [{"consumer": group, "key": key, "consumed_at": now} for key in keys]
    )
    return set(session.scalars(stmt.on_conflict_do_nothing().returning(ConsumedEvent.key)))


def count_verbs(session: Session, group: str, events: Sequence[Event]) -> None:
    """Projection: statements per verb. Deliberately not idempotent on its own (a counter)."""
    counts = Counter(e.payload["verb"]["id"] for e in events if e.type == STATEMENT_EVENT)
    if not counts:
        return
    stmt = dialect_insert(session, VerbCount).values(
        [{"consumer": group, "verb_id": verb, "count": n} for verb, n in counts.items()]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[VerbCount.consumer, VerbCount.verb_id], set_={"count": VerbCount.count + stmt.excluded.count}
    )
    session.execute(stmt)


def markers_only(session: Session, group: str, events: Sequence[Event]) -> None:
    """Handler that keeps only the consumed markers (benchmarks count them)."""


def throttled(handler: Handler, delay_s: float) -> Handler:
    """Slow a handler down per event, so fault drills can kill a consumer mid-batch."""

    def wrapper(session: Session, group: str, events: Sequence[Event]) -> None:
        for _ in events:
            time.sleep(delay_s)
        handler(session, group, events)

    return wrapper


HANDLERS: dict[str, Handler] = {"verb-counts": count_verbs, "markers": markers_only}
