"""``pathwise experiments list`` (every experiment stored) and ``report NAME`` (per-variant outcomes with intervals)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from platform_api.domain.experiments.listing import Experiment

experiments_app = typer.Typer(help="A/B experiment analysis.", no_args_is_help=True)

LABELS = {
    "next_attempt_correct": "next-attempt correct",
    "mastery_per_hour": "mastery gained / hour",
    "completion": "completion",
    "dropoff": "drop-off",
}


def _cell(interval: dict[str, Any]) -> str:
    if interval["n"] == 0:
        return "no data"
    if interval["low"] is None:
        return f"{interval['estimate']:.3f} (n={interval['n']}, too few for an interval)"
    return f"{interval['estimate']:.3f} [{interval['low']:.3f}, {interval['high']:.3f}] n={interval['n']}"


def render(report: dict[str, Any]) -> str:
    """The report as text: one block per variant, then each comparison with the control."""
    lines = [f"experiment {report['experiment']}: {report['method']}, alpha={report['alpha']}"]
    for variant, row in report["variants"].items():
        lines.append(f"\n{variant} ({row['learners']} learners){' - control' if variant == report['control'] else ''}")
        lines += [f"  {LABELS[m]:<22} {_cell(row[m])}" for m in LABELS]
    for variant, rows in report["comparisons"].items():
        lines.append(f"\n{variant} - {report['control']}")
        for metric, row in rows.items():
            verdict = "significant" if row["significant"] else "not significant"
            lines.append(f"  {LABELS[metric]:<22} {_cell(row)} p={row['p_value']:.4f} {verdict}")
    return "\n".join(lines)


@experiments_app.command("report")
def report(
    name: Annotated[str, typer.Argument(help="Experiment name, as recorded with its exposures")],
    control: Annotated[str | None, typer.Option(help="Control variant (default: champion)")] = None,
    alpha: Annotated[float, typer.Option(min=0.0001, max=0.5, help="Error rate, valid at every look")] = 0.05,
    idle_days: Annotated[float, typer.Option(min=0.1, help="Days without an answer that count as drop-off")] = 7.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Per-variant next-attempt correctness, mastery per hour, completion and drop-off, with intervals."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings
    from platform_api.core.db import make_engine, make_session_factory
    from platform_api.domain.experiments.report import UnknownExperiment, build_report

    settings = settings_or_exit(CommonSettings)
    engine = make_engine(settings.db_url)
    try:
        if not inspect(engine).has_table("experiment_exposures"):
            typer.echo("pathwise: the database has no experiment_exposures table; run `pathwise db upgrade`", err=True)
            raise typer.Exit(code=2)
        with make_session_factory(engine)() as session:
            data = build_report(session, name, control=control, alpha=alpha, idle_days=idle_days)
    except UnknownExperiment as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=1) from None
    except SQLAlchemyError as error:
        typer.echo(f"pathwise: cannot read the database: {getattr(error, 'orig', error)}", err=True)
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()
    typer.echo(json.dumps(data, indent=2) if as_json else render(data))


NONE_YET = (
    "No experiments yet; `pathwise rollout start VERSION --mode ab` starts one, an A/B test of a registered "
    "version against the champion."
)
STATUS = {"rolled_back": "rolled back"}


def _started(experiment: Experiment) -> list[str]:
    """When it started (UTC), or when its first learner was exposed if no decision says."""
    if experiment.started_at is not None:
        return [f"{experiment.started_at:%Y-%m-%d %H:%M}"]
    if experiment.first_exposure_at is not None:
        return [f"{experiment.first_exposure_at:%Y-%m-%d %H:%M}", "(first exposure)"]
    return []


def _variant_lines(experiment: Experiment) -> list[str]:
    """One per variant: its version, and its share of learners while the experiment runs."""
    lines = []
    for v in experiment.variants.values():
        line = v.variant + (f" v{v.version}" if v.version else "")
        if experiment.running:
            line += f" {v.traffic_percent:g}%" if v.traffic_percent is not None else " shadow"
        lines.append(line)
    return lines


def _status(experiment: Experiment) -> str:
    mode = f" ({experiment.mode})" if experiment.running and experiment.mode else ""
    return STATUS.get(experiment.status, experiment.status) + mode


def experiments_table(experiments: list[Experiment], *, exposures: bool = True) -> Table:
    """Every cell line whole: the status above the start time, one line per variant."""
    from rich.table import Table

    table = Table(show_edge=False)
    table.add_column("experiment", no_wrap=True)
    table.add_column("status\nstarted (UTC)", no_wrap=True)
    table.add_column("variants\nand traffic", no_wrap=True)
    if exposures:
        table.add_column("exposures", justify="right", no_wrap=True)
    for x in experiments:
        cells = [x.name, "\n".join([_status(x), *_started(x)]), "\n".join(_variant_lines(x))]
        table.add_row(*cells, *([f"{x.exposures:,}"] if exposures else []))
    return table


def print_experiments(console: Console, experiments: list[Experiment]) -> None:
    """The table, without the exposures column if the terminal is too narrow, or one line each if narrower."""
    from rich.measure import Measurement

    unbounded = console.options.update_width(10_000)  # the width a table wants, not one squeezed to fit
    for exposures in (True, False):
        table = experiments_table(experiments, exposures=exposures)
        if Measurement.get(console, unbounded, table).maximum <= console.width:
            console.print(table)
            return
    for x in experiments:
        started = " ".join(_started(x))
        parts = [_status(x), ", ".join(_variant_lines(x)), f"{x.exposures:,} exposed", started and f"started {started}"]
        console.print(f"{x.name}: " + "; ".join(p for p in parts if p))


def _stored_experiments(db_url: str) -> list[Experiment]:
    """What the configured database holds; nothing when it does not exist yet or was never migrated."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from platform_api.core.db import make_engine
    from platform_api.domain.experiments.listing import list_experiments

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and (not url.database or not Path(url.database).is_file()):
        return []  # a fresh home: opening it would create the file
    engine = make_engine(db_url)
    try:
        schema = inspect(engine)
        tables = set(schema.get_table_names())
        if not tables & {"rollouts", "experiment_exposures"}:
            return []
        needed = {"rollouts", "rollout_decisions", "experiment_exposures"}
        if not needed <= tables or "challenger" not in {c["name"] for c in schema.get_columns("rollout_decisions")}:
            typer.echo("pathwise: the database's schema is behind this version; run `pathwise db upgrade`", err=True)
            raise typer.Exit(code=2)
        with engine.connect() as conn:
            return list_experiments(conn)
    except SQLAlchemyError as error:
        typer.echo(f"pathwise: cannot read the database: {getattr(error, 'orig', error)}", err=True)
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()


