"""``pathwise serve [consume]`` and ``pathwise rollout status|start|promote|abort``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from pathwise.commands import essay_app, settings_or_exit
from pathwise.contract.rollout.spec import serving_sentence
from pathwise.registry import CHAMPION, ESSAY_MODEL, alias_version, configure_mlflow, model_uri, version_problem
from serving.config import ServingSettings, engine_url

if TYPE_CHECKING:
    from pathwise.contract.rollout.store import RolloutStore
    from serving.rollout import CanaryController, RolloutSpec

rollout_app = typer.Typer(help="Model rollouts per slot: A/B, canary and shadow.", no_args_is_help=True)
serve_app = typer.Typer()


def _settings() -> ServingSettings:
    return settings_or_exit(ServingSettings)


def _store(settings: ServingSettings) -> RolloutStore:
    """The rollout store, after checking that the database is reachable and migrated."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import SQLAlchemyError

    from pathwise.contract.rollout.store import RolloutStore

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


@serve_app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    seconds: Annotated[float, typer.Option(help="Stop after this many seconds (0: until Ctrl-C)")] = 0.0,
) -> None:
    """Serve recommendations with Ray Serve (Router + KnowledgeTracer) from the registered champion."""
    if ctx.invoked_subcommand is not None:
        return
    from serving.runtime import hold, serving

    settings = _settings()
    spec = serving_spec(settings)
    with serving(settings, spec, settings.serve_host, settings.serve_port) as base:
        typer.echo(f"serving {spec.model_name} v{spec.champion} on {base}")
        hold(seconds)


