"""The sequential test behind experiment reports: valid under peeking, and it finds a real effect.

Seeded, vectorized simulations: every experiment is checked at every look (each 50 learners
per arm), and counts as a rejection if *any* look rejects, exactly how people read dashboards.
"""

from __future__ import annotations

import numpy as np
import pytest

from platform_api.domain.experiments.sequential import (
    ALPHA,
    LOOKS,
    compare,
    mean_interval,
    peeking_rejections,
    simulate_peeking,
)


@pytest.mark.parametrize("kind", ["binary", "skewed"])
def test_aa_false_positive_rate_stays_below_alpha_under_peeking(kind: str) -> None:
    rng = np.random.default_rng(20261125)
    shape = (600, max(LOOKS))
    if kind == "binary":  # next-attempt correctness, completion, drop-off
        a, b = (rng.random(shape) < 0.3).astype(float), (rng.random(shape) < 0.3).astype(float)
    else:  # mastery gained per hour: skewed, heavy right tail
        a, b = rng.lognormal(0, 0.75, shape), rng.lognormal(0, 0.75, shape)
    mixture, naive = peeking_rejections(a, b)
    assert mixture.mean() <= ALPHA
    # the same looks with a fixed-sample test: the simulation would catch an invalid method
    assert naive.mean() > 2 * ALPHA


def test_the_simulation_command_reports_both_tests() -> None:
    null = simulate_peeking(0.3, 0.3, experiments=300, seed=1)
    assert null["mixture"] <= ALPHA < null["fixed_sample_z"]
    assert simulate_peeking(0.3, 0.37, experiments=100, seed=2)["mixture"] >= 0.8


def test_a_real_effect_is_detected() -> None:
    rng = np.random.default_rng(7)
    shape = (300, max(LOOKS))
    a, b = (rng.random(shape) < 0.30).astype(float), (rng.random(shape) < 0.37).astype(float)
    mixture, _ = peeking_rejections(a, b)
    assert mixture.mean() >= 0.8
    last = compare(a[0], b[0])
    assert last.significant and last.difference.low > 0
    assert last.difference.low < 0.07 < last.difference.high


def test_intervals_cover_the_truth_and_shrink() -> None:
    rng = np.random.default_rng(3)
    small, large = mean_interval(rng.random(100) < 0.4), mean_interval(rng.random(10_000) < 0.4)
    assert small.low < 0.4 < small.high and large.low < 0.4 < large.high
    assert large.high - large.low < (small.high - small.low) / 5


def test_too_little_data_claims_nothing() -> None:
    tiny = compare([1, 0, 1], [0, 0, 0])
    assert (tiny.p_value, tiny.significant) == (1.0, False)
    assert tiny.to_dict()["low"] is None
    constant = compare(np.ones(100), np.ones(100))
    assert constant.p_value == 1.0
    assert mean_interval([]).n == 0
