"""Garbage-collector settings for long-running server processes."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Move everything built at start-up out of the garbage collector's view (``gc.freeze``).

    For server processes, once their app is built: routers, models and modules live as long as
    the process, and left in the tracked heap every collection of the older generations walks
    them again, while request bodies (thousands of dicts per statement batch) trigger
    collections often. Profiled on the ingest path, parsing a batch cost about half as much
    after the freeze. Not for tests, which build many apps in one process.
    """
    gc.collect()
    gc.freeze()
