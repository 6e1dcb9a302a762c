"""Id vocabularies: raw skill / item ids (strings) to dense embedding indices.

Index 0 is padding and index 1 stands for anything not seen in training (or missing), so a
model trained once can score learners who meet new content.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

PAD = 0
UNK = 1
RESERVED = 2


class IdVocab:
    """A frozen mapping ``raw id → index`` with reserved padding and unknown slots."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids: list[str] = list(ids)
        self._index = {raw: i + RESERVED for i, raw in enumerate(self.ids)}
        if len(self._index) != len(self.ids):
            raise ValueError("vocabulary ids must be unique")

    @classmethod
    def fit(cls, values: pd.Series, min_count: int = 1) -> IdVocab:
        """Every non-missing id seen at least ``min_count`` times, in a stable (sorted) order."""
        counts = values.dropna().astype(str).value_counts()
        return cls(sorted(counts[counts >= min_count].index))

    def __len__(self) -> int:
        """Number of embedding rows, reserved slots included."""
        return len(self.ids) + RESERVED

    def encode(self, values: pd.Series) -> np.ndarray:
        """Indices for ``values``; unknown and missing ids map to :data:`UNK`."""
        mapped = values.astype("string").map(self._index)
        return mapped.fillna(UNK).to_numpy(dtype=np.int64)

    def unknown_fraction(self, values: pd.Series) -> float:
        known = values.dropna().astype(str).isin(self._index)
        return float(1.0 - known.mean()) if len(known) else 1.0

    def to_json(self) -> list[str]:
        return list(self.ids)

    @classmethod
    def from_json(cls, data: Any) -> IdVocab:
        if not isinstance(data, list) or not all(isinstance(v, str) for v in data):
            raise ValueError("a vocabulary is stored as a list of strings")
        return cls(data)
