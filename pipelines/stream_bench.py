"""Stream processor throughput and event-to-online freshness.

* **throughput** - a burst of synthetic answers served from memory through the whole
  processor (gate, mapping, transforms, Feast push, offline append, state commit);
  events/s over the wall time of the run.
* **freshness** - a producer thread publishes answers to a unique Redis stream at a fixed
  rate, stamping each entry with its enqueue time; the processor consumes the stream
  with a consumer group and, for every event, freshness is push-completed time minus
  enqueue time. Reported as p50 / p95 / max.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from features.config import FeatureSettings
from features.xapi_vocabulary import answered_statement
from pipelines.stream import BatchReport, build_processor
from pipelines.stream_source import IterableSource, RedisStreamSource


def synthetic_answers(count: int, learners: int = 200, skills: int = 50, seed: int = 3) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    start = datetime.now(UTC) - timedelta(hours=1)
    return [
        answered_statement(
            f"l{rng.integers(learners)}",
            f"i{rng.integers(500)}",
            f"s{rng.integers(skills)}",
            bool(rng.random() < 0.6),
            timestamp=start + timedelta(milliseconds=10 * i),
            statement_id=str(uuid.uuid4()),
            duration_s=float(rng.integers(5, 90)),
        )
        for i in range(count)
    ]


def _settings(tmp: str, online_store: str, redis_url: str | None) -> FeatureSettings:
    return FeatureSettings(
        home=Path(tmp),
        features_project=f"bench_{uuid.uuid4().hex[:10]}",
        features_online_store=online_store,
        features_redis_url=redis_url,
    )


def bench_throughput(
    events: int, batch_size: int, online_store: str = "sqlite", redis_url: str | None = None, gate: bool = True
) -> dict[str, Any]:
    statements = synthetic_answers(events)
    with tempfile.TemporaryDirectory(prefix="pathwise-bench-") as tmp:
        settings = _settings(tmp, online_store, redis_url)
        processor, repo = build_processor(settings, with_gate=gate)
        repo.apply()
        processor.run(IterableSource(synthetic_answers(batch_size)), batch_size, 0, idle_exit_s=0.0)  # warm-up
        started, cpu_started = time.perf_counter(), time.process_time()
        report = processor.run(IterableSource(statements), batch_size, 0, idle_exit_s=0.0)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        processor.state.close()
        if online_store == "redis":
            repo.teardown()
    return {
        "store": online_store,
        "gate": gate,
        "events": report.processed,
        "batch_size": batch_size,
        "seconds": round(elapsed, 3),
        "events_per_s": round(report.processed / elapsed, 1),
        "cpu_seconds": round(cpu, 3),
        "events_per_cpu_s": round(report.processed / cpu, 1),
    }


def bench_freshness(
    redis_url: str,
    rate_per_s: float,
    seconds: float,
    batch_size: int,
    online_store: str = "sqlite",
    gate: bool = True,
) -> dict[str, Any]:
    stream = f"pathwise.bench.{uuid.uuid4().hex[:10]}"
    total = int(rate_per_s * seconds)
    statements = synthetic_answers(total)
    with tempfile.TemporaryDirectory(prefix="pathwise-bench-") as tmp:
        settings = _settings(tmp, online_store, redis_url if online_store == "redis" else None)
        processor, repo = build_processor(settings, with_gate=gate)
        repo.apply()
        source = RedisStreamSource(redis_url, stream, "bench", "bench-1")
        processor.run(IterableSource(synthetic_answers(50)), 50, 0, idle_exit_s=0.0)  # warm-up

        def produce() -> None:
            interval = 1.0 / rate_per_s
            next_at = time.perf_counter()
            for statement in statements:
                source.publish(statement)
                next_at += interval
                time.sleep(max(0.0, next_at - time.perf_counter()))

        producer = threading.Thread(target=produce, daemon=True)
        fresh: list[float] = []

        def collect(report: BatchReport) -> None:
            fresh.extend(report.freshness_s)

        try:
            producer.start()
            processor.run(source, batch_size, 50, max_events=total, idle_exit_s=10.0, on_batch=collect)
            producer.join()
        finally:
            source.client.delete(stream)
            processor.state.close()
            if online_store == "redis":
                repo.teardown()
    values = np.asarray(fresh)
    return {
        "store": online_store,
        "gate": gate,
        "rate_per_s": rate_per_s,
        "events": int(values.size),
        "p50_s": round(float(np.percentile(values, 50)), 4),
        "p95_s": round(float(np.percentile(values, 95)), 4),
        "max_s": round(float(values.max()), 4),
    }
