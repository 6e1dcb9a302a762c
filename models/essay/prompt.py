"""Scoring essays on a prompt the model has not been trained on: a course's own prompt.

Two models, used one after the other as a prompt's instructors score its essays:

* ``CrossPromptModel``: prompt-independent. A ridge regression on the linguistic features
  (length, vocabulary, spelling, sentences, readability …) predicts the score as a share of
  the rubric's range, trained on every prompt it was given. It scores any prompt at once, on
  that prompt's own scale, but only provisionally: its confidence (the chance that the score
  is within the rubric's tolerance, from its leave-one-prompt-out errors) is low, and the
  essay goes to an instructor.
* Once a prompt has ``MIN_SCORED_ESSAYS`` instructor-scored essays, a per-prompt
  :class:`~models.essay.scorer.EssayScorer` (preset ``new-prompt``: words and features, no
  encoder) is fitted on them, on the prompt's own range, and scores it from then on.

``MIN_SCORED_ESSAYS`` comes from the learning curve on ASAP, each prompt treated as new
(``pathwise essay learning-curve``, experiments/results/essay.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from models.essay.calibration import tolerance_for
from models.essay.features import FEATURE_NAMES

#: Length and vocabulary size: their effect on the score flattens out (as in the per-prompt ridge).
SPLINE_FEATURES = ("log_chars", "log_words", "n_unique_words", "guiraud_index", "n_oov")

#: Instructor-scored essays a new prompt needs before its own model replaces the cross-prompt
#: one (from the ASAP learning curve: see the module docstring).
MIN_SCORED_ESSAYS = 30
#: The confidence a provisional score reports is capped here: it always goes to review.
PROVISIONAL_CONFIDENCE_CAP = 0.5


def _regressor() -> Pipeline:
    """Ridge over the standardised features plus a spline basis of the length and vocabulary ones
    (linear algebra only: no OpenMP threads to contend for on a shared machine)."""
    splines = [FEATURE_NAMES.index(name) for name in SPLINE_FEATURES]
    blocks = ColumnTransformer(
        [
            ("features", StandardScaler(), list(range(len(FEATURE_NAMES)))),
            ("splines", make_pipeline(SplineTransformer(n_knots=4, degree=2), StandardScaler()), splines),
        ]
    )
    return make_pipeline(blocks, Ridge(alpha=10.0))


@dataclass
class CrossPromptModel:
    """Features → score as a share of the rubric's range (0..1), the same for every prompt."""

    regressor: Pipeline
    #: Spread of the leave-one-prompt-out errors on the 0..1 scale (what an unseen prompt gets).
    sigma: float

    @classmethod
    def fit(
        cls, feats: np.ndarray, scaled: np.ndarray, prompts: np.ndarray, seed: int = 0, estimate_sigma: bool = True
    ) -> CrossPromptModel:
        """Fit on every prompt; ``estimate_sigma`` first holds each prompt out in turn to measure the
        error an unseen prompt gets (the confidence reads it)."""
        feats, scaled, prompts = np.asarray(feats, float), np.asarray(scaled, float), np.asarray(prompts)
        errors = []
        for prompt in np.unique(prompts) if estimate_sigma else ():
            held = prompts == prompt
            if held.all():
                break
            pred = _regressor().fit(feats[~held], scaled[~held]).predict(feats[held])
            errors.append(np.clip(pred, 0.0, 1.0) - scaled[held])
        sigma = float(np.std(np.concatenate(errors))) if errors else 0.25
        return cls(regressor=_regressor().fit(feats, scaled), sigma=max(sigma, 0.05))

    def predict_scaled(self, feats: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(self.regressor.predict(np.asarray(feats, float)), dtype=float), 0.0, 1.0)

    def score(self, feats: np.ndarray, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
        """Integer scores on ``low..high`` and the chance each is within the rubric's tolerance."""
        span = high - low
        cont = low + self.predict_scaled(feats) * span
        labels = np.clip(np.rint(cont), low, high)
        tol = tolerance_for(low, high)
        sigma = max(self.sigma * span, 0.05)
        upper = norm.cdf((labels + tol + 0.5 - cont) / sigma)
        lower = norm.cdf((labels - tol - 0.5 - cont) / sigma)
        confidence = np.minimum(np.asarray(upper - lower, dtype=float), PROVISIONAL_CONFIDENCE_CAP)
        return labels.astype(np.int64), confidence
