"""``pathwise data …``: datasets and demo seeding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(help="Datasets: inspect, sample and seed.", no_args_is_help=True)


@data_app.command("inspect")
def inspect(path: Annotated[Path, typer.Argument(help="A KT file in any supported format")]) -> None:
    """Read PATH into the tidy schema and print a summary as JSON."""
    from pathwise.datasets import DatasetError, digest
    from pipelines.datasets import read_kt

    try:
        frame = read_kt(path)
    except DatasetError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None
    summary = {
        "path": str(path),
        "format": frame.attrs["format"],
        "rows": len(frame),
        "learners": int(frame["user_id"].nunique()),
        "skills": int(frame["skill_id"].nunique()),
        "items": int(frame["item_id"].nunique()),
        "p_correct": round(float(frame["correct"].mean()), 4),
        "digest": digest(frame),
    }
    typer.echo(json.dumps(summary, indent=2))


@data_app.command("build-sample")
def build_sample_cmd(
    shared: Annotated[Path, typer.Option(help="The shared kt/ folder")] = Path("../shared/data/kt"),
    out: Annotated[Path, typer.Option(help="Where to write the sample")] = Path("pathwise/data/assist2009_sample.csv"),
) -> None:
    """Regenerate the bundled ASSISTments 2009 sample (≤ 2 MB) from the shared data."""
    from pipelines.datasets import build_sample

    sample = build_sample(shared, out, {"train": 300, "valid": 60, "test": 60})
    typer.echo(f"wrote {out}: {len(sample)} rows, {sample['user_id'].nunique()} learners")


@data_app.command("seed")
def seed_cmd() -> None:
    """Seed the demo organization and course (idempotent)."""
    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings
    from platform_api.demo.seed import seed_demo

    settings = settings_or_exit(CommonSettings)
    report = seed_demo(settings.db_url)
    typer.echo(json.dumps(report.__dict__, indent=2))


@data_app.command("calibrate-items")
def calibrate_items_cmd(
    tenant: Annotated[str, typer.Option(help="Slug of the tenant (top-level org unit)")] = "demo",
    min_responses: Annotated[int, typer.Option(min=1, help="Leave items with fewer graded attempts out")] = 5,
) -> None:
    """Fit 2PL IRT on a tenant's graded attempts; store each item's difficulty (b) and discrimination (a)."""
    from sqlalchemy import select

    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings
    from platform_api.core.db import make_engine, make_session_factory, transaction
    from platform_api.domain.items.calibrate import calibrate_items
    from platform_api.domain.org.models import OrgUnit

    settings = settings_or_exit(CommonSettings)
    engine = make_engine(settings.db_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            tenant_id = session.scalar(select(OrgUnit.id).where(OrgUnit.slug == tenant, OrgUnit.parent_id.is_(None)))
            if tenant_id is None:
                typer.echo(f"no tenant with slug {tenant!r}", err=True)
                raise typer.Exit(2)
            report = calibrate_items(session, tenant_id, min_responses)
    finally:
        engine.dispose()
    typer.echo(json.dumps(report.__dict__, indent=2))


def _read_statements(path: Path) -> list[object]:
    """A JSON array, or JSON Lines (one statement per line; unparsable lines kept as text)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not JSON ({error})") from None
        if not isinstance(loaded, list):
            raise ValueError(f"{path}: expected a JSON array of statements")
        return list(loaded)
    records: list[object] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            records.append(line)
    return records


