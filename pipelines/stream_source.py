"""Where the stream processor gets its events from: the one place to rewire at merge.

Two sources share the :class:`EventSource` protocol:

* :class:`RedisStreamSource` - a consumer-group reader of the event backbone's Redis
  stream ``pathwise.events`` (see ``platform_api.events.relay``): each entry has the fields
  ``type``, ``key``, ``payload`` (JSON) and ``enqueued_ms``. Statement events
  (``type == "xapi.statement"``) carry the xAPI statement as their payload; other platform
  events are acknowledged and skipped here. It first re-reads this consumer's pending
  (delivered, unacknowledged) entries, then new ones: at-least-once across restarts.
* :class:`IterableSource` - an in-process source over statements, for tests, backfills
  and the embedded mode.

A message whose payload is not JSON is still delivered (``statement=None`` and the
raw text) so that the processor can quarantine it rather than lose it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

STATEMENT_FIELD = "payload"
TYPE_FIELD = "type"
KEY_FIELD = "key"
#: The backbone's event type for an accepted xAPI statement (``platform_api.events.outbox``).
STATEMENT_EVENT = "xapi.statement"
#: The field the backbone stamps with the enqueue time (epoch ms), when present.
ENQUEUED_FIELD = "enqueued_ms"


@dataclass(frozen=True)
class StreamMessage:
    """One delivered event; ``message_id`` is what gets acknowledged."""

    message_id: str
    statement: dict[str, Any] | None
    raw: str
    enqueued_ms: float | None = None


class EventSource(Protocol):
    def read(self, max_count: int, block_ms: int) -> list[StreamMessage]:
        """Up to ``max_count`` messages; waits at most ``block_ms`` when none is ready."""

    def ack(self, messages: list[StreamMessage]) -> None:
        """Acknowledge processed messages (they will not be delivered again)."""


def decode(message_id: str, raw: str | bytes | None, enqueued: str | bytes | None = None) -> StreamMessage:
    text = raw.decode() if isinstance(raw, bytes) else (raw or "")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = None
    statement = parsed if isinstance(parsed, dict) else None
    enqueued_ms = float(enqueued) if enqueued not in (None, b"", "") else None
    return StreamMessage(message_id=message_id, statement=statement, raw=text, enqueued_ms=enqueued_ms)


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
    """A Redis Streams consumer-group reader (``XREADGROUP`` / ``XACK``)."""

    def __init__(self, url: str, stream: str, group: str, consumer: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.stream, self.group, self.consumer = stream, group, consumer
        self._pending_done = False
        try:
            self.client.xgroup_create(stream, group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def read(self, max_count: int, block_ms: int) -> list[StreamMessage]:
        # "0" replays this consumer's pending entries (delivered before a crash), ">" reads new ones.
        start = ">" if self._pending_done else "0"
        reply = self.client.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=max_count, block=None if start == "0" else block_ms
        )
        entries = reply[0][1] if reply else []
        if start == "0" and not entries:
            self._pending_done = True
            return self.read(max_count, block_ms)
        messages, other_events = [], []
        for message_id, raw_fields in entries:
            fields = raw_fields or {}
            mid = message_id.decode() if isinstance(message_id, bytes) else str(message_id)
            if fields.get(TYPE_FIELD.encode(), STATEMENT_EVENT.encode()).decode() != STATEMENT_EVENT:
                other_events.append(mid)
                continue
            messages.append(decode(mid, fields.get(STATEMENT_FIELD.encode()), fields.get(ENQUEUED_FIELD.encode())))
        if other_events:
            self.client.xack(self.stream, self.group, *other_events)
        return messages

    def ack(self, messages: list[StreamMessage]) -> None:
        if messages:
            self.client.xack(self.stream, self.group, *[m.message_id for m in messages])

    def publish(self, statement: dict[str, Any]) -> str:
        """Append one statement (what the event backbone does; used by tests and benchmarks)."""
        fields = {
            TYPE_FIELD: STATEMENT_EVENT,
            KEY_FIELD: str(statement.get("id", "")),
            STATEMENT_FIELD: json.dumps(statement),
            ENQUEUED_FIELD: f"{time.time() * 1000:.3f}",
        }
        message_id = self.client.xadd(self.stream, fields)
        return message_id.decode() if isinstance(message_id, bytes) else str(message_id)
