"""A PPO RLModule that never puts probability on a masked activity.

The environment's observation is a Dict with ``observations`` and ``action_mask``; the
networks see only ``observations`` and the mask adds ``log(mask)`` (clamped to a large
negative number) to the logits, in exploration, inference and training alike. This is the
new-API-stack pattern for action masking in RLlib 2.x.

With ``advice_weight`` in the model config, the last ``n_actions`` observation entries (the
belief planner's one-hot advice, :mod:`models.simulator.planner`) are added to the logits times
that weight: the untrained policy already follows the planner, and PPO learns where to
depart from it (a policy prior, or residual policy learning).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import torch
from ray.rllib.algorithms.ppo.torch.default_ppo_torch_rl_module import DefaultPPOTorchRLModule
from ray.rllib.core.columns import Columns
from ray.rllib.utils.torch_utils import FLOAT_MIN


def mask_logits(logits: torch.Tensor, action_mask: torch.Tensor) -> torch.Tensor:
    return logits + torch.clamp(torch.log(action_mask), min=FLOAT_MIN)


class MaskedPPOTorchRLModule(DefaultPPOTorchRLModule):
    """PPO's default torch module, built on the inner observation space, with masked logits."""

    def __init__(self, *, observation_space: gym.Space | None = None, **kwargs: Any) -> None:
        if not isinstance(observation_space, gym.spaces.Dict) or set(observation_space) != {
            "observations",
            "action_mask",
        }:
            raise ValueError("MaskedPPOTorchRLModule needs a Dict observation space with observations and action_mask")
        self.observation_space_with_mask = observation_space
        super().__init__(observation_space=observation_space["observations"], **kwargs)

    def setup(self) -> None:
        super().setup()
        self.observation_space = self.observation_space_with_mask

    @staticmethod
    def _split(batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, Any]]:
        obs = batch[Columns.OBS]
        if not isinstance(obs, dict) and "action_mask" in batch:
            return batch["action_mask"], batch
        if not isinstance(obs, dict) or "action_mask" not in obs:
            raise ValueError("batch observations carry no action_mask")
        inner = dict(batch)
        inner[Columns.OBS] = obs["observations"]
        return obs["action_mask"], inner

    def _masked(self, outs: dict[str, Any], action_mask: torch.Tensor, inner: dict[str, Any]) -> dict[str, Any]:
        logits = outs[Columns.ACTION_DIST_INPUTS]
        config = self.model_config if isinstance(self.model_config, dict) else {}
        weight = float(config.get("advice_weight", 0.0) or 0.0)
        if weight:
            logits = logits + weight * inner[Columns.OBS][..., -logits.shape[-1] :]
        outs[Columns.ACTION_DIST_INPUTS] = mask_logits(logits, action_mask)
        return outs

    def _forward_inference(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        mask, inner = self._split(batch)
        return self._masked(super()._forward_inference(inner, **kwargs), mask, inner)

    def _forward_exploration(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        mask, inner = self._split(batch)
        return self._masked(super()._forward_exploration(inner, **kwargs), mask, inner)

    def _forward_train(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        mask, inner = self._split(batch)
        return self._masked(super()._forward_train(inner, **kwargs), mask, inner)

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> Any:
        if isinstance(batch[Columns.OBS], dict):
            _, batch = self._split(batch)
        return super().compute_values(batch, embeddings)
