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
    """Grade every queued submission (and written answer of an assessment sitting) with the sandbox and the
    essay model; prints counts per outcome as JSON (answers' counts under ``answers:<outcome>``)."""
    from pathwise.commands import settings_or_exit
    from platform_api.core.config import APISettings
    from platform_api.core.db import make_engine, make_session_factory
    from platform_api.domain.assessment.written import grade_all_queued_answers
    from platform_api.domain.assignments.autograde import Graders, grade_all_queued
    from platform_api.domain.assignments.storage import BlobStore

    settings = settings_or_exit(APISettings)
    engine = make_engine(settings.db_url)
    factory, graders = make_session_factory(engine), Graders(settings.essay_model_uri, settings.mlflow_tracking_uri)
    try:
        counts = grade_all_queued(factory, BlobStore(settings.home / "submissions"), graders, stuck=stuck)
        answers = grade_all_queued_answers(factory, graders, stuck=stuck)
        counts.update({f"answers:{status}": n for status, n in answers.items()})
    finally:
        engine.dispose()
    typer.echo(json.dumps(counts, sort_keys=True))


def register(app: typer.Typer) -> None:
    app.add_typer(submissions_app, name="submissions")
