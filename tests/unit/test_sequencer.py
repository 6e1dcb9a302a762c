"""The in-process sequencer: locked activities never appear; types follow mastery."""

from __future__ import annotations

import itertools

import pytest

from pathwise.contract.catalog import demo_catalog
from pathwise.contract.sequencer import MASTERED, RecommendationType, rank

COURSE = demo_catalog().courses[0]
LEVELS = (0.0, 0.3, 0.5, 0.79, 0.8, 0.95)


@pytest.mark.parametrize("levels", list(itertools.product(LEVELS, repeat=3)))
def test_never_recommends_a_locked_activity(levels: tuple[float, float, float]) -> None:
    mastery = dict(zip(("Fractions", "Algebra", "Quadratics"), levels, strict=True))
    for ranked in rank(COURSE, mastery):
        assert all(mastery[s] >= MASTERED for s in ranked.activity.prerequisites), ranked.activity.id


@pytest.mark.parametrize(
    ("fractions", "expected"),
    [
        (0.1, {RecommendationType.REMEDIAL, RecommendationType.PRACTICE}),
        (0.6, {RecommendationType.PRACTICE}),
        (0.9, {RecommendationType.REVIEW, RecommendationType.PRACTICE, RecommendationType.PEER}),
    ],
)
def test_types_follow_mastery(fractions: float, expected: set[RecommendationType]) -> None:
    ranked = rank(COURSE, {"Fractions": fractions, "Algebra": 0.5})
    assert {r.type for r in ranked} == expected
    assert all(r.reason and "%" in r.reason for r in ranked)


def test_remedial_comes_first_for_a_struggling_learner() -> None:
    assert rank(COURSE, {"Fractions": 0.1})[0].type is RecommendationType.REMEDIAL
