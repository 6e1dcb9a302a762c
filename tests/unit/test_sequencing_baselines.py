"""Baselines and the harness: masks are respected, and the better heuristics beat random."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from models.rl.baselines import BASELINES, Course, topological_order
from models.rl.evaluate import mean_ci, run_episodes, summarize, wilson_ci
from models.simulator.config import training_config
from models.simulator.env import MaskedActionError


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
    random = summarize("random", run_episodes(BASELINES["random"](), config, 120, seed=7))
    mastery = summarize("mastery", run_episodes(BASELINES["mastery-threshold"](), config, 120, seed=7))
    assert mastery.completion_rate.mean > random.completion_rate.mean
    assert mastery.activities_to_mastery.mean < random.activities_to_mastery.mean


def test_intervals() -> None:
    ci = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert ci.low < 2.5 < ci.high
    rate = wilson_ci(0, 50)
    assert rate.mean == 0 and rate.low == 0 and 0 < rate.high < 0.1
