"""Baselines and the harness: masks are respected, and the better heuristics beat random."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from models.rl.baselines import BASELINES, Course
from models.rl.evaluate import (
    mean_ci,
    paired_censored,
    paired_on_completers,
    paired_reduction,
    run_episodes,
    summarize,
    wilson_ci,
)
from models.simulator.config import training_config
from models.simulator.env import MaskedActionError
from models.simulator.planner import topological_order


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_baselines_only_choose_open_actions(name: str) -> None:
    episodes = run_episodes(BASELINES[name](), training_config(), learners=15, seed=100)
    assert len(episodes) == 15


def test_harness_refuses_a_policy_that_picks_masked_actions() -> None:
    class Stubborn:
        name = "stubborn"

        def reset(self, course: Course, seed: int) -> None: ...

        def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> int:
            return int(np.flatnonzero(obs["action_mask"] == 0)[0])

    with pytest.raises(MaskedActionError, match="stubborn chose masked action"):
        run_episodes(Stubborn(), training_config(), learners=1, seed=0)


def test_topological_order_respects_prerequisites_and_rejects_cycles() -> None:
    prereq = np.zeros((3, 3), dtype=bool)
    prereq[0, 2] = True  # 2 before 0
    assert topological_order(prereq) == [1, 2, 0]
    prereq[2, 0] = True
    with pytest.raises(ValueError, match="cycle"):
        topological_order(prereq)


def test_mastery_threshold_beats_random_on_a_small_course() -> None:
    config = training_config(skills=3, max_activities=60)
    random = summarize("random", run_episodes(BASELINES["random"](), config, 120, seed=7), config.max_activities)
    mastery = summarize(
        "mastery", run_episodes(BASELINES["mastery-threshold"](), config, 120, seed=7), config.max_activities
    )
    assert mastery.completion_rate.mean > random.completion_rate.mean
    assert mastery.activities_to_mastery.mean < random.activities_to_mastery.mean


def test_intervals() -> None:
    ci = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert ci.low < 2.5 < ci.high
    rate = wilson_ci(0, 50)
    assert rate.mean == 0 and rate.low == 0 and 0 < rate.high < 0.1


def _episode(activities: int, completed: bool) -> dict[str, Any]:
    return {
        "activities": activities,
        "completed": completed,
        "minutes": 2.0 * activities,
        "dropped_out": not completed,
        "post_test": 0.5,
        "true_mastered": 0.5,
    }


def test_paired_reduction_uses_only_learners_both_policies_bring_to_mastery() -> None:
    policy = [_episode(10, True), _episode(30, True), _episode(5, False), _episode(20, True)]
    reference = [_episode(20, True), _episode(40, False), _episode(40, True), _episode(20, True)]
    paired = paired_on_completers(policy, reference)
    assert paired.learners == 2  # learners 0 and 3
    assert paired.policy_mean == 15 and paired.reference_mean == 20
    assert paired.reduction.mean == pytest.approx(0.25)
    assert paired.reduction.low < 0.25 < paired.reduction.high


def test_paired_interval_is_tight_when_the_policies_move_together() -> None:
    rng = np.random.default_rng(0)
    reference = rng.integers(20, 60, 400).astype(float)
    noisy = paired_reduction(0.7 * reference + rng.normal(0, 1, 400), reference)
    assert noisy.reduction.mean == pytest.approx(0.3, abs=0.01)
    assert noisy.reduction.high - noisy.reduction.low < 0.01


def test_censored_figure_charges_non_completers_the_budget() -> None:
    policy = [_episode(10, True), _episode(3, False)]
    reference = [_episode(20, True), _episode(50, True)]
    censored = paired_censored(policy, reference, budget=100)
    assert censored.policy_mean == 55 and censored.reference_mean == 35
    assert censored.reduction.mean == pytest.approx(1 - 55 / 35)
    report = summarize("p", policy, budget=100)
    assert report.restricted_activities.mean == 55
    assert report.activities_to_mastery.mean == 10


def test_paired_figures_reject_unequal_learner_sets() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        paired_on_completers([_episode(1, True)], [])
    with pytest.raises(ValueError, match="differ in size"):
        paired_reduction([1.0, 2.0], [1.0])
    assert np.isnan(paired_on_completers([_episode(1, False)], [_episode(1, True)]).reduction.mean)


def test_snapshot_selection_needs_the_post_test_and_dropout_conditions() -> None:
    from pipelines.rl.train import select_snapshot

    def score(reduction: float, post: float, drop: float) -> dict[str, float]:
        return {"paired_reduction": reduction, "post_test_difference": post, "dropout_difference": drop}

    scores = {
        50: score(0.40, -0.01, -0.1),  # best reduction, but a worse post-test: not eligible
        100: score(0.20, 0.02, -0.1),
        150: score(float("nan"), 0.03, -0.2),  # no common completers
        200: score(0.25, 0.01, 0.0),
    }
    assert select_snapshot(scores) == 200
    assert select_snapshot({50: score(0.4, -0.1, 0.1), 100: score(0.1, -0.1, 0.1)}) == 100  # none fit: the last
    with pytest.raises(ValueError, match="no snapshots"):
        select_snapshot({})


def test_validation_follows_training_unless_told_to_randomize() -> None:
    from models.simulator.config import PopulationRanges
    from pipelines.rl.train import simulator_configs

    ranges = PopulationRanges(factor=1.2, logit_shift=0.3)
    plain, same = simulator_configs(None)
    assert plain == same and plain.randomization is None and plain.name == "train"
    trained, validated = simulator_configs(ranges, reward_dropout=-10.0)
    assert trained == validated and trained.randomization == ranges and trained.reward_dropout == -10.0
    trained, validated = simulator_configs(None, ranges)
    assert trained.randomization is None and validated.randomization == ranges
    assert validated.name == "train-randomized" and validated.learner_params == trained.learner_params
