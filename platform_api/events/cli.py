"""``pathwise events relay`` and ``pathwise events consume``: the backbone as separate processes."""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer

from platform_api.core.config import APISettings

events_app = typer.Typer(help="Event backbone: outbox relay and Redis Streams consumers.", no_args_is_help=True)


def _settings() -> APISettings:
    from pathwise.commands import settings_or_exit

    return settings_or_exit(APISettings)


@events_app.command("relay")
def relay(once: Annotated[bool, typer.Option("--once", help="Drain the outbox once, then exit")] = False) -> None:
    """Publish the outbox to Redis Streams (or the in-process dispatcher) until Ctrl-C."""
    import threading

    from platform_api.core.db import make_engine, make_session_factory
    from platform_api.events.backbone import make_relay

    settings = _settings()
    engine = make_engine(settings.db_url)
    worker = make_relay(settings, make_session_factory(engine))
    if once:
        typer.echo(f"published {worker.drain()} events")
        engine.dispose()
        return
    worker.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        worker.stop()
    finally:
        engine.dispose()


@events_app.command("consume")
def consume(
    group: Annotated[str, typer.Option(help="Consumer group (one projection = one group)")] = "pathwise.verb-counts",
    name: Annotated[str | None, typer.Option(help="Consumer name within the group (default host:pid)")] = None,
    handler: Annotated[str, typer.Option(help="Built-in handler: verb-counts or markers")] = "verb-counts",
    stream: Annotated[str | None, typer.Option(help="Stream name (default PATHWISE_EVENTS_STREAM)")] = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
    claim_idle_ms: Annotated[int, typer.Option(min=0, help="Reclaim entries pending longer than this")] = 30_000,
    throttle_ms: Annotated[float, typer.Option(min=0, help="Sleep per event (fault drills only)")] = 0.0,
    exit_when_idle: Annotated[float | None, typer.Option(help="Exit after this many idle seconds")] = None,
) -> None:
    """Consume the event stream with an idempotent handler (at-least-once delivery, exactly-once effects)."""
    import redis

    from platform_api.core.db import make_engine, make_session_factory
    from platform_api.core.heap import settle_heap
    from platform_api.events.consumer import StreamConsumer
    from platform_api.events.handlers import HANDLERS, throttled

    settings = _settings()
    if not settings.redis_url:
        typer.echo("pathwise: events consume needs PATHWISE_REDIS_URL (the embedded default dispatches in-process)")
        raise typer.Exit(2)
    if handler not in HANDLERS:
        typer.echo(f"pathwise: unknown handler {handler!r}; choose from {', '.join(HANDLERS)}")
        raise typer.Exit(2)
    chosen = HANDLERS[handler]
    if throttle_ms:
        chosen = throttled(chosen, throttle_ms / 1000)
    engine = make_engine(settings.db_url)
    consumer = StreamConsumer(
        redis.Redis.from_url(settings.redis_url),
        make_session_factory(engine),
        chosen,
        group=group,
        name=name or f"{socket.gethostname()}:{os.getpid()}",
        stream=stream or settings.events_stream,
        batch=batch,
        claim_idle_ms=claim_idle_ms,
    )
    settle_heap()
    try:
        consumer.run(exit_when_idle_s=exit_when_idle)
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()
    typer.echo(f"handled {consumer.handled} new events of {consumer.delivered} delivered")


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
