"""The contract every knowledge-tracing predictor honours.

Training, evaluation, the MLflow pyfunc wrapper and Ray Serve all talk to a model through
this protocol, so a new model plugs in by implementing it and naming itself in
:mod:`models.catalog`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd

#: Columns a predictor reads from a tidy interaction table (see ``pipelines.datasets``).
INTERACTION_COLUMNS = ("user_id", "skill_id", "item_id", "correct", "seq")


class KTInputError(ValueError):
    """Input a model cannot use (unknown skill when strict, empty history, wrong dtypes)."""


@runtime_checkable
class KTPredictor(Protocol):
    """A knowledge-tracing model with a scikit-learn-shaped API.

    ``predict_proba(frame)`` returns, for every row, the probability that the answer is
    correct given only that learner's *earlier* rows in ``frame`` (ordered by ``seq``),
    which is the next-answer protocol every published KT benchmark uses.
    """

    name: str

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame | None = None) -> Self: ...

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray: ...

    def params(self) -> dict[str, Any]: ...

    def save(self, directory: Path) -> None: ...

    @classmethod
    def load(cls, directory: Path) -> Self: ...


def validate_interactions(frame: pd.DataFrame, *, require_correct: bool = True) -> pd.DataFrame:
    """Check columns and dtypes once, at the boundary, with a message that names the problem."""
    if not isinstance(frame, pd.DataFrame):
        raise KTInputError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise KTInputError("empty interaction history")
    needed = {"user_id", "skill_id", "seq"} | ({"correct"} if require_correct else set())
    missing = needed - set(frame.columns)
    if missing:
        raise KTInputError(f"missing columns: {sorted(missing)}")
    if not pd.api.types.is_integer_dtype(frame["seq"]):
        raise KTInputError(f"column 'seq' must be integer, got {frame['seq'].dtype}")
    if require_correct:
        correct = frame["correct"]
        if not (pd.api.types.is_integer_dtype(correct) or pd.api.types.is_bool_dtype(correct)):
            raise KTInputError(f"column 'correct' must be 0/1 integers, got {correct.dtype}")
        if not correct.isin([0, 1]).all():
            raise KTInputError("column 'correct' must contain only 0 and 1")
    return frame
