"""Canary metrics pooled across Router replicas, through the application database.

Each replica appends what it saw since its last flush (``rollout_metrics``, defined once in
:mod:`pathwise.contract.tables`, created by the platform's migration 0008_serving2); the
controller reads every batch of the current step, for the versions the spec names, and judges
the pooled samples. The database is the one store both the embedded and the scaled-out setup always have.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from pathwise.contract.rollout.assign import Variant
from pathwise.contract.rollout.metrics import VariantSnapshot
from pathwise.contract.rollout.spec import RolloutSpec
from pathwise.contract.tables import rollout_metrics as _metrics


class PooledMetrics:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(self, slot: str, batches: list[dict[str, Any]], at: datetime | None = None) -> None:
        """Append one replica's drained batches (see :meth:`serving.rollout.LiveMetrics.drain`)."""
        if batches:
            rows = [{"slot": slot, "at": at or datetime.now(UTC), **batch} for batch in batches]
            with self.engine.begin() as conn:
                conn.execute(insert(_metrics), rows)

    def snapshots(self, spec: RolloutSpec) -> tuple[VariantSnapshot, VariantSnapshot]:
        """(champion, challenger) pooled over every replica since the current step started."""
        query = select(_metrics).where(_metrics.c.slot == str(spec.slot))
        if spec.step_started_at is not None:
            query = query.where(_metrics.c.at >= spec.step_started_at)
        pools: dict[Variant, dict[str, Any]] = {
            v: {"latencies": [], "errors": 0, "predictions": [], "labels": []} for v in Variant
        }
        versions = {Variant.CHAMPION: spec.champion, Variant.CHALLENGER: spec.challenger}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                variant = Variant(row.variant)
                if row.version != versions[variant]:
                    continue  # a batch from an earlier rollout or a replica not yet reconfigured
                pool = pools[variant]
                pool["latencies"] += row.latencies_ms
                pool["errors"] += row.errors
                pool["predictions"] += row.predictions
                pool["labels"] += row.labels
        champion, challenger = (
            VariantSnapshot.of(p["latencies"], p["errors"], p["predictions"], p["labels"]) for p in pools.values()
        )
        return champion, challenger

    def prune(self, before: datetime) -> int:
        """Forget batches older than ``before`` (the watcher keeps a day)."""
        with self.engine.begin() as conn:
            return conn.execute(delete(_metrics).where(_metrics.c.at < before)).rowcount or 0
