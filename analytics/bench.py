"""``pathwise bench analytics``: the analytics store's jobs at the issue's scale, on generated data.

- ``refresh_s``: 10,000 new ``answered`` statements taken from an LRS table into a store that already
  holds ``--base`` statements: read by the watermark, parsed, deduplicated, written, in one call of
  :func:`analytics.catchup.catch_up`. The LRS table here has just the columns the catch-up reads
  (``seq``, ``stored``, ``payload``), in a throw-away SQLite file.
- ``item_analysis_s``: one assessment of 500 items over 1,000,000 first answers (2,000 learners x 500
  items, scores drawn from a 2PL model): the mart query and the classical statistics, as the API's
  report runs them. The answers are bulk-loaded into the store's table, since the refresh is timed apart.

- ``heatmap_p95_ms``: the cohort heatmap of one course, 1,000 learners x 100 skills with 10 answers a
  cell (1,000,000 answers over 60 days), read 20 times: the mart query and the shaping the API does.

At-risk scoring is not built yet; its figure is null.
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
from analytics.cohort import heatmap
from analytics.items import item_analysis
from analytics.store import ARROW_SCHEMA, COLUMNS, AnalyticsStore, rebuild_marts
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
    _bulk_answers(
        store,
        learners=np.repeat(np.arange(learners), items).astype(str),
        items=np.tile(np.arange(items), learners).astype(str),
        scores=right.ravel().astype(float),
        assessment="1",
    )
    started = time.perf_counter()
    analysis, answers = item_analysis(store, 1, list(range(items)))
    took = time.perf_counter() - started
    assert analysis is not None and answers == learners * items
    return took, answers


def _bulk_answers(
    store: AnalyticsStore,
    *,
    learners: np.ndarray,
    items: np.ndarray,
    scores: np.ndarray,
    assessment: str | None = None,
    skills: np.ndarray | None = None,
    course: str | None = None,
    seconds: np.ndarray | None = None,
) -> None:
    """Answers written straight into the store's table (the refresh is timed apart): one Arrow insert."""
    count = len(learners)
    ts = np.datetime64("2026-09-01T00:00:00", "us") + (
        np.zeros(count, dtype="timedelta64[s]") if seconds is None else seconds.astype("timedelta64[s]")
    )
    columns = {name: pa.nulls(count, ARROW_SCHEMA.field(name).type) for name in COLUMNS}
    columns |= {
        "statement_id": pa.array([f"s{n}" for n in range(count)]),
        "arrival": pa.array(np.arange(count, dtype=np.int64)),
        "learner_id": pa.array(learners),
        "ts": pa.array(ts.astype("datetime64[us]"), pa.timestamp("us", tz="UTC")),
        "kind": pa.array(np.full(count, "answer")),
        "verb": pa.array(np.full(count, "answered")),
        "object_id": pa.array(items),
        "item_id": pa.array(items),
        "correct": pa.array(scores >= 0.5),
        "score": pa.array(scores),
    }
    if assessment is not None:
        columns["assessment_id"] = pa.array(np.full(count, assessment))
    if skills is not None:
        columns["skill_id"] = pa.array(skills)
    if course is not None:
        columns["course_id"] = pa.array(np.full(count, course))
    with store.connect() as db:
        db.register("generated", pa.table([columns[name] for name in COLUMNS], schema=ARROW_SCHEMA))
        db.execute("INSERT INTO interactions SELECT * FROM generated")
        rebuild_marts(db)


def heatmap_p95_ms(folder: Path, learners: int, skills: int, per_cell: int, runs: int = 20) -> tuple[float, int]:
    """p95 of the heatmap of one course over ``runs`` reads; ``per_cell`` answers per learner and skill."""
    rng = np.random.default_rng(11)
    count = learners * skills * per_cell
    store = AnalyticsStore(folder / "heatmap.duckdb")
    _bulk_answers(
        store,
        learners=np.repeat(np.arange(learners), skills * per_cell).astype(str),
        items=rng.integers(0, 5_000, count).astype(str),
        skills=np.tile(np.repeat(np.arange(skills), per_cell), learners).astype(str),
        scores=(rng.random(count) < 0.6).astype(float),
        course="1",
        seconds=rng.integers(0, 60 * 86_400, count),
    )
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        found = heatmap(store, 1)
        took.append((time.perf_counter() - started) * 1000)
    assert len(found.learners) == learners and len(found.skills) == skills
    return float(np.percentile(took, 95)), count


def run(
    base: int, new: int, learners: int, items: int, map_learners: int = 1_000, map_skills: int = 100, per_cell: int = 10
) -> dict[str, object]:
    """The figures ``--json`` prints (targets: refresh <= 5 s, item analysis <= 10 s, heatmap p95 <= 300 ms)."""
    with tempfile.TemporaryDirectory(prefix="pathwise-bench-analytics-") as tmp:
        folder = Path(tmp)
        refresh_s, applied = refresh_seconds(folder, base, new)
        analysis_s, answers = item_analysis_seconds(folder, learners, items)
        map_ms, map_answers = heatmap_p95_ms(folder, map_learners, map_skills, per_cell)
    return {
        "refresh_s": round(refresh_s, 3),
        "refresh_statements": applied,
        "item_analysis_s": round(analysis_s, 3),
        "item_analysis_answers": answers,
        "item_analysis_items": items,
        "heatmap_p95_ms": round(map_ms, 1),
        "heatmap_cells": map_learners * map_skills,
        "heatmap_answers": map_answers,
        "risk_scoring_s": None,
    }
