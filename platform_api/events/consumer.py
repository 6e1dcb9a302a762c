"""Redis Streams consumer groups with idempotent handlers and XAUTOCLAIM recovery.

A consumer acknowledges a batch only after the handler's transaction has committed. If
it dies in between, the entries stay pending; any consumer of the group (the restarted
one, or another) reclaims entries idle longer than ``claim_idle_ms`` with XAUTOCLAIM
and processes them again, and the consumed markers make the second pass a no-op.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
from redis.exceptions import ResponseError
from sqlalchemy.orm import Session, sessionmaker

from pathwise.logs import get_logger
from platform_api.events.handlers import Event, Handler, process_batch
from platform_api.events.relay import DEFAULT_STREAM

log = get_logger(__name__)


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class StreamConsumer:
    def __init__(
        self,
        redis: Any,
        factory: sessionmaker[Session],
        handler: Handler,
        *,
        group: str,
        name: str,
        stream: str = DEFAULT_STREAM,
        batch: int = 200,
        claim_idle_ms: int = 30_000,
        block_ms: int = 1000,
    ) -> None:
        self.redis, self.factory, self.handler = redis, factory, handler
        self.group, self.name, self.stream = group, name, stream
        self.batch, self.claim_idle_ms, self.block_ms = batch, claim_idle_ms, block_ms
        self.handled = 0
        self.delivered = 0
        self._own_pending = True  # entries this name read before a restart come first
        self._next_claim = 0.0

    def ensure_group(self) -> None:
        """Create the group at the start of the stream (so no event published before is missed)."""
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def _claim(self) -> list[Any]:
        reply = self.redis.xautoclaim(
            self.stream, self.group, self.name, min_idle_time=self.claim_idle_ms, start_id="0-0", count=self.batch
        )
        return list(reply[1])

    def _read(self, cursor: str, block: int | None) -> list[Any]:
        reply = self.redis.xreadgroup(self.group, self.name, {self.stream: cursor}, count=self.batch, block=block)
        return list(reply[0][1]) if reply else []

    def _next_entries(self) -> list[Any]:
        """Own pending entries (after a restart), then reclaimed ones, then new ones.

        XAUTOCLAIM runs at most once per ``min(claim_idle_ms, 1 s)`` while it finds nothing,
        so a busy consumer spends its round trips on new entries.
        """
        if self._own_pending:
            entries = self._read("0", None)
            if entries:
                return entries
            self._own_pending = False
        now = time.monotonic()
        if now >= self._next_claim:
            entries = self._claim()
            if entries:
                return entries
            self._next_claim = now + min(self.claim_idle_ms, 1000) / 1000
        return self._read(">", self.block_ms)

    def poll_once(self) -> int:
        """Handle one batch and acknowledge it once the handler's transaction has committed."""
        entries = self._next_entries()
        if not entries:
            return 0
        events, ids = [], []
        for entry_id, fields in entries:
            ids.append(entry_id)
            if not fields:  # trimmed from the stream while pending: nothing left to do
                continue
            data = {_decode(k): v for k, v in fields.items()}
            events.append(Event(_decode(data["type"]), _decode(data["key"]), orjson.loads(data["payload"])))
        self.handled += process_batch(self.factory, self.group, self.handler, events)
        self.delivered += len(events)
        self.redis.xack(self.stream, self.group, *ids)
        return len(entries)

    def run(self, stop: threading.Event | None = None, exit_when_idle_s: float | None = None) -> None:
        """Consume until ``stop`` is set, or until nothing arrived for ``exit_when_idle_s`` seconds."""
        self.ensure_group()
        idle_since = time.monotonic()
        while stop is None or not stop.is_set():
            if self.poll_once():
                idle_since = time.monotonic()
            elif exit_when_idle_s is not None and time.monotonic() - idle_since >= exit_when_idle_s:
                return
