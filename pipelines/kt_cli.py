"""Knowledge-tracing commands: ``pathwise train``, ``pathwise models …`` and ``pathwise bench kt|bkt-parity``.

Heavy imports (MLflow, torch, pandas) stay inside the commands so that ``--help`` is instant.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.table import Table

    from pathwise.config import CommonSettings
    from pipelines.kt_splits import Splits
    from pipelines.registry import VersionRow

models_app = typer.Typer(help="The model registry: list versions, promote champions.", no_args_is_help=True)
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"pathwise: {message}", err=True)
    return typer.Exit(code=code)


def bench_bkt_parity(
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder with the Piech split (default: <shared_data_dir>/kt/assist2009)")
    ] = None,
    venv_dir: Annotated[
        Path | None, typer.Option(help="Where to build pyBKT's private virtualenv (default: <home>/bench/pybkt-venv)")
    ] = None,
    skip_pybkt: Annotated[bool, typer.Option("--skip-pybkt", help="Only run Pathwise BKT")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON")] = False,
) -> None:
    """Pathwise BKT vs pyBKT 1.4.3 on the ASSISTments 2009 Piech split: AUC gap and fit speed-up."""
    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings
    from pipelines.bkt_parity import AUC_TOLERANCE, SPEEDUP_TARGET, describe_environment, parity

    settings = settings_or_exit(CommonSettings)
    data = data_dir or settings.shared_data_dir / "kt" / "assist2009"
    venv = venv_dir or settings.home / "bench" / "pybkt-venv"
    try:
        results = parity(data, venv, with_pybkt=not skip_pybkt, log=lambda line: err.log(line))
    except FileNotFoundError as error:
        raise _fail(str(error)) from None
    report = {
        "benchmark": "bkt-parity",
        "dataset": str(data),
        "num_fits": 1,
        "auc_tolerance": AUC_TOLERANCE,
        "speedup_target": SPEEDUP_TARGET,
        "environment": describe_environment(),
        "results": [r.as_dict() for r in results],
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for r in results:
        line = f"{r.variant:12s} pathwise auc {r.pathwise_auc:.4f} rmse {r.pathwise_rmse:.4f}"
        line += f" fit {r.pathwise_fit_s:.2f}s"
        if r.pybkt_auc is not None and r.speedup is not None and r.auc_gap is not None:
            line += f" | pyBKT auc {r.pybkt_auc:.4f} fit {r.pybkt_fit_s:.1f}s"
            line += f" | gap {r.auc_gap:+.4f} speed-up {r.speedup:.0f}x"
        typer.echo(line)


def _settings() -> CommonSettings:
    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings

    return settings_or_exit(CommonSettings)


def _splits(dataset: str, train: Path | None, test: Path | None, settings: CommonSettings) -> Splits:
    from pathwise.datasets import DatasetError
    from pipelines.kt_splits import load_splits

    try:
        return load_splits(dataset, settings.shared_data_dir / "kt", train_path=train, test_path=test)
    except DatasetError as error:
        raise _fail(str(error)) from None


DatasetOpt = Annotated[str, typer.Option("--dataset", help="sample | assist2009 | assist2009_pid | assist2015 | PATH")]
TrainOpt = Annotated[Path | None, typer.Option("--train", help="Train on this file (with --test)")]
TestOpt = Annotated[Path | None, typer.Option("--test", help="Evaluate on this file (with --train)")]


def _train_command(model_name: str) -> Callable[..., None]:
    def command(
        dataset: DatasetOpt = "sample",
        train: TrainOpt = None,
        test: TestOpt = None,
        source: Annotated[
            str,
            typer.Option(
                help="Where rows come from: dataset (--dataset/--train/--test), lrs (the LRS answers) "
                "or kt_v1 (LRS answers joined point-in-time with the kt_v1 FeatureService, gated)"
            ),
        ] = "dataset",
        experiment: Annotated[str, typer.Option(help="MLflow experiment")] = "pathwise-kt",
        no_register: Annotated[bool, typer.Option("--no-register", help="Log the run without registering")] = False,
    ) -> None:
        from pathwise.datasets import DatasetError
        from pipelines.kt_sources import load_source
        from pipelines.train import train as run_training
        from pipelines.validate import DataQualityError

        settings = _settings()
        if source != "dataset" and (train is not None or test is not None or dataset != "sample"):
            raise _fail(f"--dataset, --train and --test choose rows only with --source dataset (got --source {source})")
        try:
            sourced = load_source(source, settings, dataset, train_path=train, test_path=test)
        except DatasetError as error:
            raise _fail(str(error)) from None
        except DataQualityError as error:
            raise _fail(f"training data refused: {error}", code=1) from None
        splits = sourced.splits
        try:
            result = run_training(
                model_name,
                splits,
                settings,
                experiment=experiment,
                source=sourced.source,
                feature_service=sourced.feature_service,
                source_tags=sourced.tags,
                register=not no_register,
            )
        except (ValueError, ImportError) as error:
            raise _fail(str(error)) from None
        summary = {
            "model": result.model,
            "dataset": splits.name,
            "source": sourced.source,
            "feature_service": sourced.feature_service,
            "run_id": result.run_id,
            "registered_model": result.registered_model,
            "version": result.version,
            "fit_seconds": round(result.fit_seconds, 3),
            **{k: round(v, 4) for k, v in result.metrics.items()},
        }
        typer.echo(json.dumps(summary, indent=2))

    command.__doc__ = f"Train {model_name}, log it to MLflow and register it as pathwise-{model_name}."
    return command


@models_app.command("list")
def list_cmd(
    name: Annotated[str | None, typer.Argument(help="Only this model (e.g. bkt or pathwise-bkt)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the versions as JSON")] = False,
) -> None:
    """Registered versions with their aliases, validation status and metrics."""
    from pipelines.registry import full_name, list_versions

    rows = list_versions(_settings(), name)
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2))
        return
    if not rows:
        only = f" named {full_name(name)!r}" if name else ""
        typer.echo(f"No model{only} is registered yet; `pathwise train bkt` trains and registers one.")
        return
    print_versions(Console(), rows)


#: The columns after version and aliases, most useful first: a narrow terminal loses them from the end.
OPTIONAL_COLUMNS = ("status", "test AUC", "holdout AUC", "dataset")


def _metric(value: str) -> str:
    try:
        return f"{float(value):.4f}"
    except ValueError:
        return value


def _versions_table(rows: list[VersionRow], columns: tuple[str, ...]) -> Table:
    """Every cell on one line, except a long dataset (a file path, say), which folds within 24 columns."""
    from rich.table import Table

    table = Table()
    table.add_column("version", no_wrap=True, justify="right")
    table.add_column("aliases", no_wrap=True)
    for column in columns:
        if column == "dataset":
            table.add_column(column, overflow="fold", max_width=24)
        else:
            table.add_column(column, no_wrap=True)
    for r in rows:
        cells = {"status": r.status, "test AUC": _metric(r.test_auc), "holdout AUC": _metric(r.holdout_auc)}
        cells["dataset"] = r.dataset
        table.add_row(r.version, ", ".join(r.aliases), *(cells[c] for c in columns))
    return table


def _version_line(r: VersionRow) -> str:
    """One version as a line of its own, for a terminal too narrow for any table."""
    metrics = (("test AUC", r.test_auc), ("holdout AUC", r.holdout_auc), ("dataset", r.dataset))
    parts = [", ".join(r.aliases), r.status, *(f"{label} {_metric(value)}" for label, value in metrics if value)]
    return f"  v{r.version}: " + "; ".join(p for p in parts if p)


def print_versions(console: Console, rows: list[VersionRow]) -> None:
    """One block per model: its name whole on a line of its own, then its versions.

    A table cell would cut or fold a long registered name; a line of its own never does. The
    table keeps as many of :data:`OPTIONAL_COLUMNS` as the terminal's width allows, and a
    terminal too narrow for version and aliases gets one wrapped line per version instead.
    """
    from itertools import groupby

    from rich.measure import Measurement
    from rich.text import Text

    unbounded = console.options.update_width(10_000)  # the width a table wants, not one squeezed to fit
    for index, (model, versions) in enumerate(groupby(rows, key=lambda r: r.name)):
        group = list(versions)
        if index:
            console.print()
        console.print(Text(model, style="bold"), soft_wrap=True)
        for columns in (OPTIONAL_COLUMNS[:n] for n in range(len(OPTIONAL_COLUMNS), -1, -1)):
            table = _versions_table(group, columns)
            if Measurement.get(console, unbounded, table).maximum <= console.width:
                console.print(table)
                break
        else:
            for r in group:
                console.print(_version_line(r))


@models_app.command("promote")
def promote_cmd(
    name: Annotated[str, typer.Argument(help="Model name, e.g. bkt or pathwise-bkt")],
    version: Annotated[str, typer.Option("--version", help="Version to promote")],
    tolerance: Annotated[float, typer.Option(help="Allowed holdout AUC shortfall vs the champion")] = 0.0,
    challenger: Annotated[bool, typer.Option("--challenger", help="Set the challenger (canary) alias instead")] = False,
    dataset: Annotated[str | None, typer.Option(help="Holdout dataset (default: the version's dataset)")] = None,
) -> None:
    """Give a version the champion alias if it beats the current champion on the holdout."""
    from pathwise.registry import CHALLENGER, CHAMPION, configure_mlflow
    from pipelines.registry import RegistryError, full_name, promote

    settings = _settings()
    holdout = None
    if not challenger:
        client = configure_mlflow(settings)
        try:
            tags = client.get_model_version(full_name(name), version).tags
        except Exception:
            raise _fail(f"{full_name(name)} has no version {version}") from None
        holdout = _splits(dataset or tags.get("dataset", "sample"), None, None, settings).test
    try:
        result = promote(
            settings, name, version, holdout, tolerance=tolerance, alias=CHALLENGER if challenger else CHAMPION
        )
    except RegistryError as error:
        raise _fail(str(error)) from None
    typer.echo(json.dumps(result.__dict__, indent=2))
    if not result.promoted and result.reason != "already the champion":
        raise typer.Exit(code=1)


def bench_kt(
    dataset: DatasetOpt = "assist2009",
    train: TrainOpt = None,
    test: TestOpt = None,
    models: Annotated[str, typer.Option(help="Comma-separated catalog names")] = "bkt,bkt-forgets",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Each model on a dataset's published protocol, next to the published anchors."""
    from pipelines.bench_kt import ModelUnavailable, run_benchmark

    settings = _settings()
    splits = _splits(dataset, train, test, settings)
    names = [m.strip() for m in models.split(",") if m.strip()]
    try:
        report = run_benchmark(splits, names, log=lambda line: err.log(line))
    except (ModelUnavailable, ValueError) as error:
        raise _fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.table import Table

    table = Table("model", "AUC", "RMSE", "fit s", "published anchor")
    for row in report["results"]:
        cells = (f"{row['auc']:.4f}", f"{row['rmse']:.4f}", f"{row['fit_seconds']:.1f}")
        table.add_row(row["model"], *cells, row["anchor"])
    Console().print(table)


def register(app: typer.Typer) -> None:
    from models.catalog import KT_MODELS
    from pathwise.commands import bench_app, train_app

    for model_name in KT_MODELS:  # every catalog model gets `pathwise train <name>`
        train_app.command(model_name)(_train_command(model_name))
    bench_app.command("bkt-parity")(bench_bkt_parity)
    bench_app.command("kt")(bench_kt)
    app.add_typer(models_app, name="models")
