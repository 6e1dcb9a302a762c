"""Redis Streams consumer groups with idempotent handlers and XAUTOCLAIM recovery.

A consumer acknowledges entries only after the handler's transactions have committed. If
it dies in between, the entries stay pending; any consumer of the group (the restarted
one, or another) reclaims entries idle longer than ``claim_idle_ms`` with XAUTOCLAIM
and processes them again, and the consumed markers make the second pass a no-op.

A statement entry carries a whole batch of statements; it is split into one event per
statement (keyed by the statement id), and the events are handled ``batch`` at a time, so an
entry may span several transactions and is acknowledged once the last of them commits.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from redis.exceptions import ResponseError
from sqlalchemy.orm import Session, sessionmaker

from pathwise.contract.stream import DEFAULT_STREAM, Event, entry_events
from pathwise.logs import get_logger
from platform_api.events.handlers import Handler, process_batch

log = get_logger(__name__)


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
        #: Events per entry in the last read: entries are read ``batch / this`` at a time, so a read
        #: holds about ``batch`` events whether entries carry single events or statement batches.
        self._per_entry = 100.0
        self._own_pending = True  # entries this name read before a restart come first
        self._next_claim = 0.0

    def ensure_group(self) -> None:
        """Create the group at the start of the stream (so no event published before is missed)."""
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def _count(self) -> int:
        return max(1, int(self.batch / self._per_entry))

    def _claim(self) -> list[Any]:
        reply = self.redis.xautoclaim(
            self.stream, self.group, self.name, min_idle_time=self.claim_idle_ms, start_id="0-0", count=self._count()
        )
        return list(reply[1])

    def _read(self, cursor: str, block: int | None) -> list[Any]:
        reply = self.redis.xreadgroup(self.group, self.name, {self.stream: cursor}, count=self._count(), block=block)
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
        """Handle the events of some entries, ``batch`` per transaction, then acknowledge the entries."""
        entries = self._next_entries()
        if not entries:
            return 0
        events: list[Event] = []
        ids = []
        for entry_id, fields in entries:
            ids.append(entry_id)
            if fields:  # empty when trimmed from the stream while pending: nothing left to do
                events.extend(entry_events(fields))
        self._per_entry = max(1.0, len(events) / len(entries))
        for start in range(0, len(events), self.batch):
            self.handled += process_batch(self.factory, self.group, self.handler, events[start : start + self.batch])
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
