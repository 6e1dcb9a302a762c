"""AST fingerprint similarity: blind to names, comments and layout; sensitive to structure."""

from __future__ import annotations

import pytest

from models.code.similarity import compare_all, fingerprint, similarity, winnow

ORIGINAL = '''
def mean(values):
    """Arithmetic mean."""
    total = 0
    for v in values:
        total += v
    return total / len(values)


def variance(values):
    m = mean(values)
    acc = 0
    for v in values:
        acc += (v - m) ** 2
    return acc / len(values)
'''

RENAMED = """
# my own work, honest
def average(xs):
    s = 0
    for item in xs:
        s += item   # accumulate
    return s / len(xs)

def spread(xs):
    mu = average(xs)
    total = 0
    for item in xs:
        total += (item - mu) ** 2
    return total / len(xs)
"""

REORDERED = """
def variance(values):
    m = mean(values)
    acc = 0
    for v in values:
        acc += (v - m) ** 2
    return acc / len(values)


def mean(values):
    total = 0
    for v in values:
        total += v
    return total / len(values)
"""

DIFFERENT = """
import statistics


def mean(values):
    return statistics.fmean(values)


def variance(values):
    return statistics.pvariance(values)
"""

UNRELATED = """
class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def pop(self):
        if not self.items:
            raise IndexError("empty")
        return self.items.pop()
"""


@pytest.mark.parametrize(
    ("other", "low", "high"),
    [
        (ORIGINAL, 1.0, 1.0),
        (RENAMED, 0.95, 1.0),
        (REORDERED, 0.85, 1.0),
        (DIFFERENT, 0.0, 0.35),
        (UNRELATED, 0.0, 0.25),
    ],
    ids=["identical", "renamed-and-commented", "functions-reordered", "different-approach", "unrelated"],
)
def test_similarity_table(other: str, low: float, high: float) -> None:
    score, _, _ = similarity(fingerprint(ORIGINAL), fingerprint(other))
    assert low <= score <= high


def test_similarity_is_symmetric() -> None:
    a, b = fingerprint(ORIGINAL), fingerprint(DIFFERENT)
    assert similarity(a, b) == similarity(b, a)


def test_fingerprints_are_stable_across_calls() -> None:
    assert fingerprint(ORIGINAL) == fingerprint(ORIGINAL)


def test_winnow_keeps_window_minima() -> None:
    assert winnow([5, 3, 8, 1, 9, 2], 3) == {3, 1}
    assert winnow([4, 2], 3) == {4, 2}


def test_compare_all_orders_pairs_and_skips_unparsable() -> None:
    pairs = compare_all(
        {"alice": ORIGINAL, "bob": RENAMED, "carol": UNRELATED, "dave": "def broken(:\n"}, threshold=0.5
    )
    assert [(pair.a, pair.b) for pair in pairs] == [("alice", "bob")]
    assert pairs[0].score >= 0.95


def test_fingerprint_raises_on_syntax_error() -> None:
    with pytest.raises(SyntaxError):
        fingerprint("def broken(:\n")
