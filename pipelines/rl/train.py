"""Train, evaluate, log and register the sequencer in one MLflow run.

The run records: training settings as params, per-iteration training metrics, a held-out
evaluation, the simulator configurations (training and held-out) and their calibrated
parameter files as artifacts, the git commit, and the ``pathwise-sequencer`` pyfunc.

Model selection never looks at the held-out configuration: snapshots saved during training
are scored on a *validation* set, the training simulator configuration (with its population
randomization, when training uses one) with learner seeds
from :data:`VALIDATION_SEED` (disjoint from the benchmark's 20261124… and from the seeds RLlib
draws while training), against mastery-threshold on the same learners. The registered module
is the snapshot with the largest paired activity reduction among those whose post-test is at
least mastery-threshold's and whose dropout is at most mastery-threshold's (the issue's
target, read on validation learners); if none qualifies, the last one.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

from models.rl.train import TrainSettings, train_policy
from models.simulator.config import (
    PopulationRanges,
    SimulatorConfig,
    heldout_config,
    randomized_training_config,
    training_config,
)
from models.simulator.params import bundled_params_path
from pathwise.logs import get_logger
from pathwise.registry import SEQUENCER_MODEL, configure_mlflow, experiment_id, git_commit

log = get_logger(__name__)

EXPERIMENT = "pathwise-sequencer"
REGISTERED_MODEL = SEQUENCER_MODEL
VALIDATION_SEED = 5_000_000


def validate(checkpoint: Path, config: SimulatorConfig, reference: list[dict[str, Any]], seed: int) -> dict[str, float]:
    """One snapshot on the validation learners: paired reduction vs the reference, post-test and dropout deltas."""
    from models.rl.evaluate import paired_on_completers, run_episodes, summarize
    from models.rl.predictor import LearnedPolicy, SequencerPredictor

    episodes = run_episodes(LearnedPolicy(SequencerPredictor.load(checkpoint)), config, len(reference), seed)
    mine, ref = summarize("rl", episodes, config.max_activities), summarize("ref", reference, config.max_activities)
    return {
        "paired_reduction": paired_on_completers(episodes, reference).reduction.mean,
        "post_test_difference": mine.post_test.mean - ref.post_test.mean,
        "dropout_difference": mine.dropout_rate.mean - ref.dropout_rate.mean,
        "restricted_activities": mine.restricted_activities.mean,
    }


def select_snapshot(scores: dict[int, dict[str, float]]) -> int:
    """The iteration whose snapshot meets the post-test and dropout conditions with the largest reduction."""
    if not scores:
        raise ValueError("no snapshots to choose from")
    fit = [i for i, m in scores.items() if m["post_test_difference"] >= 0 and m["dropout_difference"] <= 0]
    if not fit:
        return max(scores)

    def key(i: int) -> tuple[float, int]:
        reduction = scores[i]["paired_reduction"]
        return (reduction if reduction == reduction else -math.inf, i)  # NaN (no common completers) ranks last

    return max(fit, key=key)


def simulator_configs(
    randomization: PopulationRanges | None,
    validation_randomization: PopulationRanges | None = None,
    reward_dropout: float | None = None,
) -> tuple[SimulatorConfig, SimulatorConfig]:
    """The simulators that train and that pick the snapshot; validation follows training unless told otherwise.

    Selection on randomized populations favours snapshots that hold up when the learners differ.
    """
    overrides: dict[str, object] = {} if reward_dropout is None else {"reward_dropout": reward_dropout}

    def simulator(ranges: PopulationRanges | None) -> SimulatorConfig:
        return training_config(**overrides) if ranges is None else randomized_training_config(ranges, **overrides)

    sim = simulator(randomization)
    return sim, sim if validation_randomization is None else simulator(validation_randomization)


def train_and_log(
    *,
    iterations: int,
    seed: int,
    eval_learners: int,
    register: bool,
    settings: TrainSettings | None = None,
    validation_learners: int = 0,
    checkpoint_every: int = 0,
    reward_dropout: float | None = None,
    randomization: PopulationRanges | None = None,
    validation_randomization: PopulationRanges | None = None,
) -> dict[str, Any]:
    import mlflow
    from rich.progress import Progress

    from models.rl.evaluate import run_episodes, summarize
    from models.rl.predictor import LearnedPolicy, SequencerPredictor
    from models.rl.pyfunc import MODULE_ARTIFACT, SequencerPyfunc
    from pathwise.config import CommonSettings, load

    common = load(CommonSettings)
    experiment = experiment_id(configure_mlflow(common), EXPERIMENT, common.mlflow_artifacts)
    train_settings = settings or TrainSettings(iterations=iterations, seed=seed, checkpoint_every=checkpoint_every)
    sim, validation_sim = simulator_configs(randomization, validation_randomization, reward_dropout)
    held_out = heldout_config()

    with tempfile.TemporaryDirectory() as tmp, mlflow.start_run(experiment_id=experiment) as run:
        out = Path(tmp)
        mlflow.set_tags({"git_commit": git_commit(), "model": "ppo-masked", "simulator": sim.name})
        ranges = "none" if randomization is None else randomization.model_dump_json()
        mlflow.log_params(
            train_settings.as_params()
            | {
                "simulator": sim.name,
                "eval_simulator": held_out.name,
                "validation_simulator": validation_sim.name,
                "randomization": ranges,
            }
        )
        for config in dict.fromkeys((sim, validation_sim, held_out)):
            (out / f"simulator_{config.name}.json").write_text(config.model_dump_json(indent=2), encoding="utf-8")
            mlflow.log_artifact(str(out / f"simulator_{config.name}.json"), artifact_path="simulator")
        for name in {sim.learner_params, sim.estimator_params, held_out.learner_params}:
            mlflow.log_artifact(str(bundled_params_path(name)), artifact_path="simulator/params")

        with Progress(transient=True) as progress:
            task = progress.add_task("PPO", total=train_settings.iterations)

            def on_iteration(i: int, metrics: dict[str, float]) -> None:
                mlflow.log_metrics({f"train_{k}": v for k, v in metrics.items()}, step=i)
                progress.advance(task)

            result = train_policy(sim, train_settings, out, on_iteration)
        mlflow.log_metric("train_seconds", result.seconds)

        report: dict[str, Any] = {"run_id": run.info.run_id, "iterations": train_settings.iterations}
        chosen, checkpoint = train_settings.iterations, result.checkpoint
        if validation_learners and len(result.snapshots) > 1:
            from models.rl.baselines import MasteryThresholdPolicy

            reference = run_episodes(MasteryThresholdPolicy(), validation_sim, validation_learners, VALIDATION_SEED)
            scores = {}
            for done, path in sorted(result.snapshots.items()):
                scores[done] = validate(path, validation_sim, reference, VALIDATION_SEED)
                mlflow.log_metrics({f"validation_{k}": v for k, v in scores[done].items() if v == v}, step=done)
            chosen = select_snapshot(scores)
            checkpoint = result.snapshots[chosen]
            report["validation"] = {
                "learners": validation_learners,
                "seed": VALIDATION_SEED,
                "simulator": validation_sim.name,
                "chosen": chosen,
            }
            report["validation_scores"] = {str(k): {n: round(x, 4) for n, x in v.items()} for k, v in scores.items()}
            (out / "validation.json").write_text(json.dumps(report["validation_scores"], indent=2), encoding="utf-8")
            mlflow.log_artifact(str(out / "validation.json"))
        mlflow.log_params({"chosen_iteration": chosen, "validation_learners": validation_learners})
        if eval_learners:
            policy = LearnedPolicy(SequencerPredictor.load(checkpoint))
            summary = summarize(
                "rl-ppo", run_episodes(policy, held_out, eval_learners, seed=1_000_000), held_out.max_activities
            )
            metrics = {
                "heldout_activities_to_mastery": summary.activities_to_mastery.mean,
                "heldout_post_test": summary.post_test.mean,
                "heldout_dropout_rate": summary.dropout_rate.mean,
                "heldout_completion_rate": summary.completion_rate.mean,
            }
            mlflow.log_metrics({k: v for k, v in metrics.items() if v == v})  # drop NaN (no completers)
            report["heldout"] = metrics
        info = mlflow.pyfunc.log_model(
            name="sequencer",
            python_model=SequencerPyfunc(),
            artifacts={MODULE_ARTIFACT: str(checkpoint)},
            code_paths=None,
            registered_model_name=REGISTERED_MODEL if register else None,
        )
        report["model_uri"] = info.model_uri
        if register and info.registered_model_version is not None:
            report["registered"] = f"{REGISTERED_MODEL}/{info.registered_model_version}"
        (out / "history.json").write_text(json.dumps(result.history), encoding="utf-8")
        mlflow.log_artifact(str(out / "history.json"))
    log.info("sequencer trained", **{k: v for k, v in report.items() if isinstance(v, str | int)})
    return report
