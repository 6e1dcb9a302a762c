"""The outbox relay: publish committed events in order, then delete them from the outbox.

With ``PATHWISE_REDIS_URL`` set, events go to a Redis Stream (``pathwise.events``) that
consumer groups read; otherwise an in-process dispatcher hands them to subscribed
handlers directly, which is the embedded default. Either way delivery is at-least-once:
a relay that dies after publishing and before deleting publishes again on restart.

The statements one transaction stored travel as one event (:data:`STATEMENTS_EVENT`, one
stream entry whose payload is the JSON array of the statements); readers split it into one
event per statement, so idempotency stays keyed by the statement id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import orjson
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from pathwise.contract.stream import (
    DEFAULT_STREAM,
    STATEMENT_EVENT,
    STATEMENT_IDS,
    STATEMENTS_EVENT,
    Event,
    entry_fields,
    split_statements,
)
from pathwise.logs import get_logger
from platform_api.core.db import transaction
from platform_api.domain.lrs.models import Statement
from platform_api.events.handlers import Handler, process_batch
from platform_api.events.models import OutboxEvent

log = get_logger(__name__)
#: Entries the stream keeps (approximately) before trimming the oldest; a statement entry holds one
#: request's statements, so at batches of 100 this bounds about 10 million statements.
DEFAULT_MAXLEN = 100_000


class Publisher(Protocol):
    #: True when the publisher only serializes payloads again, so JSON text may pass through unparsed.
    raw_payloads: bool

    def publish(self, events: Sequence[Event]) -> None: ...


class RedisStreamPublisher:
    """XADD one entry per event (:func:`~pathwise.contract.stream.entry_fields`); ``maxlen`` trims approximately.

    Fields: ``type``, ``key``, ``payload`` (JSON), ``enqueued_ms``, and for a statement batch
    (``type`` :data:`STATEMENTS_EVENT`, ``key`` its first statement id) ``count``.
    """

    raw_payloads = True

    def __init__(self, redis: Any, stream: str = DEFAULT_STREAM, maxlen: int = DEFAULT_MAXLEN) -> None:
        self.redis, self.stream, self.maxlen = redis, stream, maxlen

    def publish(self, events: Sequence[Event]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        # When the events left the outbox: consumers measure event-to-feature freshness from it.
        enqueued = f"{time.time() * 1000:.3f}"
        for event in events:
            pipe.xadd(self.stream, entry_fields(event, enqueued), maxlen=self.maxlen, approximate=True)
        pipe.execute()


#: A consumer whose effects are idempotent on their own (keyed by each event's key), so it needs no
#: consumed markers: it is called outside any database transaction, and a failure makes the relay
#: deliver the events again.
Forwarder = Callable[[Sequence[Event]], None]


class InProcessDispatcher:
    """The embedded event bus: each subscribed group handles events idempotently, in-process.

    Groups whose handler writes to the database record consumed markers in the handler's transaction
    (:func:`process_batch`); forwarders (serving's learner loop) dedupe by event key themselves and are
    called first, without holding a database write lock while they work.
    """

    raw_payloads = False

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.groups: dict[str, Handler] = {}
        self.forwarders: dict[str, Forwarder] = {}

    def subscribe(self, group: str, handler: Handler) -> None:
        self.groups[group] = handler

    def forward(self, group: str, forwarder: Forwarder) -> None:
        self.forwarders[group] = forwarder

    def publish(self, events: Sequence[Event]) -> None:
        single = split_statements(events)
        for forwarder in self.forwarders.values():
            forwarder(single)
        for group, handler in self.groups.items():
            process_batch(self.factory, group, handler, single)


def next_events(session: Session, batch: int) -> tuple[list[int], list[Event]]:
    """The oldest ``batch`` outbox rows, locked, as events: a statement row becomes one statement batch.

    Statement rows carry no copy of the statements (they are already in ``lrs_statements``,
    written in the same transaction), only their ids; the batch lists the statements in that order.
    """
    rows = session.execute(
        select(OutboxEvent.id, OutboxEvent.type, OutboxEvent.key, OutboxEvent.payload)
        .order_by(OutboxEvent.id)
        .limit(batch)
        .with_for_update(of=OutboxEvent, skip_locked=True)
    ).all()
    wanted = [sid for _, kind, key, payload in rows if kind == STATEMENT_EVENT for sid in _statement_ids(key, payload)]
    stored: dict[str, Any] = dict(
        session.execute(
            select(Statement.statement_id, Statement.payload).where(Statement.statement_id.in_(wanted))
        ).all()
    )
    events: list[Event] = []
    for _, type_, key, payload in rows:
        if type_ != STATEMENT_EVENT:
            events.append(Event(type_, key, payload))
            continue
        statements = [stored[sid] for sid in _statement_ids(key, payload) if sid in stored]
        if statements:
            events.append(Event(STATEMENTS_EVENT, statements[0]["id"], statements, len(statements)))
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
        DELETE FROM event_outbox o WHERE o.id = ANY(ARRAY(SELECT id FROM batch))
        RETURNING o.id, o.type, o.key, o.payload
    )
    SELECT taken.id, taken.type, taken.key, taken.payload::text, 1 AS n
    FROM taken WHERE taken.type <> :statement_type
    UNION ALL
    SELECT taken.id, :batch_type, taken.key, agg.payload, agg.n
    FROM taken CROSS JOIN LATERAL (
        -- string_agg and count skip the ids whose statement is gone
        SELECT '[' || string_agg(found.payload, ',' ORDER BY found.n) || ']' AS payload, count(found.payload) AS n
        FROM (
            -- a scalar subquery: one index lookup per id, whatever the planner thinks of the table's size
            SELECT ids.n, (SELECT s.payload::text FROM lrs_statements s WHERE s.statement_id = ids.id) AS payload
            FROM jsonb_array_elements_text(
                coalesce(taken.payload -> 'statement_ids', jsonb_build_array(taken.key))
            ) WITH ORDINALITY AS ids(id, n)
            OFFSET 0  -- kept a subquery, so each lookup runs once, not once per use of its value
        ) found
    ) agg
    WHERE taken.type = :statement_type AND agg.n > 0
    ORDER BY 1
    """
)


