"""From a continuous score prediction to a rubric score and a calibrated confidence.

* ``fit_cutpoints``: the cut points between adjacent rubric scores are tuned to maximise
  QWK on out-of-fold predictions (coordinate search, kept monotone), which beats plain
  rounding because regressors shrink towards the mean.
* ``stretch_cutpoints``: the two-parameter alternative, rounding after an affine map that gives
  the predictions the mean and spread of the true scores. ``fit_cutpoints(shrink=…)`` pulls the
  tuned cut points towards these: with one free cut point per score step (60 on prompt 8) the
  tuned ones fit the noise of a few hundred out-of-fold essays.
* ``ConfidenceCalibrator``: a Gaussian on the out-of-fold residuals gives a raw probability
  that the true score lies within the prompt's tolerance of the predicted one; isotonic
  regression on out-of-fold hits maps it to an observed frequency, so a confidence of 0.7
  means right (within tolerance) about 70% of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from sklearn.isotonic import IsotonicRegression

from models.essay.qwk import quadratic_weighted_kappa


def apply_cutpoints(pred: np.ndarray, low: int, cuts: np.ndarray) -> np.ndarray:
    return (low + np.searchsorted(cuts, np.asarray(pred, dtype=float), side="right")).astype(np.int64)


def stretch_cutpoints(pred: np.ndarray, y: np.ndarray, low: int, high: int) -> np.ndarray:
    """Cut points that round ``a + b * pred`` where the map matches the mean and spread of ``y``."""
    pred, y = np.asarray(pred, dtype=float), np.asarray(y, dtype=float)
    steps = np.arange(low, high, dtype=float) + 0.5
    spread = float(pred.std())
    if len(pred) < 2 or spread < 1e-12 or float(y.std()) < 1e-12:
        return steps
    slope = float(y.std()) / spread
    offset = float(y.mean()) - slope * float(pred.mean())
    return (steps - offset) / slope


def fit_cutpoints(
    pred: np.ndarray, y: np.ndarray, low: int, high: int, passes: int = 3, grid: int = 11, shrink: float = 0.0
) -> np.ndarray:
    """Monotone cut points (``high - low`` of them) that maximise QWK of ``pred`` against ``y``.

    ``shrink`` in [0, 1] moves them that share of the way to :func:`stretch_cutpoints`
    (both sequences are increasing, so the mix is too).
    """
    if not 0.0 <= shrink <= 1.0:
        raise ValueError(f"shrink must be in [0, 1], got {shrink}")
    tuned = _tuned_cutpoints(pred, y, low, high, passes, grid) if shrink < 1.0 else 0.0
    if shrink == 0.0:
        return np.asarray(tuned, dtype=float)
    return np.asarray((1.0 - shrink) * tuned + shrink * stretch_cutpoints(pred, y, low, high), dtype=float)


def _tuned_cutpoints(pred: np.ndarray, y: np.ndarray, low: int, high: int, passes: int, grid: int) -> np.ndarray:
    cuts = np.arange(low, high, dtype=float) + 0.5
    best = quadratic_weighted_kappa(y, apply_cutpoints(pred, low, cuts), low, high)
    for _ in range(passes):
        for i in range(len(cuts)):
            lo = cuts[i - 1] if i > 0 else cuts[i] - 0.5
            hi = cuts[i + 1] if i + 1 < len(cuts) else cuts[i] + 0.5
            for value in np.linspace(max(lo, cuts[i] - 0.5), min(hi, cuts[i] + 0.5), grid):
                trial = cuts.copy()
                trial[i] = value
                score = quadratic_weighted_kappa(y, apply_cutpoints(pred, low, trial), low, high)
                if score > best + 1e-9:
                    best, cuts = score, trial
    return cuts


def tolerance_for(low: int, high: int) -> int:
    """Score points counted as agreement: exact on short rubrics, about a tenth of the range on long ones."""
    return round(0.1 * (high - low) - 0.01)


@dataclass
class ConfidenceCalibrator:
    sigma: float
    tolerance: int
    isotonic: IsotonicRegression

    @staticmethod
    def raw(pred: np.ndarray, label: np.ndarray, sigma: float, tolerance: int) -> np.ndarray:
        upper = (label + tolerance + 0.5 - pred) / sigma
        lower = (label - tolerance - 0.5 - pred) / sigma
        return np.asarray(norm.cdf(upper) - norm.cdf(lower), dtype=np.float64)

    @classmethod
    def fit(cls, pred: np.ndarray, label: np.ndarray, y: np.ndarray, tolerance: int) -> ConfidenceCalibrator:
        sigma = max(float(np.std(y - pred)), 0.05)
        raw = cls.raw(pred, label, sigma, tolerance)
        hits = (np.abs(y - label) <= tolerance).astype(float)
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, hits)
        return cls(sigma=sigma, tolerance=tolerance, isotonic=iso)

    def __call__(self, pred: np.ndarray, label: np.ndarray) -> np.ndarray:
        raw = self.raw(np.asarray(pred, float), np.asarray(label, float), self.sigma, self.tolerance)
        return np.asarray(self.isotonic.predict(raw), dtype=np.float64)
