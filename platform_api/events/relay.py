"""The outbox relay: publish committed events in order, then delete them from the outbox.

With ``PATHWISE_REDIS_URL`` set, events go to a Redis Stream (``pathwise.events``) that
consumer groups read; otherwise an in-process dispatcher hands them to subscribed
handlers directly, which is the embedded default. Either way delivery is at-least-once:
a relay that dies after publishing and before deleting publishes again on restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

import orjson
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from pathwise.logs import get_logger
from platform_api.core.db import transaction
from platform_api.domain.lrs.models import Statement
from platform_api.events.handlers import Event, Handler, process_batch
from platform_api.events.models import OutboxEvent
from platform_api.events.outbox import STATEMENT_EVENT, STATEMENT_IDS

log = get_logger(__name__)
DEFAULT_STREAM = "pathwise.events"


class Publisher(Protocol):
    #: True when the publisher only serializes payloads again, so JSON text may pass through unparsed.
    raw_payloads: bool

    def publish(self, events: Sequence[Event]) -> None: ...


class RedisStreamPublisher:
    """XADD each event to the stream; ``maxlen`` trims approximately to bound memory."""

    raw_payloads = True

    def __init__(self, redis: Any, stream: str = DEFAULT_STREAM, maxlen: int = 5_000_000) -> None:
        self.redis, self.stream, self.maxlen = redis, stream, maxlen

    def publish(self, events: Sequence[Event]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for event in events:
            fields = {
                "type": event.type,
                "key": event.key,
                "payload": orjson.dumps(event.payload),
                # When the event left the outbox: consumers measure event-to-feature freshness from it.
                "enqueued_ms": f"{time.time() * 1000:.3f}",
            }
            pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
        pipe.execute()


class InProcessDispatcher:
    """The embedded event bus: each subscribed group handles events idempotently, in-process."""

    raw_payloads = False

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.groups: dict[str, Handler] = {}

    def subscribe(self, group: str, handler: Handler) -> None:
        self.groups[group] = handler

    def publish(self, events: Sequence[Event]) -> None:
        for group, handler in self.groups.items():
            process_batch(self.factory, group, handler, events)


def next_events(session: Session, batch: int) -> tuple[list[int], list[Event]]:
    """The oldest ``batch`` outbox rows, locked, as events: a statement row becomes one event per statement.

    Statement rows carry no copy of the statements (they are already in ``lrs_statements``,
    written in the same transaction), only their ids.
    """
    rows = session.execute(
        select(OutboxEvent.id, OutboxEvent.type, OutboxEvent.key, OutboxEvent.payload)
        .order_by(OutboxEvent.id)
        .limit(batch)
        .with_for_update(of=OutboxEvent, skip_locked=True)
    ).all()
    wanted = [sid for _, kind, key, payload in rows if kind == STATEMENT_EVENT for sid in _statement_ids(key, payload)]
    stored: dict[str, Any] = dict(
        session.execute(select(Statement.statement_id, Statement.payload).where(Statement.statement_id.in_(wanted)))
        .tuples()
        .all()
    )
    events: list[Event] = []
    for _, type_, key, payload in rows:
        if type_ != STATEMENT_EVENT:
            events.append(Event(type_, key, payload))
            continue
        events.extend(Event(type_, sid, stored[sid]) for sid in _statement_ids(key, payload) if sid in stored)
    return [row[0] for row in rows], events


def _statement_ids(key: str, payload: dict[str, Any]) -> list[str]:
    """The statements an outbox row stands for (a row written before batching names one, by its key)."""
    return list(payload.get(STATEMENT_IDS) or [key])


_PG_TAKE = text(
    """
    WITH batch AS (
        SELECT id FROM event_outbox
        WHERE (SELECT pg_try_advisory_xact_lock(hashtext('pathwise.event_outbox.relay')))
        ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED
    ), taken AS (
        DELETE FROM event_outbox o USING batch WHERE o.id = batch.id
        RETURNING o.id, o.type, o.key, o.payload
    )
    SELECT taken.type, coalesce(ids.id, taken.key), coalesce(s.payload, taken.payload)::text
    FROM taken
    LEFT JOIN LATERAL jsonb_array_elements_text(
        CASE WHEN taken.type = :statement_type
             THEN coalesce(taken.payload -> 'statement_ids', jsonb_build_array(taken.key)) END
    ) WITH ORDINALITY AS ids(id, n) ON true
    LEFT JOIN lrs_statements s ON s.statement_id = ids.id
    WHERE taken.type <> :statement_type OR s.payload IS NOT NULL
    ORDER BY taken.id, ids.n
    """
)


def take_events(session: Session, batch: int, *, raw: bool = False) -> list[Event]:
    """PostgreSQL: lock, delete and read the oldest ``batch`` outbox rows in one statement.

    One relay drains at a time (a transaction-scoped advisory lock; the others find nothing
    and wait for their next wake-up), which keeps the stream in outbox order and spares the
    database relays scanning past each other's locked rows. A statement row is fanned out
    to one event per statement, in the order they were stored.

    The deletion only holds if the caller commits, which it does after publishing, so a
    failed publish puts every event back. Payloads come back as JSON text: with ``raw`` they
    stay text (an ``orjson.Fragment``) for a publisher that only writes them out again,
    otherwise orjson parses them, cheaper than the driver's JSON loader.
    """
    rows = session.execute(_PG_TAKE, {"batch": batch, "statement_type": STATEMENT_EVENT}).all()
    wrap = orjson.Fragment if raw else orjson.loads
    return [Event(type_, key, wrap(payload)) for type_, key, payload in rows]


def relay_once(factory: sessionmaker[Session], publisher: Publisher, batch: int = 20) -> int:
    """Publish the events of up to ``batch`` outbox rows; returns how many events went out."""
    with transaction(factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            events = take_events(session, batch, raw=publisher.raw_payloads)
            if events:
                publisher.publish(events)
            return len(events)
        ids, events = next_events(session, batch)
        if not ids:
            return 0
        if events:
            publisher.publish(events)
        session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
    return len(events)


class Relay:
    """A background thread that drains the outbox; ``wake()`` skips the poll wait after a commit."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        publisher: Publisher,
        *,
        poll_s: float = 0.2,
        batch: int = 20,
        gather_s: float = 0.02,
    ) -> None:
        self.factory, self.publisher, self.poll_s, self.batch = factory, publisher, poll_s, batch
        #: After a busy drain, wait this long so the next one carries more events per transaction.
        self.gather_s = gather_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.published = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def drain(self) -> int:
        """Publish everything now (tests and shutdown)."""
        total = 0
        while moved := relay_once(self.factory, self.publisher, self.batch):
            total += moved
        self.published += total
        return total

    def _run(self) -> None:
        """Drain, wait, repeat; on errors back off (up to 30 s) and log each distinct failure once."""
        delay, last_error = self.poll_s, ""
        while not self._stop.is_set():
            try:
                moved = self.drain()
                delay, last_error = self.poll_s, ""
            except Exception as error:
                moved = 0
                delay = min(30.0, max(delay * 2, 1.0))
                if str(error) != last_error:
                    last_error = str(error)
                    log.warning("outbox relay failed; retrying", error=last_error.splitlines()[0], retry_in_s=delay)
            if not moved:
                self._wake.wait(delay)
                self._wake.clear()
            elif self.gather_s:
                self._stop.wait(self.gather_s)
        if not last_error:
            try:
                self.drain()
            except Exception as error:
                log.warning("final outbox drain failed", error=str(error).splitlines()[0])
