"""``pathwise serve`` and ``pathwise rollout status|start|promote|abort``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from pathwise.commands import essay_app, settings_or_exit
from pathwise.registry import CHAMPION, ESSAY_MODEL, alias_version, configure_mlflow, model_uri
from serving.config import ServingSettings, engine_url

if TYPE_CHECKING:
    from serving.rollout import CanaryController, RolloutSpec
    from serving.rollout.store import RolloutStore

rollout_app = typer.Typer(help="Model rollouts per slot: A/B, canary and shadow.", no_args_is_help=True)


def _settings() -> ServingSettings:
    return settings_or_exit(ServingSettings)


def _store(settings: ServingSettings) -> RolloutStore:
    """The rollout store, after checking that the database is reachable and migrated."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import SQLAlchemyError

    from serving.rollout.store import RolloutStore

    settings.ensure_home()
    engine = create_engine(engine_url(settings.db_url))
    try:
        migrated = inspect(engine).has_table("rollouts")
    except SQLAlchemyError as error:
        typer.echo(f"pathwise: cannot open the database: {getattr(error, 'orig', error)}", err=True)
        raise typer.Exit(code=2) from None
    if not migrated:
        typer.echo("pathwise: the database has no rollouts table; run `pathwise db upgrade` first", err=True)
        raise typer.Exit(code=2)
    return RolloutStore(engine)


def champion_from_registry(settings: ServingSettings) -> str:
    from mlflow.exceptions import MlflowException

    client = configure_mlflow(settings.mlflow_uri)
    try:
        return str(client.get_model_version_by_alias(settings.kt_model_name, CHAMPION).version)
    except MlflowException as error:
        typer.echo(f"pathwise: no champion for {settings.kt_model_name!r} in the registry: {error.message}", err=True)
        raise typer.Exit(code=2) from None


def serving_spec(settings: ServingSettings) -> RolloutSpec:
    """The stored ``kt`` rollout if there is one, else the registry's champion alone."""
    from serving.rollout import RolloutSpec, Slot

    stored = _store(settings).load(Slot.KT)
    return stored or RolloutSpec(
        slot=Slot.KT, model_name=settings.kt_model_name, champion=champion_from_registry(settings)
    )


def policy_spec(settings: ServingSettings) -> RolloutSpec | None:
    """The stored ``sequencer`` rollout, else ``pathwise-sequencer``'s champion (or latest) version, else None."""
    from serving.policy import REGISTERED_MODEL
    from serving.rollout import RolloutSpec, Slot

    stored = _store(settings).load(Slot.SEQUENCER)
    if stored is not None:
        return stored
    client = configure_mlflow(settings.mlflow_uri)
    version = alias_version(client, REGISTERED_MODEL, CHAMPION)
    if version is None:
        found = client.search_model_versions(f"name='{REGISTERED_MODEL}'")
        if not found:
            return None
        version = str(max(int(v.version) for v in found))
    return RolloutSpec(slot=Slot.SEQUENCER, model_name=REGISTERED_MODEL, champion=version)


def serve(
    seconds: Annotated[float, typer.Option(help="Stop after this many seconds (0: until Ctrl-C)")] = 0.0,
) -> None:
    """Serve recommendations with Ray Serve (Router + KnowledgeTracer) from the registered champion."""
    from serving.runtime import hold, serving

    settings = _settings()
    spec = serving_spec(settings)
    with serving(settings, spec, settings.serve_host, settings.serve_port) as base:
        typer.echo(f"serving {spec.model_name} v{spec.champion} on {base}")
        hold(seconds)


@rollout_app.command("status")
def status(slot: Annotated[str, typer.Option(help="kt or sequencer")] = "kt", limit: int = 20) -> None:
    """Show the slot's rollout spec and its latest decisions."""
    store = _store(_settings())
    spec = store.load(slot)
    if spec is None:
        typer.echo(f"no rollout stored for slot {slot!r}")
        raise typer.Exit(code=1)
    typer.echo(json.dumps(spec.model_dump(mode="json"), indent=2))
    for row in store.decisions(slot, limit):
        moved = f"{row['traffic_before']:>5g}% → {row['traffic_after']:>5g}%"
        typer.echo(f"{row['at']}  {row['action']:<8} {moved}  {row['reason']}")


def _controller(slot: str) -> CanaryController:
    from serving.rollout import CanaryController, RolloutSpec, Slot

    settings = _settings()
    store = _store(settings)
    spec = store.load(slot)
    if spec is None:
        spec = RolloutSpec(
            slot=Slot(slot), model_name=settings.kt_model_name, champion=champion_from_registry(settings)
        )
        store.save(spec)
    return CanaryController(spec, on_decision=store.record)


@rollout_app.command("start")
def start(
    challenger: Annotated[str, typer.Argument(help="Registry version number of the challenger")],
    slot: Annotated[str, typer.Option(help="kt or sequencer")] = "kt",
    mode: Annotated[str, typer.Option(help="ab, canary or shadow")] = "canary",
    traffic: Annotated[float | None, typer.Option(help="A/B share for the challenger, 0-100")] = None,
) -> None:
    """Start an A/B test, canary or shadow rollout of CHALLENGER."""
    from pydantic import ValidationError

    from serving.rollout import Mode, RolloutError

    try:
        decision = _controller(slot).start(challenger, mode=Mode(mode), traffic_percent=traffic)
    except (ValueError, ValidationError, RolloutError) as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(decision.reason + _LIVE)


_LIVE = " (a running `pathwise serve`/`pathwise up` applies it within seconds, without restarting replicas)"


@rollout_app.command("promote")
def promote(slot: Annotated[str, typer.Option(help="kt or sequencer")] = "kt") -> None:
    """Make the running challenger the champion."""
    from serving.rollout import RolloutError

    try:
        typer.echo(_controller(slot).promote().reason + _LIVE)
    except RolloutError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None


@rollout_app.command("abort")
def abort(slot: Annotated[str, typer.Option(help="kt or sequencer")] = "kt") -> None:
    """Stop the running rollout; every learner returns to the champion."""
    from serving.rollout import RolloutError

    try:
        typer.echo(_controller(slot).abort().reason + _LIVE)
    except RolloutError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None


@essay_app.command("serve")
def serve_cmd(
    model_uri: Annotated[str, typer.Option(help="Registry URI of the model")] = model_uri(ESSAY_MODEL, alias=CHAMPION),
    port: Annotated[int, typer.Option(help="HTTP port of Ray Serve's proxy")] = 8002,
    seconds: Annotated[float, typer.Option(help="Stop after this many seconds (0: until Ctrl-C)")] = 0.0,
) -> None:
    """Serve the essay model with Ray Serve at POST /essays/score (and GET /essays/healthz)."""
    from ray import serve

    from serving.config import ServingSettings
    from serving.essay import ESSAY_APP, ESSAY_ROUTE, EssayAppArgs, build_essay_app
    from serving.runtime import hold, ray_serve

    serving = settings_or_exit(ServingSettings)
    serving.ensure_home()
    with ray_serve(serving, serving.serve_host, port):
        app = build_essay_app(EssayAppArgs(model_uri=model_uri, mlflow_uri=serving.mlflow_uri))
        serve.run(app, name=ESSAY_APP, route_prefix=ESSAY_ROUTE)
        typer.echo(f"serving {model_uri} on http://{serving.serve_host}:{port}{ESSAY_ROUTE}/score")
        hold(seconds)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(rollout_app, name="rollout")
