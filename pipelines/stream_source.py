"""Where the stream processor gets its events from: the one place to rewire at merge.

Two sources share the :class:`EventSource` protocol:

* :class:`RedisStreamSource` - a consumer-group reader of the event backbone's Redis
  stream ``pathwise.events`` (see ``platform_api.events.relay``): each entry has the fields
  ``type``, ``key``, ``payload`` (JSON) and ``enqueued_ms``. The backbone writes the
  statements one request stored as one entry of type ``xapi.statements`` whose payload is
  the JSON array of the statements (and ``count`` their number); an entry of type
  ``xapi.statement`` (the format before batching) carries one statement. Either way each
  statement becomes one message, and an entry is acknowledged once all of its messages
  are. Other platform events are acknowledged and skipped here. It first re-reads this
  consumer's pending (delivered, unacknowledged) entries, then new ones: at-least-once
  across restarts.
* :class:`IterableSource` - an in-process source over statements, for tests, backfills
  and the embedded mode.

A message whose payload is not JSON is still delivered (``statement=None`` and the
raw text) so that the processor can quarantine it rather than lose it.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

STATEMENT_FIELD = "payload"
TYPE_FIELD = "type"
KEY_FIELD = "key"
COUNT_FIELD = "count"
#: The backbone's event type for one accepted xAPI statement (``platform_api.events.outbox``).
STATEMENT_EVENT = "xapi.statement"
#: The backbone's entry type for the statements one request stored: a JSON array, in stored order.
STATEMENTS_EVENT = "xapi.statements"
#: The field the backbone stamps with the enqueue time (epoch ms), when present.
ENQUEUED_FIELD = "enqueued_ms"


@dataclass(frozen=True)
class StreamMessage:
    """One delivered statement; ``message_id`` names it, ``entry_id`` is the stream entry it came in.

    For an entry carrying one statement the two are equal; the statements of a batch entry are
    ``<entry id>#<position>``.
    """

    message_id: str
    statement: dict[str, Any] | None
    raw: str
    enqueued_ms: float | None = None
    entry_id: str = ""


class EventSource(Protocol):
    def read(self, max_count: int, block_ms: int) -> list[StreamMessage]:
        """Up to ``max_count`` messages; waits at most ``block_ms`` when none is ready."""

    def ack(self, messages: list[StreamMessage]) -> None:
        """Acknowledge processed messages (they will not be delivered again)."""


def _enqueued(value: str | bytes | None) -> float | None:
    return float(value) if value not in (None, b"", "") else None


def decode(message_id: str, raw: str | bytes | None, enqueued: str | bytes | None = None) -> StreamMessage:
    text = raw.decode() if isinstance(raw, bytes) else (raw or "")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = None
    statement = parsed if isinstance(parsed, dict) else None
    return StreamMessage(message_id, statement, text, _enqueued(enqueued), message_id)


def decode_batch(entry_id: str, raw: str | bytes | None, enqueued: str | bytes | None = None) -> list[StreamMessage]:
    """The messages of a statement batch entry; a payload that is not a JSON array stays one raw message."""
    text = raw.decode() if isinstance(raw, bytes) else (raw or "")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, list) or not parsed:
        return [StreamMessage(entry_id, None, text, _enqueued(enqueued), entry_id)]
    enqueued_ms = _enqueued(enqueued)
    return [
        StreamMessage(
            f"{entry_id}#{n}",
            item if isinstance(item, dict) else None,
            "" if isinstance(item, dict) else json.dumps(item),
            enqueued_ms,
            entry_id,
        )
        for n, item in enumerate(parsed)
    ]


@dataclass
class IterableSource:
    """Serve statements from memory in order; acknowledged ids are recorded for tests."""

    statements: Iterable[dict[str, Any] | str]
    acked: list[str] = field(default_factory=list)
    _iter: Iterator[dict[str, Any] | str] | None = None
    _count: int = 0

    def read(self, max_count: int, block_ms: int) -> list[StreamMessage]:
        if self._iter is None:
            self._iter = iter(self.statements)
        batch = []
        for item in self._iter:
            self._count += 1
            message_id = f"mem-{self._count}"
            # Statements already in memory are passed as they are; text is parsed like a stream entry.
            batch.append(decode(message_id, item) if isinstance(item, str) else StreamMessage(message_id, item, ""))
            if len(batch) >= max_count:
                break
        return batch

    def ack(self, messages: list[StreamMessage]) -> None:
        self.acked.extend(m.message_id for m in messages)


class RedisStreamSource:
    """A Redis Streams consumer-group reader (``XREADGROUP`` / ``XACK``).

    A batch entry may hold more statements than one ``read`` asks for: the rest wait in memory
    for the next reads, and the entry is acknowledged once every one of its messages has been.
    Lost with the process, they come back with the entry, which is still pending.
    """

    def __init__(self, url: str, stream: str, group: str, consumer: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.stream, self.group, self.consumer = stream, group, consumer
        self._pending_done = False
        self._buffer: deque[StreamMessage] = deque()
        #: Messages handed out but not acknowledged yet, per entry.
        self._open: dict[str, int] = {}
        #: Statements per entry in the last read, so a read asks Redis for about ``max_count`` statements.
        self._per_entry = 1.0
        try:
            self.client.xgroup_create(stream, group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def read(self, max_count: int, block_ms: int) -> list[StreamMessage]:
        if not self._buffer:
            self._fill(max_count, block_ms)
        messages = [self._buffer.popleft() for _ in range(min(max_count, len(self._buffer)))]
        return messages

    def _fill(self, max_count: int, block_ms: int) -> None:
        # "0" replays this consumer's pending entries (delivered before a crash), ">" reads new ones.
        start = ">" if self._pending_done else "0"
        count = max(1, int(max_count / self._per_entry))
        reply = self.client.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=count, block=None if start == "0" else block_ms
        )
        entries = reply[0][1] if reply else []
        if start == "0" and not entries:
            self._pending_done = True
            self._fill(max_count, block_ms)
            return
        other_events, statements = [], 0
        for message_id, raw_fields in entries:
            fields = raw_fields or {}
            mid = message_id.decode() if isinstance(message_id, bytes) else str(message_id)
            kind = fields.get(TYPE_FIELD.encode(), STATEMENT_EVENT.encode()).decode()
            payload, enqueued = fields.get(STATEMENT_FIELD.encode()), fields.get(ENQUEUED_FIELD.encode())
            if kind == STATEMENTS_EVENT:
                messages = decode_batch(mid, payload, enqueued)
            elif kind == STATEMENT_EVENT:
                messages = [decode(mid, payload, enqueued)]
            else:
                other_events.append(mid)
                continue
            self._open[mid] = self._open.get(mid, 0) + len(messages)
            self._buffer.extend(messages)
            statements += len(messages)
        if entries:
            self._per_entry = max(1.0, statements / len(entries))
        if other_events:
            self.client.xack(self.stream, self.group, *other_events)

    def ack(self, messages: list[StreamMessage]) -> None:
        done = []
        for message in messages:
            entry = message.entry_id or message.message_id
            left = self._open.get(entry, 1) - 1
            if left > 0:
                self._open[entry] = left
            else:
                self._open.pop(entry, None)
                done.append(entry)
        if done:
            self.client.xack(self.stream, self.group, *done)

    def publish(self, statement: dict[str, Any]) -> str:
        """Append one statement as the event backbone does (a batch of one; tests and benchmarks)."""
        return self.publish_many([statement])

    def publish_many(self, statements: list[dict[str, Any]]) -> str:
        """Append statements as one batch entry, the way the backbone writes one request's statements."""
        fields = {
            TYPE_FIELD: STATEMENTS_EVENT,
            KEY_FIELD: str(statements[0].get("id", "")) if statements else "",
            STATEMENT_FIELD: json.dumps(statements),
            COUNT_FIELD: str(len(statements)),
            ENQUEUED_FIELD: f"{time.time() * 1000:.3f}",
        }
        message_id = self.client.xadd(self.stream, fields)
        return message_id.decode() if isinstance(message_id, bytes) else str(message_id)
