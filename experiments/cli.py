"""``pathwise experiments report NAME``: per-variant outcomes with always-valid confidence intervals."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

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

    from experiments.report import UnknownExperiment, build_report
    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings
    from platform_api.core.db import make_engine, make_session_factory

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


@experiments_app.command("simulate")
def simulate(
    control: Annotated[float, typer.Option(min=0.0, max=1.0, help="Control success rate")] = 0.3,
    treatment: Annotated[float, typer.Option(min=0.0, max=1.0, help="Treatment success rate")] = 0.3,
    experiments: Annotated[int, typer.Option(min=10, max=100_000)] = 600,
    seed: int = 20261125,
) -> None:
    """Simulate experiments checked every 50 learners per arm: how often each test rejects (JSON)."""
    from experiments.sequential import simulate_peeking

    rates = simulate_peeking(control, treatment, experiments=experiments, seed=seed)
    typer.echo(json.dumps({"control": control, "treatment": treatment, "experiments": experiments, **rates}))


def register(app: typer.Typer) -> None:
    from experiments import loop_bench, serving_bench

    app.add_typer(experiments_app, name="experiments")
    serving_bench.register_bench()
    loop_bench.register_bench()
