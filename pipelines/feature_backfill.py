"""Fill the feature store from an interaction table (the bundled sample at ``pathwise up``).

The tidy KT tables carry no clock, so :func:`sample_statements` gives each interaction a
synthetic but deterministic timestamp: learner ``i`` (in order of learner id) starts on
day ``i mod 28`` after :data:`SAMPLE_EPOCH` at minute ``17 i mod 600``; successive
answers are 90 s apart, and every 25 answers the learner resumes the next day. Each
answer gets a synthetic duration of ``20 + 13 k mod 41`` seconds (``k`` = position in the
learner's history) and a UUIDv5 statement id, so re-running produces identical rows.

The statements then go through the same gate, mapping and transforms as the live stream
(:class:`pipelines.stream.StreamProcessor`), and the online store is filled by
materialization.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from features.config import FeatureSettings
from features.events import answer_statement
from pipelines.stream import BatchReport, build_processor
from pipelines.stream_source import IterableSource

SAMPLE_EPOCH = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SAMPLE_COURSE = "assist2009-sample"
SAMPLE_MARK = "backfill:assist2009-sample"
_NAMESPACE = uuid.UUID("5b1f8a52-3c1e-4b7e-9a55-2f7c3b0d9e11")


def sample_statements(frame: pd.DataFrame, epoch: datetime = SAMPLE_EPOCH) -> list[dict[str, Any]]:
    """xAPI statements for a tidy interaction table, in timestamp order (see module docstring)."""
    ordered = frame.sort_values(["user_id", "seq"], kind="stable")
    learners = {user: i for i, user in enumerate(sorted(ordered["user_id"].astype(str).unique()))}
    statements = []
    for row in ordered.itertuples(index=False):
        user = str(row.user_id)
        i, k = learners[user], int(row.seq)
        start = epoch + timedelta(days=i % 28, minutes=(17 * i) % 600)
        moment = start + timedelta(seconds=90 * (k % 25), days=k // 25)
        item = str(row.item_id) if pd.notna(row.item_id) else f"skill-{row.skill_id}"
        statements.append(
            answer_statement(
                statement_id=str(uuid.uuid5(_NAMESPACE, f"{user}:{k}")),
                learner_id=user,
                item_id=item,
                skill_id=str(row.skill_id),
                correct=bool(row.correct),
                timestamp=moment,
                duration_s=float(20 + (13 * k) % 41),
                course_id=SAMPLE_COURSE,
            )
        )
    statements.sort(key=lambda s: (s["timestamp"], s["id"]))
    return statements


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


def backfill_sample(settings: FeatureSettings) -> str:
    """Apply the repo, backfill the bundled sample once and materialize (idempotent)."""
    from features.store import open_repo
    from pipelines.datasets import load_sample
    from pipelines.stream_state import StateStore

    repo = open_repo(settings)
    repo.apply()
    state = StateStore(settings.home / "stream" / "state.db")
    try:
        done = state.mark(SAMPLE_MARK)
    finally:
        state.close()
    if done:
        return "sample already backfilled, reused"
    report = backfill(settings, sample_statements(load_sample()))
    end = repo.materialize()
    state = StateStore(settings.home / "stream" / "state.db")
    try:
        state.set_mark(SAMPLE_MARK, f"{report.processed} events at {end.isoformat()}")
    finally:
        state.close()
    return f"{report.processed} events backfilled, {report.quarantined} quarantined, materialized"
