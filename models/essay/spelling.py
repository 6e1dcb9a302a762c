"""Misspellings counted against the prompt's own vocabulary, not only a general word list.

The general feature ``n_oov`` counts words missing from the encoder's 20k-word list, so a
prompt's topic words (names, places, technical terms from the source text) count as errors
and real misspellings of rare words do not stand out. Here a word is known when it is in that
list *or* appears in at least ``min_essays`` of the prompt's training essays: what is left is
mostly genuine misspelling, which raters mark down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from models.essay.features import english_words
from models.essay.text import words

#: A word in this many training essays of the prompt is taken as spelled right.
MIN_ESSAYS = 3
SPELLING_FEATURES = ("prompt_oov_ratio", "log_prompt_oov")


def _tokens(text: str) -> list[str]:
    return [w.lower() for w in words(text)]


def prompt_vocabulary(texts: Iterable[str], min_essays: int = MIN_ESSAYS) -> frozenset[str]:
    """Lower-cased words found in at least ``min_essays`` of ``texts`` (the prompt's training essays)."""
    if min_essays < 1:
        raise ValueError(f"min_essays must be at least 1, got {min_essays}")
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(_tokens(text)))
    return frozenset(w for w, c in counts.items() if c >= min_essays)


def spelling_features(texts: Sequence[str] | np.ndarray, vocabulary: frozenset[str]) -> np.ndarray:
    """Per essay: the share of its words known neither to the prompt nor to the word list, and
    the log of one plus their count (columns named by :data:`SPELLING_FEATURES`)."""
    general = english_words()
    rows = []
    for text in texts:
        tokens = _tokens(str(text))
        missing = sum(1 for w in tokens if w not in vocabulary and w not in general)
        rows.append((missing / max(1, len(tokens)), np.log1p(missing)))
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(SPELLING_FEATURES))
