"""Where the stream processor gets its events from: the one place to rewire at merge.

Two sources share the :class:`EventSource` protocol:

* :class:`RedisStreamSource` - a consumer-group reader of the event backbone's Redis
  stream ``pathwise.events``, in the message format of :mod:`pathwise.contract.stream`: each
  entry has the fields ``type``, ``key``, ``payload`` (JSON) and ``enqueued_ms``. The backbone writes the
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

from pathwise.contract.stream import (
    PAYLOAD_FIELD,
    STATEMENT_EVENT,
    STATEMENTS_EVENT,
    Entry,
    Event,
    entry_fields,
    read_entry,
)


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


def _messages(entry_id: str, entry: Entry) -> list[StreamMessage]:
    """The statements of one entry: each item of a batch's JSON array, or the entry's one statement.

    A batch payload that is not a non-empty JSON array, like a single payload that is not a
    JSON object, stays one message with ``statement=None`` and the raw text.
    """
    if entry.type == STATEMENTS_EVENT and isinstance(entry.payload, list) and entry.payload:
        return [
            StreamMessage(
                f"{entry_id}#{n}",
                item if isinstance(item, dict) else None,
                "" if isinstance(item, dict) else json.dumps(item),
                entry.enqueued_ms,
                entry_id,
            )
            for n, item in enumerate(entry.payload)
        ]
    statement = entry.payload if isinstance(entry.payload, dict) else None
    return [StreamMessage(entry_id, statement, entry.raw, entry.enqueued_ms, entry_id)]


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
            if isinstance(item, str):
                batch.extend(_messages(message_id, read_entry({PAYLOAD_FIELD: item})))
            else:
                batch.append(StreamMessage(message_id, item, ""))
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
            mid = message_id.decode() if isinstance(message_id, bytes) else str(message_id)
            entry = read_entry(raw_fields)
            if entry.type not in (STATEMENT_EVENT, STATEMENTS_EVENT):
                other_events.append(mid)
                continue
            messages = _messages(mid, entry)
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
        key = str(statements[0].get("id", "")) if statements else ""
        event = Event(STATEMENTS_EVENT, key, statements, len(statements))
        message_id = self.client.xadd(self.stream, entry_fields(event, f"{time.time() * 1000:.3f}"))
        return message_id.decode() if isinstance(message_id, bytes) else str(message_id)
