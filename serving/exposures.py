"""The Router's view of exposure logging: an interface, and the factory named by import path.

Serving may not import ``platform_api`` (DESIGN.md), but exposures are platform events that
go through its outbox. So the composition root names a factory (``AppArgs.exposure_sink``,
by default ``experiments.exposures:open_exposure_log``) and the Router only ever calls
``record`` (an in-memory append on the request path) and ``flush`` (a thread, every few seconds).
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

DEFAULT_SINK = "experiments.exposures:open_exposure_log"


class ExposureSink(Protocol):
    def record(self, experiment: str, variant: str, learner_id: str, **fields: Any) -> None: ...

    def flush(self) -> int: ...


def open_sink(path: str, db_url: str) -> ExposureSink:
    """Import ``module:function`` and call it with the database URL."""
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"exposure sink {path!r} is not 'module:function'")
    factory = getattr(importlib.import_module(module), name)
    sink: ExposureSink = factory(db_url)
    return sink
