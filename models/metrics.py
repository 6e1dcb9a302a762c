"""Metrics every model reports: AUC, RMSE, log loss and calibration (ECE), plus the plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score, roc_curve


def expected_calibration_error(y_true: np.ndarray, y_prob: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |accuracy - confidence| over equal-width probability bins."""
    y_true = np.asarray(y_true, dtype=float)
    y_prob = np.asarray(y_prob, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(y_prob, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(y_true[mask].mean() - y_prob[mask].mean())
    return float(total / len(y_true))


def binary_metrics(y_true: np.ndarray, y_prob: np.ndarray) -> dict[str, float]:
    y_true = np.asarray(y_true, dtype=float)
    y_prob = np.clip(np.asarray(y_prob, dtype=float), 1e-7, 1 - 1e-7)
    if y_true.shape != y_prob.shape or y_true.size == 0:
        raise ValueError(f"need matching non-empty arrays, got {y_true.shape} and {y_prob.shape}")
    single_class = len(np.unique(y_true)) < 2
    return {
        "auc": float("nan") if single_class else float(roc_auc_score(y_true, y_prob)),
        "rmse": float(np.sqrt(np.mean((y_true - y_prob) ** 2))),
        "log_loss": float(log_loss(y_true, y_prob, labels=[0, 1])),
        "ece": expected_calibration_error(y_true, y_prob),
        "n": float(y_true.size),
    }


def plot_roc_and_reliability(y_true: np.ndarray, y_prob: np.ndarray, out_dir: Path, title: str) -> list[Path]:
    """Write ``roc.png`` and ``reliability.png``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    fpr, tpr, _ = roc_curve(y_true, y_prob)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(fpr, tpr, label=f"AUC {roc_auc_score(y_true, y_prob):.4f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC: {title}")
    ax.legend(loc="lower right")
    roc_path = out_dir / "roc.png"
    fig.savefig(roc_path, dpi=110, bbox_inches="tight")
    plt.close(fig)

    edges = np.linspace(0, 1, 11)
    which = np.clip(np.digitize(y_prob, edges[1:-1]), 0, 9)
    centers, observed, counts = [], [], []
    for b in range(10):
        mask = which == b
        if mask.any():
            centers.append(float(np.mean(y_prob[mask])))
            observed.append(float(np.mean(y_true[mask])))
            counts.append(int(mask.sum()))
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    ax.plot(centers, observed, marker="o", label=f"ECE {expected_calibration_error(y_true, y_prob):.4f}")
    ax.set(xlabel="predicted P(correct)", ylabel="observed frequency", title=f"Reliability: {title}")
    ax.legend(loc="upper left")
    rel_path = out_dir / "reliability.png"
    fig.savefig(rel_path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return [roc_path, rel_path]
