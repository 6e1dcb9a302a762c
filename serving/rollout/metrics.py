"""Live per-variant metrics for the canary gates: error rate, p95 latency and online AUC.

Kept in memory in fixed-size windows (deques), fed by the Router for requests and by the
event stream for outcomes (the learner's next answer against the probability served).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from serving.rollout.assign import Variant

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

    def record_request(self, variant: Variant, latency_ms: float, *, ok: bool) -> None:
        window = self._windows[variant]
        window.latencies.append(latency_ms)
        window.failures.append(not ok)

    def record_outcome(self, variant: Variant, predicted: float, correct: bool) -> None:
        window = self._windows[variant]
        window.predictions.append(float(predicted))
        window.labels.append(int(correct))

    def reset(self) -> None:
        self._windows = {variant: _Window() for variant in Variant}

    def snapshot(self, variant: Variant) -> VariantSnapshot:
        window = self._windows[variant]
        latencies = np.fromiter(window.latencies, dtype=float)
        return VariantSnapshot(
            requests=len(window.failures),
            errors=sum(window.failures),
            p95_latency_ms=float(np.percentile(latencies, 95)) if latencies.size else None,
            outcomes=len(window.labels),
            online_auc=_auc(list(window.predictions), list(window.labels)),
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