def take_events(session: Session, batch: int, *, raw: bool = False) -> list[Event]:
    """PostgreSQL: lock, delete and read the oldest ``batch`` outbox rows in one statement.

    One relay drains at a time (a transaction-scoped advisory lock; the others find nothing
    and wait for their next wake-up), which keeps the stream in outbox order and spares the
    database relays scanning past each other's locked rows. A statement row becomes one
    statement batch, its statements in the order they were stored, assembled as one JSON
    array by the database.

    The deletion only holds if the caller commits, which it does after publishing, so a
    failed publish puts every event back. Payloads come back as JSON text: with ``raw`` they
    stay text (an ``orjson.Fragment``) for a publisher that only writes them out again,
    otherwise orjson parses them, cheaper than the driver's JSON loader.
    """
    params = {"batch": batch, "statement_type": STATEMENT_EVENT, "batch_type": STATEMENTS_EVENT}
    rows = session.execute(_PG_TAKE, params).all()
    wrap = orjson.Fragment if raw else orjson.loads
    return [Event(type_, key, wrap(payload), count) for _, type_, key, payload, count in rows]


def relay_once(factory: sessionmaker[Session], publisher: Publisher, batch: int = 20) -> int:
    """Publish the events of up to ``batch`` outbox rows; returns how many went out, counting statements."""
    with transaction(factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            events = take_events(session, batch, raw=publisher.raw_payloads)
            if events:
                publisher.publish(events)
            return sum(event.count for event in events)
        ids, events = next_events(session, batch)
        if not ids:
            return 0
        if events:
            publisher.publish(events)
        session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
    return sum(event.count for event in events)


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
