"""Fill the feature store from the LRS history (``pathwise up``) or any statement list.

:func:`backfill_lrs` reads every non-voided statement the features use straight from the
LRS database (:func:`pipelines.lrs_history.lrs_statements`), so the offline rows carry the
LRS's statement ids, timestamps and actors. The statements go through the same gate,
mapping and transforms as the live stream (:class:`pipelines.stream.StreamProcessor`),
and the online store is filled by materialization.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from features.config import FeatureSettings
from features.events import ALLOWED_VERBS
from pipelines.stream import BatchReport, build_processor
from pipelines.stream_source import IterableSource

HISTORY_MARK = "backfill:lrs-history"


def backfill(
    settings: FeatureSettings,
    statements: list[dict[str, Any]],
    batch_size: int = 50_000,
    on_batch: Callable[[BatchReport], None] | None = None,
) -> BatchReport:
    """Gate, transform and append ``statements`` offline (no online push: materialize after)."""
    processor, _ = build_processor(settings, with_gate=True, online=False)
    try:
        return processor.run(
            IterableSource(statements), batch_size=batch_size, block_ms=0, idle_exit_s=0.0, on_batch=on_batch
        )
    finally:
        processor.state.close()


def backfill_lrs(settings: FeatureSettings) -> str:
    """Apply the repo, backfill the LRS history once and materialize (idempotent)."""
    from features.store import open_repo
    from pipelines.lrs_history import lrs_statements
    from pipelines.stream_state import StateStore

    repo = open_repo(settings)
    repo.apply()
    state = StateStore(settings.home / "stream" / "state.db")
    try:
        done = state.mark(HISTORY_MARK)
    finally:
        state.close()
    if done:
        return "LRS history already backfilled, reused"
    report = backfill(settings, lrs_statements(settings.db_url, ALLOWED_VERBS))
    end = repo.materialize()
    state = StateStore(settings.home / "stream" / "state.db")
    try:
        state.set_mark(HISTORY_MARK, f"{report.processed} events at {end.isoformat()}")
    finally:
        state.close()
    return f"{report.processed} LRS statements backfilled, {report.quarantined} quarantined, materialized"
