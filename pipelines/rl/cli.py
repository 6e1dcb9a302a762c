"""``pathwise train rl``, ``pathwise bench sequencing`` and ``pathwise simulator calibrate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pathwise.commands import bench_app, train_app
from pathwise.registry import SEQUENCER_MODEL

simulator_app = typer.Typer(help="The learner simulator: calibration and inspection.", no_args_is_help=True)

REGISTERED_MODEL = SEQUENCER_MODEL
DEFAULT_BENCH_SEED = 20_261_124


@simulator_app.command("calibrate")
def calibrate_cmd(
    data: Annotated[
        Path | None, typer.Option(help="ASSISTments 2009 folder; default: shared data, else the bundled sample")
    ] = None,
    skills: Annotated[int, typer.Option(min=2, max=30, help="Skills in the simulated course")] = 8,
    out_dir: Annotated[Path, typer.Option(help="Where the parameter files go")] = Path("models/simulator/params"),
) -> None:
    """Fit per-skill BKT(+forget) on the training learners and, separately, on the test learners."""
    from models.simulator.calibration import calibrate
    from models.simulator.params import CalibrationError
    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings
    from pathwise.datasets import DatasetError, load_sample
    from pipelines.datasets import read_kt

    folder = data or settings_or_exit(CommonSettings).shared_data_dir / "kt" / "assist2009"
    try:
        if (folder / "builder_train_preprocessed.csv").is_file():
            train = read_kt(folder / "builder_train_preprocessed.csv")
            test = read_kt(folder / "builder_test_preprocessed.csv")
            sources = ("assist2009/builder_train_preprocessed.csv", "assist2009/builder_test_preprocessed.csv")
        else:
            sample = load_sample()
            train, test = sample[sample["split"] == "train"], sample[sample["split"] != "train"]
            sources = ("bundled sample (train split)", "bundled sample (valid+test splits)")
        fitted = calibrate(train, size=skills, source=sources[0])
        held_out = calibrate(test, size=skills, source=sources[1], curriculum=fitted)
    except (CalibrationError, DatasetError) as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None
    fitted.save(out_dir / "assist2009_train_bkt.json")
    held_out.save(out_dir / "assist2009_test_bkt.json")
    typer.echo(json.dumps({"skills": fitted.skills, "prerequisites": fitted.prerequisites, "out": str(out_dir)}))


@simulator_app.command("plan")
def plan_cmd(
    config: Annotated[str, typer.Option(help="Simulator configuration: train, train-randomized or heldout")] = "train",
    plot: Annotated[Path | None, typer.Option(help="Also draw the plan map (PNG) here")] = None,
) -> None:
    """The belief planner's plan per skill (the RL policy's prior): expected activities and activity by estimate."""
    from models.simulator.env import SequencingEnv
    from models.simulator.plan_report import plan_table, plot_plan
    from pipelines.rl.benchmark import BenchmarkError, simulator_config

    try:
        env = SequencingEnv(simulator_config(config))
    except BenchmarkError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None
    report: dict[str, object] = {
        "config": config,
        "skills": plan_table(env.planner, env.skills, [float(p) for p in env.estimator.prior]),
    }
    if plot is not None:
        report["plot"] = str(plot_plan(env.planner, env.skills, plot))
    typer.echo(json.dumps(report, indent=2))


@train_app.command("rl")
def train_rl_cmd(
    iterations: Annotated[int, typer.Option(min=1, help="PPO iterations")] = 100,
    seed: Annotated[int, typer.Option(help="RLlib seed")] = 7,
    eval_learners: Annotated[int, typer.Option(min=0, help="Held-out learners evaluated after training")] = 200,
    register: Annotated[bool, typer.Option(help=f"Register the model as {REGISTERED_MODEL}")] = True,
    checkpoint_every: Annotated[
        int, typer.Option(min=0, help="Save a snapshot every N iterations for validation-based selection (0: none)")
    ] = 50,
    validation_learners: Annotated[
        int, typer.Option(min=0, help="Validation learners (training simulator, own seeds) that pick the snapshot")
    ] = 500,
    reward_dropout: Annotated[
        float | None, typer.Option(help="Training reward for a learner who drops out (default: the config's)")
    ] = None,
    randomize: Annotated[
        bool,
        typer.Option(help="Train on a learner population drawn per episode (domain randomization; it did not help)"),
    ] = False,
    randomize_factor: Annotated[
        float, typer.Option(min=1.0, max=4.0, help="Multiplicative traits scaled within [1/f, f]")
    ] = 1.4,
    randomize_shift: Annotated[
        float, typer.Option(min=0.0, max=3.0, help="Logit-scale traits shifted within [-s, s]")
    ] = 0.5,
    validate_randomized: Annotated[
        bool, typer.Option(help="Pick the snapshot on randomized populations even when training on the plain one")
    ] = True,
    lr: Annotated[float, typer.Option(min=0.0, help="PPO learning rate at the first iteration")] = 1e-3,
    lr_final: Annotated[float, typer.Option(min=0.0, help="Learning rate at the last iteration (linear decay)")] = 1e-4,
    advice_weight: Annotated[
        float, typer.Option(min=0.0, help="Logit prior for the belief planner's advice (0: learn from scratch)")
    ] = 4.0,
) -> None:
    """Train the PPO sequencer on the training simulator; log to MLflow and register it."""
    from models.rl.train import TrainSettings
    from models.simulator.config import PopulationRanges
    from pipelines.rl.train import train_and_log

    ranges = PopulationRanges(factor=randomize_factor, logit_shift=randomize_shift)

    report = train_and_log(
        iterations=iterations,
        seed=seed,
        eval_learners=eval_learners,
        register=register,
        settings=TrainSettings(
            iterations=iterations,
            seed=seed,
            checkpoint_every=checkpoint_every,
            lr=lr,
            lr_final=lr_final,
            advice_weight=advice_weight,
        ),
        validation_learners=validation_learners,
        checkpoint_every=checkpoint_every,
        reward_dropout=reward_dropout,
        randomization=ranges if randomize else None,
        validation_randomization=ranges if validate_randomized else None,
    )
    typer.echo(json.dumps(report, indent=2))


@bench_app.command("sequencing")
def bench_sequencing_cmd(
    learners: Annotated[int, typer.Option(min=10, help="Simulated learners per policy")] = 1000,
    seed: Annotated[int, typer.Option(help="Learner i is drawn with seed + i")] = DEFAULT_BENCH_SEED,
    model: Annotated[
        str | None,
        typer.Option(help="RL policy: an RLModule checkpoint folder or an MLflow URI (default: latest registered)"),
    ] = None,
    policies: Annotated[str | None, typer.Option(help="Comma-separated subset of policies")] = None,
    config: Annotated[
        str, typer.Option(help="Simulator configuration: heldout, train or train-randomized")
    ] = "heldout",
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON")] = False,
    markdown: Annotated[Path | None, typer.Option(help="Also write the table as Markdown here")] = None,
) -> None:
    """Activities to mastery, post-test score and dropout per policy, with 95% CIs."""
    from pipelines.rl.benchmark import BenchmarkError, run_benchmark

    try:
        result = run_benchmark(learners=learners, seed=seed, model=model, policies=policies, config_name=config)
    except BenchmarkError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(result.markdown(), encoding="utf-8")
    typer.echo(json.dumps(result.as_dict(), indent=2) if as_json else result.markdown())


def register(app: typer.Typer) -> None:
    app.add_typer(simulator_app, name="simulator")
