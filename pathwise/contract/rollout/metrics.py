"""Live per-variant metrics for the canary gates: error rate, p95 latency and online AUC.

Kept in memory in fixed-size windows (deques), fed by the Router for requests and by the
event stream for outcomes (the learner's next answer against the probability served).
Each replica also keeps what it saw since its last :meth:`LiveMetrics.drain`; the Router
writes those batches to the database (:mod:`pathwise.contract.rollout.pooled`), where the canary
controller pools every replica's batches, since no one replica sees the whole canary.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from pathwise.contract.rollout.assign import Variant

WINDOW = 5_000


@dataclass(frozen=True)
class VariantSnapshot:
    requests: int
    errors: int
    p95_latency_ms: float | None
    outcomes: int
    online_auc: float | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @classmethod
    def of(cls, latencies: list[float], errors: int, predictions: list[float], labels: list[int]) -> VariantSnapshot:
        """The snapshot of raw samples (one request per latency)."""
        values = np.asarray(latencies, dtype=float)
        return cls(
            requests=len(latencies),
            errors=errors,
            p95_latency_ms=float(np.percentile(values, 95)) if values.size else None,
            outcomes=len(labels),
            online_auc=_auc(predictions, labels),
        )

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 6),
            "p95_latency_ms": self.p95_latency_ms,
            "outcomes": self.outcomes,
            "online_auc": self.online_auc,
        }


@dataclass
class _Window:
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    failures: deque[bool] = field(default_factory=lambda: deque(maxlen=WINDOW))
    predictions: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    labels: deque[int] = field(default_factory=lambda: deque(maxlen=WINDOW))


class LiveMetrics:
    """Rolling windows per variant; ``reset()`` starts a fresh window when a canary step begins."""

    def __init__(self) -> None:
        self._windows: dict[Variant, _Window] = {variant: _Window() for variant in Variant}
        self._pending: dict[tuple[Variant, str], _Window] = {}

    def _batch(self, variant: Variant, version: str) -> _Window:
        return self._pending.setdefault((variant, version), _Window())

    def record_request(self, variant: Variant, latency_ms: float, *, ok: bool, version: str = "") -> None:
        for window in (self._windows[variant], self._batch(variant, version)):
            window.latencies.append(latency_ms)
            window.failures.append(not ok)

    def record_outcome(self, variant: Variant, predicted: float, correct: bool, version: str = "") -> None:
        for window in (self._windows[variant], self._batch(variant, version)):
            window.predictions.append(float(predicted))
            window.labels.append(int(correct))

    def drain(self) -> list[dict[str, object]]:
        """What was recorded since the last drain, one batch per (variant, version), and forget it."""
        pending, self._pending = self._pending, {}
        return [
            {
                "variant": str(variant),
                "version": version,
                "requests": len(window.failures),
                "errors": sum(window.failures),
                "latencies_ms": [round(value, 3) for value in window.latencies],
                "predictions": [round(value, 6) for value in window.predictions],
                "labels": list(window.labels),
            }
            for (variant, version), window in pending.items()
        ]

    def reset(self) -> None:
        self._windows = {variant: _Window() for variant in Variant}

    def snapshot(self, variant: Variant) -> VariantSnapshot:
        window = self._windows[variant]
        return VariantSnapshot.of(
            list(window.latencies), sum(window.failures), list(window.predictions), list(window.labels)
        )


def _auc(scores: list[float], labels: list[int]) -> float | None:
    """ROC AUC from ranks (Mann-Whitney U); None when one class is missing."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    rank_sum = float(sum(rank for rank, label in zip(ranks, labels, strict=True) if label))
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
