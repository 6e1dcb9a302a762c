"""Scoring reports: QWK per prompt, and how well confidence and review flags behave."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from models.essay.calibration import tolerance_for
from models.essay.data import SCORE_RANGES
from models.essay.qwk import quadratic_weighted_kappa
from models.metrics import expected_calibration_error


def qwk_by_prompt(scored: pd.DataFrame, truth: str) -> dict[int, float]:
    """QWK of ``score`` against ``truth`` for every known prompt present (unscored rows skipped)."""
    out: dict[int, float] = {}
    usable = scored.dropna(subset=["score", truth])
    for prompt, part in usable.groupby("essay_set", sort=True):
        key = int(str(prompt))
        if key not in SCORE_RANGES:
            continue
        low, high = SCORE_RANGES[key]
        truth_values = part[truth].astype(int).clip(low, high)
        out[key] = round(quadratic_weighted_kappa(truth_values, part["score"].astype(int), low, high), 4)
    return out


def summarise(scored: pd.DataFrame, truth: str) -> dict[str, Any]:
    """Calibration of ``confidence`` (ECE against within-tolerance hits) and the review flags."""
    scored = scored.dropna(subset=["score", truth])
    tol = scored["essay_set"].map(lambda p: tolerance_for(*SCORE_RANGES.get(int(p), (0, 0))))
    hits = (np.abs(scored["score"] - scored[truth]) <= tol).to_numpy(float)
    confidence = scored["confidence"].to_numpy(float)
    flagged = scored["flagged"].to_numpy(bool)
    reasons = Counter(reason.split("(")[0] for text in scored["reasons"] for reason in str(text).split("; ") if reason)
    return {
        "mean_confidence": round(float(confidence.mean()), 4),
        "hit_rate": round(float(hits.mean()), 4),
        "ece": round(expected_calibration_error(hits, confidence), 4),
        "flag_rate": round(float(flagged.mean()), 4),
        "hit_rate_flagged": round(float(hits[flagged].mean()), 4) if flagged.any() else None,
        "hit_rate_unflagged": round(float(hits[~flagged].mean()), 4) if (~flagged).any() else None,
        "reasons": dict(reasons.most_common()),
    }