@data_app.command("validate")
def validate_cmd(
    path: Annotated[Path, typer.Argument(help="Event batch (.jsonl/.ndjson/.json) or training set (.parquet)")],
) -> None:
    """Run the GX gate for PATH; quarantine a failing event batch; build Data Docs. Exit 1 on failure."""
    import pandas as pd

    from features.config import FeatureSettings
    from features.offline import batch_token
    from pathwise.commands import settings_or_exit
    from pipelines.validate import Gates, events_frame, quarantine

    if not path.is_file():
        typer.echo(f"pathwise: {path}: no such file", err=True)
        raise typer.Exit(code=2)
    settings = settings_or_exit(FeatureSettings)
    gates = Gates(settings.gx_root)
    folder = None
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        features = [c for c in frame.columns if c.endswith(("_s", "_pct", "mastery", "attempts", "corrects", "streak"))]
        result = gates.check_training_set(frame, features, build_docs=True)
        rows = len(frame)
    else:
        try:
            records = _read_statements(path)
        except (ValueError, UnicodeDecodeError) as error:
            typer.echo(f"pathwise: {error}", err=True)
            raise typer.Exit(code=2) from None
        result = gates.check_events(events_frame(records), build_docs=True)
        rows = len(records)
        if not result.success:
            token = batch_token([path.name, str(rows)])
            folder = quarantine(settings.quarantine_dir, "events", records, result, token)
    summary = {
        "path": str(path),
        "suite": result.suite,
        "rows": rows,
        "success": result.success,
        "failed_expectations": [f.describe() for f in result.failures],
        "quarantined_to": None if folder is None else str(folder),
        "data_docs": str(gates.docs_dir / "index.html"),
    }
    typer.echo(json.dumps(summary, indent=2))
    if not result.success:
        raise typer.Exit(code=1)


stream_app = typer.Typer(help="The feature stream processor.", no_args_is_help=True)


@stream_app.command("run")
def stream_run_cmd(
    from_file: Annotated[
        Path | None, typer.Option(help="Read statements from a JSON Lines file instead of the Redis stream")
    ] = None,
    max_events: Annotated[int | None, typer.Option(help="Stop after this many events")] = None,
    idle_exit: Annotated[float | None, typer.Option(help="Stop after this many seconds without events")] = None,
    no_gate: Annotated[bool, typer.Option("--no-gate", help="Skip the raw-event GX gate (benchmarks only)")] = False,
) -> None:
    """Consume events, push features online, append offline rows (at-least-once, idempotent)."""
    from rich.console import Console

    from features.config import FeatureSettings
    from pathwise.commands import settings_or_exit
    from pipelines.stream import BatchReport, build_processor
    from pipelines.stream_source import EventSource, IterableSource, RedisStreamSource

    settings = settings_or_exit(FeatureSettings)
    source: EventSource
    if from_file is not None:
        if not from_file.is_file():
            typer.echo(f"pathwise: {from_file}: no such file", err=True)
            raise typer.Exit(code=2)
        source = IterableSource(_read_statements(from_file))  # type: ignore[arg-type]
        idle_exit = 0.0 if idle_exit is None else idle_exit
    elif settings.redis_url:
        source = RedisStreamSource(
            settings.redis_url, settings.stream_name, settings.stream_group, settings.stream_consumer
        )
    else:
        typer.echo("pathwise: set PATHWISE_REDIS_URL (the event stream) or pass --from-file", err=True)
        raise typer.Exit(code=2)
    processor, _ = build_processor(settings, with_gate=not no_gate)
    console = Console(stderr=True)

    def progress(report: BatchReport) -> None:
        console.print(
            f"batch: {report.received} received, {report.processed} processed, "
            f"{report.duplicates} duplicates, {report.quarantined} quarantined"
        )

    try:
        total = processor.run(
            source, settings.stream_batch_size, settings.stream_block_ms, max_events, idle_exit, on_batch=progress
        )
    except KeyboardInterrupt:
        return
    finally:
        processor.state.close()
    typer.echo(
        json.dumps(
            {
                "received": total.received,
                "processed": total.processed,
                "duplicates": total.duplicates,
                "quarantined": total.quarantined,
                "rows": total.rows,
                "quarantine_folders": [str(f) for f in total.quarantine_folders],
            },
            indent=2,
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
    app.add_typer(stream_app, name="stream")
