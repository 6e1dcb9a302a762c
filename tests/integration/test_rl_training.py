"""A few PPO iterations on a tiny course, with a real local Ray: fast, masked, better than random.

Marked ``integration`` (it starts Ray); on this 2-core machine the whole module takes about
a minute and a half, most of it Ray's start-up.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.rl.baselines import RandomPolicy
from models.rl.evaluate import run_episodes
from models.rl.predictor import LearnedPolicy, SequencerInputError, SequencerPredictor
from models.rl.train import TrainResult, TrainSettings, train_policy
from models.simulator.config import SimulatorConfig, training_config
from models.simulator.planner import PlanSpec

pytestmark = pytest.mark.integration

TINY = training_config(skills=3, max_activities=60)
SETTINGS = TrainSettings(
    iterations=15,
    seed=3,
    batch_size=1000,
    minibatch_size=250,
    epochs=5,
    lr=1e-3,
    lr_final=None,
    entropy_coeff=0.0,
    hidden=(64, 64),
    envs_per_runner=4,
    advice_weight=0.0,  # learn from scratch here, so that beating random shows PPO learning, not the planner
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    return train_policy(TINY, SETTINGS, tmp_path_factory.mktemp("rl"))


def _cost(episodes: list[dict[str, object]], config: SimulatorConfig) -> float:
    """Activities used, with learners who never reached mastery charged the whole budget."""
    return float(np.mean([e["activities"] if e["completed"] else config.max_activities for e in episodes]))


def test_training_runs_and_saves_a_module(trained: TrainResult) -> None:
    assert len(trained.history) == SETTINGS.iterations
    assert all(np.isfinite(m["policy_loss"]) for m in trained.history if "policy_loss" in m)
    assert (trained.checkpoint / "module_state.pkl").exists() or any(trained.checkpoint.iterdir())
    plan = PlanSpec.load(trained.checkpoint)  # the plan behind the advice travels with the module
    assert plan is not None and len(plan.order) == TINY.skills
    assert SequencerPredictor.load(trained.checkpoint).plan == plan


def test_policy_never_chooses_a_masked_action(trained: TrainResult) -> None:
    predictor = SequencerPredictor.load(trained.checkpoint)
    rng = np.random.default_rng(0)
    n_obs = predictor.n_observations or 0
    observations = rng.random((200, n_obs), dtype=np.float32)
    masks = (rng.random((200, predictor.n_actions)) < 0.15).astype(np.float32)
    masks[np.arange(200), rng.integers(0, predictor.n_actions, 200)] = 1.0
    actions = predictor.act(observations, masks)
    assert (masks[np.arange(200), actions] == 1).all()
    masks[0] = 0
    with pytest.raises(SequencerInputError, match="no open action"):
        predictor.act(observations, masks)
    # And in the simulator itself (run_episodes raises on a masked choice).
    run_episodes(LearnedPolicy(predictor), TINY, learners=20, seed=50)


def test_trained_policy_beats_random(trained: TrainResult) -> None:
    learned = run_episodes(LearnedPolicy(SequencerPredictor.load(trained.checkpoint)), TINY, 150, seed=900)
    random = run_episodes(RandomPolicy(), TINY, 150, seed=900)
    assert _cost(learned, TINY) < _cost(random, TINY)
