"""Online read latency of a FeatureService, on the SQLite and Redis online stores.

Each run builds a throw-away repo (its own state directory and a unique Feast project,
so that Redis keys do not clash with anything else), pushes one learner x N skills, and
times in-process :meth:`features.store.FeatureRepo.online_dict` reads (Feast
``get_online_features`` on the cached ``kt_v1`` FeatureService, ``to_dict()``), as a serving
replica makes them: one store, one online-store connection, reused for every read.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.config import FeatureSettings
from features.store import open_repo
from features.transforms import LEARNER_SKILL


def _rows(learner: str, skills: list[str]) -> pd.DataFrame:
    now = datetime.now(UTC)
    return pd.DataFrame(
        {
            "learner_id": learner,
            "skill_id": skills,
            "event_timestamp": now,
            "attempts": 5,
            "corrects": 3,
            "streak": 1,
            "last_attempt_at": now,
            "mean_response_time_s": 31.5,
            "bkt_mastery": np.linspace(0.1, 0.9, len(skills)),
        }
    )


def bench_online_read(
    online_store: str,
    redis_url: str | None = None,
    skills: int = 50,
    iterations: int = 1000,
    warmup: int = 50,
    service: str = "kt_v1",
) -> dict[str, Any]:
    """p50 / p99 / mean latency in milliseconds of one FeatureService read for 1 learner x ``skills``."""
    with tempfile.TemporaryDirectory(prefix="pathwise-bench-") as tmp:
        settings = FeatureSettings(
            home=Path(tmp),
            features_project=f"bench_{uuid.uuid4().hex[:10]}",
            features_online_store=online_store,
            features_redis_url=redis_url,
        )
        repo = open_repo(settings)
        repo.apply()
        try:
            learner = "bench-learner"
            skill_ids = [f"s{i}" for i in range(skills)]
            repo.push(LEARNER_SKILL, _rows(learner, skill_ids))
            entity_rows = [{"learner_id": learner, "skill_id": s} for s in skill_ids]
            timings = []
            cpu_started = 0.0
            for i in range(warmup + iterations):
                if i == warmup:
                    cpu_started = time.process_time()
                started = time.perf_counter()
                result = repo.online_dict(service, entity_rows)
                elapsed = time.perf_counter() - started
                if i >= warmup:
                    timings.append(elapsed * 1000)
            cpu_ms = (time.process_time() - cpu_started) * 1000 / iterations
            if result["bkt_mastery"][0] is None:
                raise RuntimeError("pushed features were not read back")
        finally:
            if online_store == "redis":
                repo.teardown()
    values = np.asarray(timings)
    return {
        "store": online_store,
        "service": service,
        "entities": skills,
        "iterations": iterations,
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p99_ms": round(float(np.percentile(values, 99)), 3),
        "mean_ms": round(float(values.mean()), 3),
        #: CPU time of this process per read: less sensitive than wall time to a loaded machine.
        "cpu_mean_ms": round(cpu_ms, 3),
    }