@experiments_app.command("list")
def list_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Every experiment stored: status, variants and their traffic, when it started, how many learners it exposed."""
    from rich.console import Console

    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings

    experiments = _stored_experiments(settings_or_exit(CommonSettings).db_url)
    if as_json:
        typer.echo(json.dumps([x.as_dict() for x in experiments], indent=2))
    elif not experiments:
        typer.echo(NONE_YET)
    else:
        print_experiments(Console(), experiments)


@experiments_app.command("simulate")
def simulate(
    control: Annotated[float, typer.Option(min=0.0, max=1.0, help="Control success rate")] = 0.3,
    treatment: Annotated[float, typer.Option(min=0.0, max=1.0, help="Treatment success rate")] = 0.3,
    experiments: Annotated[int, typer.Option(min=10, max=100_000)] = 600,
    seed: int = 20261125,
) -> None:
    """Simulate experiments checked every 50 learners per arm: how often each test rejects (JSON)."""
    from platform_api.domain.experiments.sequential import simulate_peeking

    rates = simulate_peeking(control, treatment, experiments=experiments, seed=seed)
    typer.echo(json.dumps({"control": control, "treatment": treatment, "experiments": experiments, **rates}))


def register(app: typer.Typer) -> None:
    from experiments import loop_bench, serving_bench, web_bench

    app.add_typer(experiments_app, name="experiments")
    serving_bench.register_bench()
    loop_bench.register_bench()
    web_bench.register_bench()
