"""Train the sequencer with RLlib PPO (new API stack) on the calibrated learner simulator.

Ray runs locally and small (2 CPUs, sampling in the driver) because the machine is shared;
the same config scales out by raising ``num_env_runners`` on a cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.simulator.config import SimulatorConfig


@dataclass(frozen=True)
class TrainSettings:
    iterations: int = 100
    seed: int = 7
    batch_size: int = 4000
    minibatch_size: int = 256
    epochs: int = 6
    lr: float = 1e-3
    #: Learning rate at the last iteration (linear decay from ``lr``); None for a constant one.
    lr_final: float | None = 1e-4
    gamma: float = 0.99
    lambda_: float = 0.95
    entropy_coeff: float = 0.005
    hidden: tuple[int, ...] = (128, 128)
    #: Logit bonus for the belief planner's advice (0: the policy learns from scratch, as before the planner existed).
    advice_weight: float = 4.0
    #: Vectorised envs in the driver: 32 halves the time per iteration against 8 (fewer, larger forward passes).
    envs_per_runner: int = 32
    num_cpus: int = 2
    #: Save the module every this many iterations (and at the end) for validation-based selection; 0: only the end.
    checkpoint_every: int = 0

    def as_params(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass
class TrainResult:
    checkpoint: Path
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    #: Iteration (1-based) → saved module, when ``checkpoint_every`` is set; the final one is always in it.
    snapshots: dict[int, Path] = field(default_factory=dict)


def lr_setting(settings: TrainSettings) -> float | list[list[float]]:
    """A constant learning rate, or RLlib's piecewise-linear schedule over the trained timesteps."""
    if settings.lr_final is None or settings.lr_final == settings.lr:
        return settings.lr
    total = settings.iterations * settings.batch_size
    return [[0, settings.lr], [total, settings.lr_final]]


def build_algorithm_config(sim: SimulatorConfig, settings: TrainSettings) -> Any:
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from models.rl.module import MaskedPPOTorchRLModule
    from models.simulator.env import SequencingEnv

    return (
        PPOConfig()
        .environment(env=SequencingEnv, env_config=sim.model_dump(mode="json"))
        .env_runners(num_env_runners=0, num_envs_per_env_runner=settings.envs_per_runner)
        .learners(num_learners=0)
        .rl_module(
            rl_module_spec=RLModuleSpec(
                module_class=MaskedPPOTorchRLModule,
                model_config={
                    "fcnet_hiddens": list(settings.hidden),
                    "fcnet_activation": "tanh",
                    "vf_share_layers": False,
                    "advice_weight": settings.advice_weight,
                },
            )
        )
        .training(
            train_batch_size_per_learner=settings.batch_size,
            minibatch_size=settings.minibatch_size,
            num_epochs=settings.epochs,
            lr=lr_setting(settings),
            gamma=settings.gamma,
            lambda_=settings.lambda_,
            entropy_coeff=settings.entropy_coeff,
        )
        .debugging(seed=settings.seed, log_level="ERROR")
        .reporting(metrics_num_episodes_for_smoothing=100)
    )


def _metrics(result: dict[str, Any]) -> dict[str, float]:
    runners = result.get("env_runners", {})
    learner = result.get("learners", {}).get("default_policy", {})
    picked = {
        "episode_return_mean": runners.get("episode_return_mean"),
        "episode_len_mean": runners.get("episode_len_mean"),
        "policy_loss": learner.get("policy_loss"),
        "vf_loss": learner.get("vf_loss"),
        "entropy": learner.get("entropy"),
    }
    return {k: float(v) for k, v in picked.items() if v is not None}


def train_policy(
    sim: SimulatorConfig,
    settings: TrainSettings,
    out_dir: Path,
    on_iteration: Callable[[int, dict[str, float]], None] | None = None,
) -> TrainResult:
    """Run PPO for ``settings.iterations`` and save the RLModule under ``out_dir/module``.

    Ray is started here with ``num_cpus`` and always shut down, even on failure.
    """
    import ray
    import torch

    from models.simulator.env import SequencingEnv

    torch.set_num_threads(1)
    started = time.perf_counter()
    plan = SequencingEnv(sim).plan_spec()

    def save(path: Path) -> Path:
        """The module, with the plan its advice comes from (serving rebuilds the advice from it)."""
        algo.get_module().save_to_path(str(path))
        plan.save(path)
        return path

    ray.init(num_cpus=settings.num_cpus, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    try:
        algo = build_algorithm_config(sim, settings).build_algo()
        history = []
        snapshots: dict[int, Path] = {}
        try:
            for i in range(settings.iterations):
                metrics = _metrics(algo.train())
                history.append(metrics)
                if on_iteration is not None:
                    on_iteration(i, metrics)
                done = i + 1
                if settings.checkpoint_every and done % settings.checkpoint_every == 0 and done < settings.iterations:
                    snapshots[done] = save(out_dir / f"module_{done:05d}")
            checkpoint = save(out_dir / "module")
            snapshots[settings.iterations] = checkpoint
        finally:
            algo.stop()
    finally:
        ray.shutdown()
    return TrainResult(
        checkpoint=checkpoint, history=history, seconds=time.perf_counter() - started, snapshots=snapshots
    )
