"""The sequencer predictor shared by evaluation, the MLflow pyfunc and serving.

It wraps the trained RLModule and returns the masked arg-max activity: the highest-scoring
action among those the mask opens, never a masked one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models.simulator.planner import PlanSpec


class SequencerInputError(ValueError):
    """Observations or masks of the wrong shape, or a row with no open action."""


class SequencerPredictor:
    """Greedy (arg-max) actions of a trained masked PPO module."""

    def __init__(self, module: Any, plan: PlanSpec | None = None) -> None:
        self.module = module
        #: The belief plan behind the observation's advice entries (None for policies trained without it).
        self.plan = plan
        obs_space = getattr(module, "observation_space", None)
        self.n_observations = int(obs_space["observations"].shape[0]) if obs_space is not None else None
        self.n_actions = int(module.action_space.n)

    @classmethod
    def load(cls, directory: Path) -> SequencerPredictor:
        from ray.rllib.core.rl_module.rl_module import RLModule

        if not Path(directory).is_dir():
            raise FileNotFoundError(f"{directory}: no RLModule checkpoint")
        return cls(RLModule.from_checkpoint(str(directory)), PlanSpec.load(Path(directory)))

    def _check(self, observations: np.ndarray, mask: np.ndarray) -> None:
        if observations.ndim != 2 or mask.ndim != 2 or len(observations) != len(mask):
            raise SequencerInputError(
                f"expected 2-D observations and action_mask with equal rows, got {observations.shape} and {mask.shape}"
            )
        if self.n_observations is not None and observations.shape[1] != self.n_observations:
            raise SequencerInputError(
                f"observations have {observations.shape[1]} features, expected {self.n_observations}"
            )
        if mask.shape[1] != self.n_actions:
            raise SequencerInputError(f"action_mask has {mask.shape[1]} entries, expected {self.n_actions}")
        closed = np.flatnonzero(~(mask > 0).any(axis=1))
        if closed.size:
            raise SequencerInputError(f"rows {closed.tolist()} have no open action")

    def logits(self, observations: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch
        from ray.rllib.core.columns import Columns

        observations = np.asarray(observations, dtype=np.float32)
        mask = np.asarray(mask, dtype=np.float32)
        self._check(observations, mask)
        with torch.no_grad():
            out = self.module.forward_inference(
                {Columns.OBS: {"observations": torch.from_numpy(observations), "action_mask": torch.from_numpy(mask)}}
            )
        return out[Columns.ACTION_DIST_INPUTS].numpy()

    def act(self, observations: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Arg-max over open actions only (the mask is applied again here, not trusted to the module)."""
        logits = self.logits(observations, mask)
        logits = np.where(np.asarray(mask) > 0, logits, -np.inf)
        return logits.argmax(axis=1)


class LearnedPolicy:
    """The harness :class:`~models.rl.baselines.Policy` for a trained sequencer."""

    name = "rl-ppo"

    def __init__(self, predictor: SequencerPredictor) -> None:
        self.predictor = predictor

    def reset(self, course: Any, seed: int) -> None:
        return None

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> int:
        return int(self.predictor.act(obs["observations"][None], obs["action_mask"][None])[0])
