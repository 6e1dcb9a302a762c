"""The belief planner: its expected costs are right, its choices are legal, and the advice is the same everywhere."""

from __future__ import annotations

import numpy as np
import pytest

from models.rl.baselines import BASELINES, Course
from models.rl.evaluate import paired_on_completers, run_episodes
from models.simulator.activities import EFFECTS, N_ACTIVITIES, Activity, decode_action, encode_action
from models.simulator.config import training_config
from models.simulator.env import SequencingEnv, observation_size
from models.simulator.planner import GRID_POINTS, PLANNED, BeliefPlanner, PlanSpec, _one_step, solve_skill

THRESHOLD, CHALLENGE_MIN = 0.95, 0.6
SKILL = {"learn": 0.0924, "guess": 0.0885, "slip": 0.2911}  # skill "1" of the training calibration


def _spec(order: tuple[int, ...] = (1, 0)) -> PlanSpec:
    return PlanSpec(
        learn=(SKILL["learn"], 0.2),
        guess=(SKILL["guess"], 0.05),
        slip=(SKILL["slip"], 0.1),
        order=order,
        mastery_threshold=THRESHOLD,
        challenge_min_mastery=CHALLENGE_MIN,
    )


def _play_nominal(planner: BeliefPlanner, start: float, learners: int, seed: int) -> float:
    """Mean activities to the badge when learners behave exactly as the tutor's model says (skill 0)."""
    rng = np.random.default_rng(seed)
    learn, guess, slip = SKILL["learn"], SKILL["guess"], SKILL["slip"]
    counts = []
    for _ in range(learners):
        known, m, n = rng.random() < start, start, 0
        while True:
            n += 1
            kind = planner.activity(0, m)
            effect = EFFECTS[kind]
            rate = min(1.0, learn * effect.learn_factor)
            if effect.answered:
                g, s = effect.item_guess(guess), effect.item_slip(slip)
                right = rng.random() < ((1 - s) if known else g)
                p_right = m * (1 - s) + (1 - m) * g
                m = m * (1 - s) / p_right if right else m * s / (1 - p_right)
            known = known or rng.random() < rate
            m = m + (1 - m) * rate
            if effect.answered and m >= THRESHOLD:
                break
        counts.append(n)
    return float(np.mean(counts))


def test_expected_activities_match_a_simulation_of_the_tutors_model() -> None:
    planner = BeliefPlanner(_spec())
    for start in (0.3, 0.57, 0.8):
        expected = planner.expected_activities(0, start)
        played = _play_nominal(planner, start, learners=4000, seed=int(start * 100))
        assert played == pytest.approx(expected, rel=0.05), start


def _single_activity_values(kind: Activity) -> np.ndarray:
    """Expected activities to the badge when only ``kind`` is ever offered (value iteration, one action)."""
    grid = np.linspace(0.0, 1.0, GRID_POINTS)
    values = np.zeros_like(grid)
    for _ in range(3000):
        values = _one_step(values, grid, kind, SKILL["learn"], SKILL["guess"], SKILL["slip"], THRESHOLD)
    return values


