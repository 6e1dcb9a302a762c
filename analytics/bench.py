"""``pathwise bench analytics``: the analytics store's jobs at the issue's scale, on generated data.

- ``refresh_s``: 10,000 new ``answered`` statements taken from an LRS table into a store that already
  holds ``--base`` statements: read by the watermark, parsed, deduplicated, written, in one call of
  :func:`analytics.catchup.catch_up`. The LRS table here has just the columns the catch-up reads
  (``seq``, ``stored``, ``payload``), in a throw-away SQLite file.
- ``item_analysis_s``: one assessment of 500 items over 1,000,000 first answers (2,000 learners x 500
  items, scores drawn from a 2PL model): the mart query and the classical statistics, as the API's
  report runs them. The answers are bulk-loaded into the store's table, since the refresh is timed apart.

The cohort heatmap and at-risk scoring are not built yet; their figures are null.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from analytics.catchup import catch_up
from analytics.items import item_analysis
from analytics.store import ARROW_SCHEMA, COLUMNS, AnalyticsStore
from features.xapi_vocabulary import Extension, answered_statement, learner_account

T0 = datetime(2026, 9, 1, tzinfo=UTC)


def _statements(count: int, offset: int) -> list[dict[str, object]]:
    return [
        answered_statement(
            learner_account(n % 1_000),
            n % 500,
            n % 100,
            n % 3 > 0,
            timestamp=T0 + timedelta(seconds=n),
            statement_id=str(uuid.UUID(int=n + 1)),
            extra={Extension.ATTEMPT_ID: str(n)},
        )
        for n in range(offset, offset + count)
    ]


def refresh_seconds(folder: Path, base: int, new: int) -> tuple[float, int]:
    from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, Table, create_engine, insert

    engine = create_engine(f"sqlite:///{folder / 'lrs.db'}")
    metadata = MetaData()
    lrs = Table(
        "lrs_statements",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),  # SQLite numbers an INTEGER key itself
        Column("stored", DateTime(timezone=True)),
        Column("payload", JSON),
    )
    metadata.create_all(engine)
    store = AnalyticsStore(folder / "analytics.duckdb")

    def add(statements: list[dict[str, object]]) -> None:
        with engine.begin() as connection:
            now = datetime.now(UTC)
            connection.execute(insert(lrs), [{"stored": now, "payload": s} for s in statements])

    add(_statements(base, 0))
    catch_up(engine, store)
    add(_statements(new, base))
    started = time.perf_counter()
    done = catch_up(engine, store)
    return time.perf_counter() - started, done.report.applied


def item_analysis_seconds(folder: Path, learners: int, items: int, seed: int = 7) -> tuple[float, int]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=learners)
    a, b = rng.uniform(0.3, 2.0, size=items), rng.normal(size=items)
    right = rng.random((learners, items)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))
    store = AnalyticsStore(folder / "items.duckdb")
    learner_ids = np.repeat(np.arange(learners), items).astype(str)
    item_ids = np.tile(np.arange(items), learners).astype(str)
    count = learners * items
    columns = {name: pa.nulls(count, ARROW_SCHEMA.field(name).type) for name in COLUMNS}
    columns |= {
        "statement_id": pa.array([f"s{n}" for n in range(count)]),
        "arrival": pa.array(np.arange(count, dtype=np.int64)),
        "learner_id": pa.array(learner_ids),
        "ts": pa.array(np.full(count, np.datetime64("2026-09-01T00:00:00", "us")), pa.timestamp("us", tz="UTC")),
        "kind": pa.array(np.full(count, "answer")),
        "verb": pa.array(np.full(count, "answered")),
        "object_id": pa.array(item_ids),
        "item_id": pa.array(item_ids),
        "assessment_id": pa.array(np.full(count, "1")),
        "correct": pa.array(right.ravel()),
        "score": pa.array(right.ravel().astype(float)),
    }
    with store.connect() as db:
        db.register("generated", pa.table([columns[name] for name in COLUMNS], schema=ARROW_SCHEMA))
        db.execute("INSERT INTO interactions SELECT * FROM generated")
    started = time.perf_counter()
    analysis, answers = item_analysis(store, 1, list(range(items)))
    took = time.perf_counter() - started
    assert analysis is not None and answers == count
    return took, answers


def run(base: int, new: int, learners: int, items: int) -> dict[str, object]:
    """The figures ``--json`` prints (targets: refresh <= 5 s, item analysis <= 10 s)."""
    with tempfile.TemporaryDirectory(prefix="pathwise-bench-analytics-") as tmp:
        folder = Path(tmp)
        refresh_s, applied = refresh_seconds(folder, base, new)
        analysis_s, answers = item_analysis_seconds(folder, learners, items)
    return {
        "refresh_s": round(refresh_s, 3),
        "refresh_statements": applied,
        "item_analysis_s": round(analysis_s, 3),
        "item_analysis_answers": answers,
        "item_analysis_items": items,
        "heatmap_p95_ms": None,
        "risk_scoring_s": None,
    }
