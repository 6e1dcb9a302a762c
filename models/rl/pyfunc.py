"""``pathwise-sequencer`` as an MLflow pyfunc: observations + masks in, masked arg-max actions out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext

from models.rl.predictor import SequencerInputError, SequencerPredictor

MODULE_ARTIFACT = "rl_module"


def _as_arrays(model_input: Any) -> tuple[np.ndarray, np.ndarray]:
    """Accept ``{"observations": [[...]], "action_mask": [[...]]}`` or a DataFrame with those two list columns."""
    if isinstance(model_input, pd.DataFrame):
        missing = {"observations", "action_mask"} - set(model_input.columns)
        if missing:
            raise SequencerInputError(f"input lacks columns {sorted(missing)}")
        return np.stack(model_input["observations"].map(np.asarray)), np.stack(
            model_input["action_mask"].map(np.asarray)
        )
    if isinstance(model_input, dict):
        try:
            return np.asarray(model_input["observations"], dtype=np.float32), np.asarray(
                model_input["action_mask"], dtype=np.float32
            )
        except KeyError as error:
            raise SequencerInputError(f"input lacks {error}") from None
    raise SequencerInputError(f"expected a dict or DataFrame, got {type(model_input).__name__}")


class SequencerPyfunc(PythonModel):
    def load_context(self, context: PythonModelContext) -> None:
        from pathlib import Path

        self.predictor = SequencerPredictor.load(Path(context.artifacts[MODULE_ARTIFACT]))

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> np.ndarray:
        observations, mask = _as_arrays(model_input)
        return self.predictor.act(observations, mask)