def test_the_plan_is_no_worse_than_any_single_activity() -> None:
    values, _ = solve_skill(SKILL["learn"], SKILL["guess"], SKILL["slip"], THRESHOLD, CHALLENGE_MIN)
    for kind in (Activity.PRACTICE_EASY, Activity.PRACTICE_MEDIUM, Activity.PRACTICE_HARD):
        assert (values <= _single_activity_values(kind) + 1e-6).all(), kind
    medium = _single_activity_values(Activity.PRACTICE_MEDIUM)
    assert values[GRID_POINTS // 2] < medium[GRID_POINTS // 2] - 0.5  # and clearly better mid-way
    assert (values >= 1.0).all()  # a badge always needs at least one answer
    assert values[0] > values[GRID_POINTS // 2] > values[-1]


def test_challenge_problems_are_planned_only_where_the_mask_opens_them() -> None:
    _, choice = solve_skill(SKILL["learn"], SKILL["guess"], SKILL["slip"], THRESHOLD, CHALLENGE_MIN)
    grid = np.linspace(0, 1, GRID_POINTS)
    chosen = np.asarray(PLANNED)[choice]
    assert not (chosen[grid < CHALLENGE_MIN] == Activity.CHALLENGE).any()
    assert (chosen[grid >= CHALLENGE_MIN] == Activity.CHALLENGE).any()  # it does pay off for this skill


def test_action_follows_the_order_skips_badges_and_falls_back_when_closed() -> None:
    planner = BeliefPlanner(_spec(order=(1, 0)))
    mask = np.ones(2 * N_ACTIVITIES, dtype=np.float32)
    mastery = [0.7, 0.7]
    skill, _ = decode_action(planner.action(mastery, [False, False], mask))
    assert skill == 1  # first in the order
    assert decode_action(planner.action(mastery, [False, True], mask))[0] == 0
    assert planner.action(mastery, [True, True], mask) == -1
    planned = planner.activity(0, 0.7)
    closed = mask.copy()
    closed[encode_action(0, planned)] = 0
    action = planner.action(mastery, [False, True], closed)
    assert action != encode_action(0, planned) and closed[action] == 1
    assert planner.action(mastery, [False, False], np.zeros_like(mask)) == -1


def test_spec_round_trips_through_a_file(tmp_path) -> None:
    spec = _spec()
    spec.save(tmp_path)
    assert PlanSpec.load(tmp_path) == spec
    assert PlanSpec.load(tmp_path / "nowhere") is None
    with pytest.raises(ValueError, match="same skills"):
        BeliefPlanner(PlanSpec((0.1,), (0.1, 0.2), (0.1,), (0,), THRESHOLD, CHALLENGE_MIN))


def test_the_observation_carries_the_planners_next_action() -> None:
    env = SequencingEnv(training_config())
    course = Course.from_env(env)
    policy = BASELINES["belief-plan"]()
    obs, info = env.reset(seed=11)
    policy.reset(course, 11)
    assert obs["observations"].shape == (observation_size(env.n_skills),)
    for _ in range(40):
        advice = obs["observations"][-env.n_actions :]
        action = policy.act(obs, info)
        assert advice.sum() == 1 and advice[action] == 1
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break


def test_the_plan_needs_fewer_activities_than_mastery_threshold() -> None:
    config = training_config(skills=4, max_activities=80)
    plan = run_episodes(BASELINES["belief-plan"](), config, 150, seed=300)
    mastery = run_episodes(BASELINES["mastery-threshold"](), config, 150, seed=300)
    assert paired_on_completers(plan, mastery).reduction.mean > 0.05


@pytest.mark.parametrize(("weight", "follows"), [(0.0, False), (4.0, True)])
def test_an_untrained_module_starts_from_the_advice(weight: float, follows: bool) -> None:
    """The advice weight is a prior on the logits: with it an untrained policy plays the plan, without it not."""
    import torch
    from ray.rllib.core.columns import Columns

    from models.rl.module import MaskedPPOTorchRLModule

    env = SequencingEnv(training_config())
    torch.manual_seed(0)
    module = MaskedPPOTorchRLModule(
        observation_space=env.observation_space,
        action_space=env.action_space,
        model_config={"fcnet_hiddens": [16], "fcnet_activation": "tanh", "advice_weight": weight},
    )
    agree = 0
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        batch = {Columns.OBS: {key: torch.from_numpy(value[None]) for key, value in obs.items()}}
        logits = module.forward_inference(batch)[Columns.ACTION_DIST_INPUTS][0]
        agree += int(obs["observations"][-env.n_actions :][int(logits.argmax())] == 1)
    assert (agree == 20) if follows else (agree < 10)
