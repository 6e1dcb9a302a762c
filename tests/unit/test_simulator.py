"""The learner simulator: calibration, parameter files, env contract and masking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from gymnasium.utils.env_checker import check_env
from pydantic import ValidationError

from models.simulator.activities import Activity, decode_action, encode_action
from models.simulator.calibration import fit_skill_params
from models.simulator.config import (
    LearnerPopulation,
    PopulationRanges,
    SimulatorConfig,
    heldout_config,
    randomized_training_config,
    training_config,
)
from models.simulator.env import SKILL_FEATURES, MaskedActionError, SequencingEnv
from models.simulator.params import BKTParams, CalibratedSkills, CalibrationError, load_bundled
from models.simulator.randomization import draw_bkt_jitter, draw_population
from pathwise.datasets import load_sample


def _synthetic(params: BKTParams, learners: int, length: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(learners):
        known = rng.random() < params.prior
        for t in range(length):
            p = 1 - params.slip if known else params.guess
            rows.append((str(user), "s", None, int(rng.random() < p), t))
            known = (rng.random() >= params.forget) if known else (rng.random() < params.learn)
    return pd.DataFrame(rows, columns=["user_id", "skill_id", "item_id", "correct", "seq"])


def test_em_recovers_known_parameters() -> None:
    truth = BKTParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1, forget=0.03)
    fitted = fit_skill_params(_synthetic(truth, 800, 20, seed=1))["s"]
    assert abs(fitted.prior - truth.prior) < 0.07
    assert abs(fitted.learn - truth.learn) < 0.06
    assert abs(fitted.guess - truth.guess) < 0.05
    assert abs(fitted.slip - truth.slip) < 0.05
    assert abs(fitted.forget - truth.forget) < 0.03


def test_fit_on_bundled_sample_gives_probabilities() -> None:
    sample = load_sample()
    skills = sample["skill_id"].value_counts().index[:3].tolist()
    fitted = fit_skill_params(sample, skills=skills)
    assert set(fitted) == set(skills)
    for p in fitted.values():
        assert 0 < p.learn < 1 and p.guess <= 0.3 and p.slip <= 0.3


def test_calibration_rejects_bad_input() -> None:
    with pytest.raises(CalibrationError, match="lacks columns"):
        fit_skill_params(pd.DataFrame({"user_id": ["a"], "correct": [1]}))
    with pytest.raises(CalibrationError, match="no interactions for skills"):
        fit_skill_params(load_sample(), skills=["no-such-skill"])


def test_bundled_parameter_files_agree_on_the_curriculum() -> None:
    train, test = load_bundled("assist2009_train_bkt"), load_bundled("assist2009_test_bkt")
    assert train.skills == test.skills and len(train.skills) == 8
    assert train.prerequisites and train.params != test.params


def test_parameter_file_errors_are_specific(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format_version": 99}')
    with pytest.raises(CalibrationError, match="format_version 99"):
        CalibratedSkills.load(bad)
    with pytest.raises(CalibrationError, match="no such parameter file"):
        CalibratedSkills.load(tmp_path / "missing.json")
    text = load_bundled("assist2009_train_bkt").to_json().replace('"prior": 0.', '"prior": 1.')
    bad.write_text(text)
    with pytest.raises(CalibrationError, match="not a probability"):
        CalibratedSkills.load(bad)


@pytest.mark.parametrize("config", [training_config(), heldout_config(), training_config(skills=3)])
def test_env_passes_gymnasium_checker(config: object) -> None:
    check_env(SequencingEnv(config), skip_render_check=True)  # type: ignore[arg-type]


def test_masked_action_is_rejected_with_reason() -> None:
    env = SequencingEnv(training_config())
    env.reset(seed=3)
    locked = [a for a in range(env.n_actions) if not env.unlocked[decode_action(a)[0]]]
    assert locked, "the course has prerequisites, so something starts locked"
    with pytest.raises(MaskedActionError, match="locked by prerequisites"):
        env.step(locked[0])
    first = env.skills.index(env.skills[0])
    with pytest.raises(MaskedActionError, match="not available now"):
        env.step(encode_action(first, Activity.REVIEW))  # nothing practised yet
    with pytest.raises(MaskedActionError, match="outside"):
        env.step(env.n_actions)


def test_observation_is_the_estimate_not_the_truth() -> None:
    env = SequencingEnv(training_config())
    obs, _ = env.reset(seed=11)
    for _ in range(10):
        obs, _, term, trunc, _ = env.step(env.action_space.sample())
        if term or trunc:
            break
    mastery = obs["observations"][: env.n_skills * SKILL_FEATURES : SKILL_FEATURES]
    np.testing.assert_allclose(mastery, env.estimator.mastery, atol=1e-6)
    assert env.observation_space.contains(obs)


def test_episodes_are_reproducible_from_the_seed() -> None:
    def play(seed: int) -> list[float]:
        env = SequencingEnv(training_config())
        env.reset(seed=seed)
        env.action_space.seed(seed)
        rewards = []
        for _ in range(30):
            _, r, term, trunc, _ = env.step(env.action_space.sample())
            rewards.append(r)
            if term or trunc:
                break
        return rewards

    assert play(5) == play(5)


def test_randomized_env_passes_gymnasium_checker() -> None:
    check_env(SequencingEnv(randomized_training_config()), skip_render_check=True)


def _traits(config: SimulatorConfig, seed: int) -> np.ndarray:
    env = SequencingEnv(config)
    env.reset(seed=seed)
    learner = env.learner
    return np.concatenate(
        [learner.learn, learner.guess, learner.slip, learner.forget, [learner.stamina, learner.engagement]]
    )


def test_randomization_is_seeded_and_changes_the_learners() -> None:
    config = randomized_training_config()
    np.testing.assert_array_equal(_traits(config, 42), _traits(config, 42))
    assert not np.array_equal(_traits(config, 42), _traits(training_config(), 42))
    learn = np.array([_traits(config, seed)[0] for seed in range(60)])
    plain = np.array([_traits(training_config(), seed)[0] for seed in range(60)])
    assert learn.std() > plain.std()  # a population draw on top of the learner draw spreads the rates


def test_ranges_of_width_zero_change_nothing() -> None:
    rng = np.random.default_rng(0)
    base = LearnerPopulation()
    drawn = draw_population(base, PopulationRanges(factor=1.0, logit_shift=0.0), rng).model_dump()
    assert drawn == pytest.approx(base.model_dump(), rel=1e-12)
    jitter = draw_bkt_jitter(PopulationRanges(factor=1.0, logit_shift=0.0), 4, rng)
    assert not jitter.prior_logit.any() and not jitter.slip_logit.any() and (jitter.forget_factor == 1).all()


def test_population_draws_stay_within_the_ranges() -> None:
    rng = np.random.default_rng(1)
    ranges, base = PopulationRanges(factor=1.5, logit_shift=0.4), LearnerPopulation()
    for _ in range(200):
        drawn = draw_population(base, ranges, rng)
        for name in ("learn_mean", "forget_mean", "speed_mean", "stamina_minutes_mean", "frustration_mean"):
            ratio = getattr(drawn, name) / getattr(base, name)
            assert 1 / 1.5 - 1e-9 <= ratio <= 1.5 + 1e-9, name
        assert abs(drawn.prior_logit_shift - base.prior_logit_shift) <= 0.4
        assert drawn.engagement_alpha + drawn.engagement_beta == pytest.approx(11.0)
    jitter = draw_bkt_jitter(ranges, 1000, rng)
    assert np.abs(jitter.learn_logit).max() <= 0.4 and jitter.learn_logit.std() > 0.1
    assert jitter.forget_factor.min() >= 1 / 1.5 and jitter.forget_factor.max() <= 1.5


def test_ranges_are_validated() -> None:
    with pytest.raises(ValidationError):
        PopulationRanges(factor=0.5)
    with pytest.raises(ValidationError):
        PopulationRanges(logit_shift=-0.1)


def test_accuracy_features_count_answers_only() -> None:
    env = SequencingEnv(training_config())
    obs, _ = env.reset(seed=8)
    k = env.n_skills
    per_skill = obs["observations"][: k * SKILL_FEATURES].reshape(k, SKILL_FEATURES)
    assert (per_skill[:, 7] == 0.5).all() and obs["observations"][k * SKILL_FEATURES + 8] == 0.5
    right = np.zeros(k)
    answered = np.zeros(k)
    for _ in range(25):
        obs, _, term, trunc, info = env.step(env.action_space.sample())
        if info["correct"] is not None:
            answered[info["skill_index"]] += 1
            right[info["skill_index"]] += info["correct"]
        if term or trunc:
            break
    per_skill = obs["observations"][: k * SKILL_FEATURES].reshape(k, SKILL_FEATURES)
    np.testing.assert_allclose(per_skill[:, 7], (right + 1) / (answered + 2), rtol=1e-6)
    overall = obs["observations"][k * SKILL_FEATURES + 8]
    assert overall == pytest.approx((right.sum() + 1) / (answered.sum() + 2))


def test_ranges_travel_with_the_config() -> None:
    """RLlib hands the env its config as plain JSON, and the MLflow artifact is that JSON: the ranges survive both."""
    config = randomized_training_config(PopulationRanges(factor=1.3, logit_shift=0.25))
    env = SequencingEnv(config.model_dump(mode="json"))
    assert env.config.randomization == PopulationRanges(factor=1.3, logit_shift=0.25)
    assert SimulatorConfig.model_validate_json(config.model_dump_json()) == config
    assert training_config().randomization is None and heldout_config().randomization is None
