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
    from pipelines.datasets import DatasetError, digest, read_kt

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
    out: Annotated[Path, typer.Option(help="Where to write the sample")] = Path("pipelines/data/assist2009_sample.csv"),
) -> None:
    """Regenerate the bundled ASSISTments 2009 sample (≤ 2 MB) from the shared data."""
    from pipelines.datasets import build_sample

    sample = build_sample(shared, out, {"train": 300, "valid": 60, "test": 60})
    typer.echo(f"wrote {out}: {len(sample)} rows, {sample['user_id'].nunique()} learners")


@data_app.command("seed")
def seed_cmd() -> None:
    """Seed the demo organization and course (idempotent)."""
    from pathwise.cli import settings_or_exit
    from pathwise.config import CommonSettings
    from pipelines.seed import seed_demo

    settings = settings_or_exit(CommonSettings)
    report = seed_demo(settings.db_url)
    typer.echo(json.dumps(report.__dict__, indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
