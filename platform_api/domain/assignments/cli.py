"""``pathwise submissions grade``: grade what the API left queued (after a restart, or in bulk)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

submissions_app = typer.Typer(help="Assignment submissions: the grading queue.", no_args_is_help=True)


@submissions_app.command("grade")
def grade_cmd(
    stuck: Annotated[
        bool, typer.Option(help="Also re-queue submissions left in 'grading' (only while no API process grades)")
    ] = False,
) -> None:
    """Grade every queued submission with the sandbox and the essay model; prints counts per outcome as JSON."""
    from pathwise.cli import settings_or_exit
    from platform_api.core.config import APISettings
    from platform_api.core.db import make_engine, make_session_factory
    from platform_api.domain.assignments.autograde import Graders, grade_all_queued
    from platform_api.domain.assignments.storage import BlobStore

    settings = settings_or_exit(APISettings)
    engine = make_engine(settings.db_url)
    try:
        counts = grade_all_queued(
            make_session_factory(engine),
            BlobStore(settings.home / "submissions"),
            Graders(settings.essay_model_uri, settings.mlflow_tracking_uri),
            stuck=stuck,
        )
    finally:
        engine.dispose()
    typer.echo(json.dumps(counts, sort_keys=True))


def register(app: typer.Typer) -> None:
    app.add_typer(submissions_app, name="submissions")
