"""Quadratic weighted kappa over a prompt's fixed rubric range.

Own code (a dozen lines of numpy) rather than ``sklearn.metrics.cohen_kappa_score`` so that
the rating range is explicit (scores a prompt allows but nobody received still count in the
expected matrix, as in the ASAP competition metric) and the degenerate case of a single
observed rating returns a defined value instead of NaN. The tests check it against sklearn.
"""

from __future__ import annotations

import numpy as np


def quadratic_weighted_kappa(
    y_true: np.ndarray | list[int], y_pred: np.ndarray | list[int], low: int | None = None, high: int | None = None
) -> float:
    a = np.asarray(y_true, dtype=np.int64)
    b = np.asarray(y_pred, dtype=np.int64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"need two non-empty 1-d arrays of equal length, got {a.shape} and {b.shape}")
    low = int(min(a.min(), b.min())) if low is None else low
    high = int(max(a.max(), b.max())) if high is None else high
    if a.min() < low or b.min() < low or a.max() > high or b.max() > high:
        raise ValueError(f"ratings outside [{low}, {high}]")
    n = high - low + 1
    observed = np.zeros((n, n), dtype=np.float64)
    np.add.at(observed, (a - low, b - low), 1.0)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / a.size
    grid = np.arange(n)
    weights = (grid[:, None] - grid[None, :]) ** 2 / max(1, (n - 1) ** 2)
    denominator = float((weights * expected).sum())
    if denominator == 0.0:  # both raters used one and the same rating throughout
        return 1.0
    return 1.0 - float((weights * observed).sum()) / denominator
