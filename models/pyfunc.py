"""One MLflow pyfunc wrapper for every catalog model, built on ``KTPredictor.save/load``.

The logged artifact is the directory the predictor saved plus ``predictor.json`` naming
its catalog entry, so the registry can serve any model without model-specific code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from models.catalog import predictor_class

MANIFEST = "predictor.json"
ARTIFACT_KEY = "predictor"


def save_predictor(model: Any, name: str, directory: Path) -> Path:
    """Save ``model`` (a KTPredictor registered as ``name``) with the manifest the wrapper reads."""
    directory.mkdir(parents=True, exist_ok=True)
    model.save(directory)
    (directory / MANIFEST).write_text(json.dumps({"name": name}))
    return directory


def load_predictor(directory: Path) -> Any:
    manifest = Path(directory) / MANIFEST
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest}: not a saved Pathwise predictor")
    name = json.loads(manifest.read_text())["name"]
    return predictor_class(name).load(Path(directory))


class KTPyfunc(PythonModel):
    """Scores an interaction table: P(correct) per row from the learner's earlier rows."""

    def load_context(self, context: Any) -> None:
        self.predictor = load_predictor(Path(context.artifacts[ARTIFACT_KEY]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> np.ndarray:
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        return np.asarray(self.predictor.predict_proba(frame), dtype=np.float64)
