"""``pathwise essay …``: cross-validate, train and register, and evaluate the essay scorer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from pathwise.commands import essay_app

DataOption = Annotated[
    Path | None, typer.Option("--data", help="Folder with part*.tsv (default: <shared_data_dir>/essays/asap)")
]
SeedOption = Annotated[int, typer.Option(help="Random seed for inner folds and boosting")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON")]
EmbedOption = Annotated[
    bool,
    typer.Option(
        "--embedding-in-stack/--no-embedding-in-stack",
        help="Score with the whole-essay embedding too (embeds every essay once; cached in PATHWISE_HOME)",
    ),
]
StackOption = Annotated[
    str,
    typer.Option(
        "--stack",
        help="joint: one ridge over word n-grams, features and embedding (default); "
        "boosted: ridges feeding gradient boosting (the earlier stack)",
    ),
]

PresetOption = Annotated[
    str,
    typer.Option(
        "--preset",
        help="repeated-split (default): the grid-averaged joint ridge with spline features, cut points from "
        "three repeated inner splits, stretched; single-split: the same on one inner split (the earlier default); "
        "best-ridge: the single best joint ridge, no spline features, QWK-tuned cut points",
    ),
]


def _settings() -> Any:
    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings

    settings = settings_or_exit(CommonSettings)
    settings.ensure_home()
    return settings


def _data_dir(settings: Any, data: Path | None) -> Path:
    path = data if data is not None else settings.shared_data_dir / "essays" / "asap"
    if not path.is_dir():
        typer.echo(f"pathwise: essay data folder {path} not found (pass --data DIR with part*.tsv)", err=True)
        raise typer.Exit(code=2)
    return path


def _config(seed: int, embedding_in_stack: bool, stack: str, preset: str = "repeated-split") -> Any:
    from models.essay.scorer import PRESETS, ScorerConfig

    if preset not in PRESETS:
        typer.echo(f"pathwise: unknown preset {preset!r}; expected one of {sorted(PRESETS)}", err=True)
        raise typer.Exit(code=2)
    try:
        return ScorerConfig(seed=seed, embedding_in_stack=embedding_in_stack, stack=stack, **PRESETS[preset])
    except ValueError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None


def _emit(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    for prompt, value in report.get("qwk_per_prompt", {}).items():
        typer.echo(f"prompt {prompt}: QWK {value:.4f}")
    if "mean_qwk" in report:
        typer.echo(f"mean QWK {report['mean_qwk']:.4f}")
    for key in ("run_id", "version", "champion_version"):
        if key in report:
            typer.echo(f"{key}: {report[key]}")


@essay_app.command("cv")
def cv_cmd(
    data: DataOption = None,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
    report: Annotated[Path | None, typer.Option(help="Also write the markdown results table here")] = None,
    plots: Annotated[Path | None, typer.Option(help="Folder for the confidence reliability plot")] = None,
    jobs: Annotated[int, typer.Option(help="Folds fitted in parallel processes")] = 1,
    folds: Annotated[str | None, typer.Option(help="Comma-separated folds to score (default: all)")] = None,
    embedding_in_stack: EmbedOption = True,
    stack: StackOption = "joint",
    preset: PresetOption = "repeated-split",
) -> None:
    """Cross-validate over the ASAP parts (each part is one fold) and report QWK per prompt."""
    from models.essay.data import EssayDataError
    from pipelines.essay.report import write_markdown
    from pipelines.essay.run import cross_validate

    try:
        only = [int(f) for f in folds.split(",")] if folds else None
    except ValueError:
        typer.echo(f"pathwise: --folds must be comma-separated integers, got {folds!r}", err=True)
        raise typer.Exit(code=2) from None
    config = _config(seed, embedding_in_stack, stack, preset)
    settings = _settings()
    try:
        result = cross_validate(_data_dir(settings, data), settings.home, config, plots, jobs, only)
    except EssayDataError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None
    if report is not None:
        write_markdown(result, report, seed)
    _emit(result, as_json)


@essay_app.command("train")
def train_cmd(
    data: DataOption = None,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
    embedding_in_stack: EmbedOption = True,
    stack: StackOption = "joint",
    preset: PresetOption = "repeated-split",
) -> None:
    """Fit on every part, log to MLflow and register ``pathwise-essay`` (champion alias if none)."""
    from models.essay.data import EssayDataError
    from pipelines.essay.run import train

    config = _config(seed, embedding_in_stack, stack, preset)
    settings = _settings()
    try:
        result = train(
            _data_dir(settings, data),
            settings.home,
            config,
            settings.mlflow_uri,
            settings.mlflow_artifacts,
        )
    except EssayDataError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None
    _emit(result, as_json)


@essay_app.command("evaluate")
def evaluate_cmd(
    data: Annotated[Path, typer.Option("--data", help="An ASAP-format TSV with domain1_score")],
    as_json: JsonOption = False,
    model_uri: Annotated[str, typer.Option(help="Registry URI of the model")] = "models:/pathwise-essay@champion",
) -> None:
    """Score an ASAP-format file with the champion model and print QWK per prompt and the mean."""
    from models.essay.data import EssayDataError
    from pipelines.essay.run import evaluate

    settings = _settings()
    try:
        result = evaluate(data, settings.mlflow_uri, model_uri)
    except EssayDataError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None
    _emit(result, as_json)


@essay_app.command("learning-curve")
def learning_curve_cmd(
    data: DataOption = None,
    as_json: JsonOption = False,
    sizes: Annotated[
        str, typer.Option(help="Comma-separated numbers of scored essays to train on")
    ] = "10,20,30,50,100,200",
    repeats: Annotated[int, typer.Option(help="Random draws of the n essays per size (seeds 0..repeats-1)")] = 3,
    jobs: Annotated[int, typer.Option(help="Prompts processed in parallel")] = 1,
    report: Annotated[Path | None, typer.Option(help="Write the markdown table here")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the learning-curve plot (PNG) here")] = None,
) -> None:
    """QWK of a new prompt's own model by the number of its scored essays, each ASAP prompt treated as new,
    against the cross-prompt model trained on the other prompts."""
    import sys

    from models.essay.data import EssayDataError
    from pipelines.essay import curve

    try:
        grid = tuple(int(n) for n in sizes.split(","))
    except ValueError:
        typer.echo(f"pathwise: --sizes must be comma-separated integers, got {sizes!r}", err=True)
        raise typer.Exit(code=2) from None
    settings = _settings()
    try:
        result = curve.learning_curve(_data_dir(settings, data), settings.home, grid, repeats, jobs)
    except EssayDataError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None
    command = (
        "pathwise " + " ".join(sys.argv[sys.argv.index("essay") :])
        if "essay" in sys.argv
        else "pathwise essay learning-curve"
    )
    if report is not None:
        result["report"] = str(curve.write_markdown(result, report, command))
    if plot is not None:
        result["plot"] = str(curve.plot(result, plot))
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
        return
    typer.echo(f"cross-prompt model (n = 0): mean QWK {result['cross_prompt_mean_qwk']:.4f}")
    for n, qwk in result["own_mean_qwk"].items():
        typer.echo(f"own model, n = {n}: mean QWK {qwk:.4f}")
    typer.echo(f"own model, all scored essays: mean QWK {result['all_mean_qwk']:.4f}")


def register(app: typer.Typer) -> None:
    app.add_typer(essay_app, name="essay")
