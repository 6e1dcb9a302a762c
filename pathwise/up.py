"""``pathwise up``: the main job on embedded defaults.

It runs an ordered list of steps, then serves the API in the foreground. Later parts of
the platform (ingest, features, training, serving) add their step to :data:`UP_STEPS`;
each step is idempotent so that re-running ``make up`` on an existing state directory
reuses it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pathwise.config import CommonSettings
from platform_api.core.config import APISettings


@dataclass(frozen=True)
class UpStep:
    name: str
    run: Callable[[APISettings], str]


def _migrate(settings: APISettings) -> str:
    from platform_api.core.migrate import upgrade

    upgrade(settings.db_url)
    return "schema at head"


def _seed(settings: APISettings) -> str:
    from platform_api.demo.seed import seed_demo

    report = seed_demo(settings.db_url)
    if report.created:
        return (
            f"seeded {report.learners} learners, {report.skills} skills, "
            f"{report.items} items, {report.attempts} attempts"
        )
    return "demo data already present, reused"


def _load_lrs(settings: APISettings) -> str:
    from platform_api.lrs.sample_loader import load_sample_statements

    report = load_sample_statements(settings.db_url)
    done = []
    if report.rekeyed:
        done.append(f"re-keyed {report.rekeyed:,} sample statements to platform ids")
    if report.created:
        done.append(f"stored {report.created:,} xAPI statements from the ASSISTments sample")
    return "; ".join(done) or f"all {report.total:,} sample statements already in the LRS"


def _champion(settings: APISettings) -> str:
    from pipelines.champion import ensure_default_champion

    return ensure_default_champion(settings)


def _essay_champion(settings: APISettings) -> str:
    from pipelines.essay.champion import ensure_essay_champion

    return ensure_essay_champion(settings)


def _flagged_essay(settings: APISettings) -> str:
    from platform_api.demo.review import ensure_flagged_essay

    return ensure_flagged_essay(settings)


def _features(settings: APISettings) -> str:
    from features.config import FeatureSettings
    from pipelines.feature_up import ensure_history_features

    return ensure_history_features(FeatureSettings(**settings.model_dump(include=set(CommonSettings.model_fields))))


def _analytics(settings: APISettings) -> str:
    from sqlalchemy import create_engine

    from analytics.catchup import catch_up
    from analytics.config import store_of
    from pathwise.config import engine_url

    done = catch_up(create_engine(engine_url(settings.db_url)), store_of(settings))
    if done.to_seq == done.from_seq:
        return f"up to LRS statement {done.to_seq:,}, reused"
    return f"{done.report.applied:,} LRS statements taken ({done.report.voids:,} voids), up to {done.to_seq:,}"


#: The steps run before the API starts, in order.
UP_STEPS: list[UpStep] = [
    UpStep("migrate database", _migrate),
    UpStep("seed demo organization and course", _seed),
    UpStep("load sample attempts into the LRS", _load_lrs),
    UpStep("default knowledge-tracing champion", _champion),
    UpStep("essay scoring champion", _essay_champion),
    UpStep("an essay for the demo review queue", _flagged_essay),
    UpStep("feature store", _features),
    UpStep("analytics store", _analytics),
]


def up(
    host: str | None = typer.Option(None, help="Interface for the API (default PATHWISE_HOST)"),
    port: int | None = typer.Option(None, help="Port for the API (default PATHWISE_PORT)"),
    no_serve: bool = typer.Option(False, "--no-serve", help="Run the set-up steps, then exit"),
    recommendations: bool = typer.Option(True, help="Serve recommendations (Ray Serve) beside the API"),
    serve_port: int | None = typer.Option(None, help="Port for recommendations (default PATHWISE_SERVE_PORT)"),
) -> None:
    """Migrate, seed, and start the platform on embedded defaults."""
    from pathwise.cli import settings_or_exit
    from platform_api.cli import safe_url, serve_api

    settings = settings_or_exit(APISettings)
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = settings.model_copy(update=overrides)
    settings.ensure_home()
    console = Console()
    console.print(f"[bold]Pathwise[/bold] state directory: {settings.home}", soft_wrap=True)
    # the spinner shows the running step; each finished step is a printed line, wrapped, never cut at the width
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        for step in UP_STEPS:
            task = bar.add_task(step.name, total=1)
            started = time.perf_counter()
            outcome = step.run(settings)
            bar.remove_task(task)
            console.print(f"{step.name}: {outcome} ({time.perf_counter() - started:.1f}s)")
    console.print(f"database : {safe_url(settings.db_url)}", soft_wrap=True)
    if no_serve:
        console.print("set-up done; `pathwise up` without --no-serve, or `pathwise api`, serves the API")
        return
    base = f"http://{settings.host}:{settings.port}"
    ready_lines = [
        f'web app  : {base}/   (demo accounts: README, "Demo accounts")',
        f"API      : {base}   health {base}/healthz   ready {base}/readyz   docs {base}/docs",
    ]
    also_ready = []
    with ExitStack() as running:
        forwarders = {}
        if recommendations:
            serving = running.enter_context(_recommendations(console, settings.host, serve_port))
            settings = settings.model_copy(update={"recommendations_url": serving.base})
            ready_lines += serving.lines
            also_ready.append(f"{serving.local}/healthz")
            if not settings.redis_url:  # embedded: the in-process event bus feeds serving's learner loop
                from serving.loop import GROUP
                from serving.runtime import RouterForwarder

                forwarders[GROUP] = RouterForwarder()
        ready_lines.append("Press Ctrl-C to stop.")
        serve_api(settings, forwarders, console=console, ready_lines=ready_lines, also_ready=also_ready)


@dataclass(frozen=True)
class Serving:
    """Recommendation serving as started: its address, where to check it from here, what to print once all answer."""

    base: str
    local: str
    lines: list[str]


@contextmanager
def _recommendations(console: Console, host: str, port: int | None) -> Iterator[Serving]:
    """Serving beside the API: Ray Serve with the stored rollout, or the registered champion alone."""
    from pathwise.cli import settings_or_exit
    from platform_api.cli import local_url
    from serving.cli import serving_spec
    from serving.config import ServingSettings
    from serving.runtime import serving

    settings = settings_or_exit(ServingSettings)
    spec = serving_spec(settings)
    port = port or settings.serve_port
    with ExitStack() as stack:
        with console.status("starting recommendation serving (Ray Serve)"):
            started = time.perf_counter()
            base = stack.enter_context(serving(settings, spec, host, port))
        took = time.perf_counter() - started
        console.print(f"recommendation serving: {spec.model_name} v{spec.champion} deployed ({took:.1f}s)")
        lines = [
            f"serving  : {spec.model_name} v{spec.champion} on {base}",
            "           read them through the API: /v1/learners/{id}/recommendations?course={course id}",
        ]
        yield Serving(base, local_url(host, port), lines)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