@serve_app.command("consume")
def consume(
    name: Annotated[
        str | None,
        typer.Option(
            help="This consumer's name in the group; a restart under the same name re-applies its unacknowledged "
            "entries at once (default: serving-<host>; give each of several consumers its own)"
        ),
    ] = None,
    exit_when_idle: Annotated[
        float | None, typer.Option("--exit-when-idle", min=0, help="Exit after S seconds with nothing to read")
    ] = None,
    batch: Annotated[
        int, typer.Option(min=1, max=10_000, help="Stream entries read, applied and acknowledged together")
    ] = 50,
    prefix: Annotated[str | None, typer.Option(help="Key prefix of the learner state in Redis")] = None,
) -> None:
    """Apply the event stream to the shared learner state in Redis, in the foreground.

    One consumer in the group that feeds the state every Router replica reads, each statement
    applied exactly once (``pathwise serve`` runs one in a thread when PATHWISE_REDIS_URL is set).
    """
    import signal
    import socket
    import threading

    from pathwise.contract.catalog import Catalog
    from serving.runtime import learner_state_consumer, platform_catalog
    from serving.schemas import AppArgs

    settings = _settings()
    if not settings.redis_url:
        typer.echo(
            "pathwise: PATHWISE_REDIS_URL is not set: the learner state and the event stream live in Redis", err=True
        )
        raise typer.Exit(code=2)
    catalog, features_home = Catalog(), None
    if (settings.home / "features").is_dir():  # unseen learners are seeded from Feast over the platform's skills
        from sqlalchemy import create_engine
        from sqlalchemy.exc import SQLAlchemyError

        engine = create_engine(engine_url(settings.db_url))
        try:
            catalog, features_home = platform_catalog(engine), str(settings.home)
        except SQLAlchemyError as error:
            typer.echo(
                f"pathwise: cannot read the catalog from the database: {getattr(error, 'orig', error)}", err=True
            )
            raise typer.Exit(code=2) from None
        finally:
            engine.dispose()
    consumer = learner_state_consumer(
        settings,
        catalog,
        state_prefix=prefix or AppArgs.model_fields["state_prefix"].default,
        features_home=features_home,
        name=name or f"serving-{socket.gethostname()}",
        count=batch,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    typer.echo(f"consuming {settings.events_stream} as {consumer.name}" + (" (Feast seeds)" if features_home else ""))
    try:
        consumer.run(stop, exit_when_idle)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.redis.close()
    done = consumer.applied
    typer.echo(f"applied {done.answers} answers and {done.signals} other signals; {done.duplicates} already applied")


def _fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line about what was asked and why it was refused; raise the returned exit."""
    typer.echo(f"pathwise: {message}", err=True)
    return typer.Exit(code=code)


def _slot(slot: str) -> str:
    from serving.rollout import Slot

    if slot not in {str(s) for s in Slot}:
        raise _fail(f"--slot must be {' or '.join(str(s) for s in Slot)}, not {slot!r}")
    return slot


def _model_name(settings: ServingSettings, slot: str) -> str:
    from serving.policy import REGISTERED_MODEL

    return settings.kt_model_name if slot == "kt" else REGISTERED_MODEL


@rollout_app.command("status")
def status(slot: Annotated[str, typer.Option(help="kt or sequencer")] = "kt", limit: int = 20) -> None:
    """Say which versions serve the slot, then its rollout spec and latest decisions."""
    settings = _settings()
    store = _store(settings)
    spec = store.load(_slot(slot))
    if spec is None:
        name = _model_name(settings, slot)
        version = alias_version(configure_mlflow(settings.mlflow_uri), name, CHAMPION)
        if version is None:
            raise _fail(f"nothing serves slot {slot!r}: no rollout is stored and {name!r} has no champion", code=1)
        typer.echo(f"{name} v{version} serves every learner (the registry's champion; no rollout has been started)")
        return
    typer.echo(serving_sentence(spec))
    typer.echo(json.dumps(spec.model_dump(mode="json"), indent=2))
    for row in store.decisions(slot, limit):
        moved = f"{row['traffic_before']:>5g}% → {row['traffic_after']:>5g}%"
        typer.echo(f"{row['at']}  {row['action']:<8} {moved}  {row['reason']}")


def _controller(
    slot: str, settings: ServingSettings | None = None, store: RolloutStore | None = None
) -> CanaryController:
    from serving.rollout import CanaryController, RolloutSpec, Slot

    settings = settings or _settings()
    store = store or _store(settings)
    spec = store.load(slot)
    if spec is None:
        name = _model_name(settings, slot)
        champion = alias_version(configure_mlflow(settings.mlflow_uri), name, CHAMPION)
        if champion is None:
            raise _fail(f"{name!r} has no champion in the registry; register one before a rollout")
        spec = RolloutSpec(slot=Slot(slot), model_name=name, champion=champion)
        store.save(spec)
    return CanaryController(spec, on_decision=store.record)


@rollout_app.command("start")
def start(
    challenger: Annotated[str, typer.Argument(help="Registry version number of the challenger")],
    slot: Annotated[str, typer.Option(help="kt or sequencer")] = "kt",
    mode: Annotated[str, typer.Option(help="ab, canary or shadow")] = "canary",
    traffic: Annotated[float | None, typer.Option(help="A/B share for the challenger, 0-100")] = None,
) -> None:
    """Start an A/B test, canary or shadow rollout of CHALLENGER (a version that is registered and loadable)."""
    from pydantic import ValidationError

    from serving.rollout import Mode, RolloutError

    _slot(slot)
    if mode not in {str(m) for m in Mode}:
        raise _fail(f"--mode must be ab, canary or shadow, not {mode!r}")
    if not challenger.isdigit():
        raise _fail(f"CHALLENGER is a registry version number such as 2, not {challenger!r}")
    if traffic is not None and not 0 <= traffic <= 100:
        raise _fail(f"--traffic is a percentage of learners from 0 to 100; {traffic:g} is out of range")
    if traffic is not None and mode != Mode.AB:
        raise _fail(f"--traffic sets an A/B split (--mode ab); a {mode} chooses its own traffic")
    settings = _settings()
    controller = _controller(slot, settings)
    name = controller.spec.model_name
    if challenger == controller.spec.champion:
        raise _fail(f"version {challenger} is already the champion of {name!r}; start a rollout of another version")
    problem = version_problem(configure_mlflow(settings.mlflow_uri), name, challenger)
    if problem is not None:
        raise _fail(problem)
    try:
        decision = controller.start(challenger, mode=Mode(mode), traffic_percent=traffic)
    except ValidationError as error:
        first = error.errors()[0]
        raise _fail(f"the rollout was not started: {first['msg']}") from None
    except (ValueError, RolloutError) as error:
        raise _fail(f"the rollout was not started: {error}") from None
    typer.echo(decision.reason + _LIVE)


_LIVE = " (a running `pathwise serve`/`pathwise up` applies it within seconds, without restarting replicas)"


@rollout_app.command("promote")
def promote(
    slot: Annotated[str, typer.Option(help="kt or sequencer")] = "kt",
    force: Annotated[
        str | None, typer.Option(help="Promote although the gates refuse it; this reason is recorded with the decision")
    ] = None,
) -> None:
    """Make the running challenger the champion, under the same rule as the API and the ML console: it has
    served its gates' ``min_requests`` and passes every gate on the pooled metrics (``--force REASON`` overrides)."""
    from pathwise.contract.rollout.controller import promotion_refusal
    from pathwise.contract.rollout.pooled import PooledMetrics
    from serving.rollout import RolloutError

    settings = _settings()
    store = _store(settings)
    controller = _controller(_slot(slot), settings, store)
    _, challenger = PooledMetrics(store.engine).snapshots(controller.spec)
    refusal = promotion_refusal(controller.spec, challenger)
    if refusal is not None and (force is None or controller.spec.challenger is None):
        hint = "" if controller.spec.challenger is None else " (--force REASON promotes anyway and records why)"
        raise _fail(f"not promoted: {refusal}{hint}")
    reason = "promoted by hand from the CLI" + (f", past its gates: {force}" if refusal is not None else "")
    try:
        decision = controller.promote(reason, {"challenger": challenger.to_dict()})
    except RolloutError as error:
        raise _fail(str(error)) from None
    typer.echo(decision.reason + _LIVE)


@rollout_app.command("abort")
def abort(slot: Annotated[str, typer.Option(help="kt or sequencer")] = "kt") -> None:
    """Stop the running rollout; every learner returns to the champion."""
    from serving.rollout import RolloutError

    try:
        typer.echo(_controller(_slot(slot)).abort().reason + _LIVE)
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
    app.add_typer(serve_app, name="serve")
    app.add_typer(rollout_app, name="rollout")
