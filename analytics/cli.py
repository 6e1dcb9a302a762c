"""``pathwise analytics refresh|status``: bring the analytics store up to the LRS, and say how fresh it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

analytics_app = typer.Typer(help="The analytics store (DuckDB marts over the LRS).", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


@analytics_app.command("refresh")
def refresh(as_json: JsonFlag = False) -> None:
    """Apply every LRS statement stored since the last refresh (each statement once)."""
    from rich.progress import Progress
    from sqlalchemy import create_engine

    from analytics.catchup import catch_up
    from analytics.config import store_of
    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings, engine_url

    settings = settings_or_exit(CommonSettings)
    engine = create_engine(engine_url(settings.db_url))
    with Progress(disable=as_json, transient=True) as bar:
        task = bar.add_task("statements", total=None)
        done = catch_up(engine, store_of(settings), progress=lambda at, of: bar.update(task, completed=at, total=of))
    outcome = {
        "from_seq": done.from_seq,
        "to_seq": done.to_seq,
        "applied": done.report.applied,
        "duplicates": done.report.duplicates,
        "voids": done.report.voids,
        "unreadable": done.report.unreadable,
        "seconds": round(done.seconds, 3),
    }
    if as_json:
        typer.echo(json.dumps(outcome))
        return
    typer.echo(
        f"analytics: LRS statements {done.from_seq + 1:,}..{done.to_seq:,}: {done.report.applied:,} applied, "
        f"{done.report.voids:,} voids, {done.report.duplicates:,} seen before, "
        f"{done.report.unreadable:,} no mart reads ({done.seconds:.2f}s)"
    )
    for reason in done.report.reasons:
        typer.echo(f"  not read: {reason}")


@analytics_app.command("export")
def export(
    course: Annotated[int, typer.Option(help="the course whose rows to export")],
    out: Annotated[Path, typer.Option(help="the file to write")],
    mart: Annotated[str, typer.Option(help="answers or cells")] = "answers",
    fmt: Annotated[str, typer.Option("--format", help="csv, json (one object per line) or parquet")] = "csv",
) -> None:
    """Write one course's mart to a file for BI tools (the operator's command: the API applies RBAC)."""
    from analytics.config import store_of
    from analytics.export import MARTS, MEDIA_TYPES, course_mart, encode
    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings

    if mart not in MARTS or fmt not in MEDIA_TYPES:
        typer.echo(f"pathwise: --mart is one of {', '.join(MARTS)}; --format one of {', '.join(MEDIA_TYPES)}", err=True)
        raise typer.Exit(2)
    table = course_mart(store_of(settings_or_exit(CommonSettings)), mart, course)
    out.write_bytes(encode(table, fmt))
    typer.echo(f"analytics: {table.num_rows:,} rows of {mart} for course {course} written to {out} ({fmt})")


@analytics_app.command("status")
def status(as_json: JsonFlag = False) -> None:
    """Rows per mart, the LRS statement the store has reached, and how far behind the LRS it is."""
    from sqlalchemy import create_engine

    from analytics.config import store_of
    from analytics.freshness import freshness
    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings, engine_url

    settings = settings_or_exit(CommonSettings)
    figures = freshness(create_engine(engine_url(settings.db_url)), store_of(settings))
    if as_json:
        typer.echo(json.dumps(figures.__dict__))
        return
    lag = "unknown" if figures.lag_s is None else f"{figures.lag_s:.1f}s"
    typer.echo(
        f"analytics store: {figures.path}\n"
        f"  statements {figures.statements:,}  answers {figures.answers:,}  voided {figures.voided:,}\n"
        f"  LRS statement reached {figures.reached_seq:,} of {figures.lrs_seq:,} ({figures.behind:,} behind, "
        f"{lag} of LRS time); last refresh {figures.refreshed_at or 'never'}"
    )


def bench_analytics(
    as_json: JsonFlag = False,
    base: Annotated[int, typer.Option(help="statements the store holds before the timed refresh")] = 50_000,
    new: Annotated[int, typer.Option(help="new statements the timed refresh takes")] = 10_000,
    learners: Annotated[int, typer.Option(help="learners sitting the assessment")] = 2_000,
    items: Annotated[int, typer.Option(help="items of the assessment")] = 500,
    map_learners: Annotated[int, typer.Option(help="learners in the heatmap's course")] = 1_000,
    map_skills: Annotated[int, typer.Option(help="skills in the heatmap's course")] = 100,
    per_cell: Annotated[int, typer.Option(help="answers per learner and skill")] = 10,
) -> None:
    """The analytics store's refresh, item analysis and cohort heatmap at scale (targets: 5 s, 10 s, 300 ms p95)."""
    from analytics.bench import run

    figures = run(base, new, learners, items, map_learners, map_skills, per_cell)
    if as_json:
        typer.echo(json.dumps(figures))
        return
    typer.echo(f"refresh: {figures['refresh_statements']:,} new statements in {figures['refresh_s']}s (target <= 5 s)")
    typer.echo(
        f"item analysis: {items} items, {figures['item_analysis_answers']:,} answers in "
        f"{figures['item_analysis_s']}s (target <= 10 s)"
    )
    typer.echo(
        f"cohort heatmap: {figures['heatmap_cells']:,} cells over {figures['heatmap_answers']:,} answers, "
        f"p95 {figures['heatmap_p95_ms']} ms (target <= 300 ms)"
    )
    typer.echo("at-risk scoring: not built yet")


def register(app: typer.Typer) -> None:
    from pathwise.commands import bench_app

    app.add_typer(analytics_app, name="analytics")
    if "analytics" not in {c.name for c in bench_app.registered_commands}:
        bench_app.command("analytics")(bench_analytics)
