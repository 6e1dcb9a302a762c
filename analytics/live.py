"""The analytics store kept fresh from the event stream: each batch of statements starts a catch-up.

A consumer of the embedded event bus (the API hands it to the in-process dispatcher). It reads nothing
from the events themselves: an event batch with statements in it says the LRS has grown, and the one
data path, :func:`analytics.catchup.catch_up` by the LRS's watermark, takes what is new, each statement
once. A failure (the file held by a refresh run from the command line) is logged and left to the next
batch or the next ``pathwise analytics refresh``: the marts may lag, the platform's writers never wait.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from analytics.catchup import catch_up
from analytics.store import AnalyticsStore
from pathwise.contract.stream import STATEMENT_EVENT, STATEMENTS_EVENT
from pathwise.logs import get_logger

#: The consumer group's name on the event bus.
GROUP = "pathwise.analytics"

log = get_logger(__name__)


class LiveRefresh:
    """``events -> None``: a catch-up after every batch that holds statements, one at a time.

    A batch that arrives during a catch-up marks the store dirty; the running catch-up goes round again
    rather than a second one waiting on the file.
    """

    def __init__(self, engine: Engine, store: AnalyticsStore) -> None:
        self.engine, self.store = engine, store
        self._running = threading.Lock()
        self._dirty = threading.Event()

    def __call__(self, events: Sequence[Any]) -> None:
        if not any(event.type in (STATEMENT_EVENT, STATEMENTS_EVENT) for event in events):
            return
        self._dirty.set()
        while self._dirty.is_set() and self._running.acquire(blocking=False):
            try:
                while self._dirty.is_set():
                    self._dirty.clear()
                    self._catch_up()
            finally:
                self._running.release()

    def _catch_up(self) -> None:
        try:
            done = catch_up(self.engine, self.store)
        except Exception as error:  # the marts may lag; the bus must not stall for them
            log.warning("analytics_refresh_failed", error=str(error))
            return
        took_ms = round(done.seconds * 1000)
        log.info("analytics_refreshed", to_seq=done.to_seq, applied=done.report.applied, took_ms=took_ms)
