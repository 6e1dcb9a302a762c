"""``pathwise api`` and ``pathwise db …``."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platform_api.core.config import APISettings

if TYPE_CHECKING:
    from rich.console import Console

    from platform_api.events.relay import Forwarder

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


def _settings() -> APISettings:
    from pathwise.commands import settings_or_exit

    return settings_or_exit(APISettings)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Migrate the configured database up to REVISION (default: the newest)."""
    from platform_api.core.migrate import upgrade

    settings = _settings()
    settings.ensure_home()
    upgrade(settings.db_url, revision)
    typer.echo(f"database at {revision}: {safe_url(settings.db_url)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base")]) -> None:
    """Migrate the configured database down to REVISION."""
    from platform_api.core.migrate import downgrade

    settings = _settings()
    downgrade(settings.db_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("current")
def db_current() -> None:
    """Show the revision the database is at, and the newest one."""
    from platform_api.core.db import make_engine
    from platform_api.core.migrate import current_revision, head_revision

    settings = _settings()
    engine = make_engine(settings.db_url)
    typer.echo(f"current: {current_revision(engine)}  head: {head_revision(settings.db_url)}")
    engine.dispose()


def local_url(host: str, port: int) -> str:
    """Where this machine reaches a server bound to ``host`` (a wildcard bind answers on loopback)."""
    reach = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{reach}]:{port}" if ":" in reach else f"http://{reach}:{port}"


def wait_until_answering(urls: Sequence[str], stop: threading.Event, *, interval_s: float = 0.2) -> bool:
    """Poll each URL in turn until it answers 200: True once all have, False as soon as ``stop`` is set."""
    import httpx

    with httpx.Client(timeout=2.0, trust_env=False) as client:  # a proxy setting must not route loopback
        for url in urls:
            while True:
                if stop.is_set():
                    return False
                try:
                    if client.get(url).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                stop.wait(interval_s)
    return True


def serve_api(
    settings: APISettings,
    forwarders: Mapping[str, Forwarder] | None = None,
    *,
    console: Console | None = None,
    ready_lines: Sequence[str] | None = None,
    also_ready: Sequence[str] = (),
) -> None:
    """Run the API in the foreground until Ctrl-C (``forwarders``: see :func:`platform_api.main.create_app`).

    ``ready_lines`` (by default the API's URL) are printed once ``/healthz`` answers, and every URL
    in ``also_ready`` too: uvicorn binds the port only after the app's start-up, which delivers the
    event backlog first (tens of seconds after ``pathwise up`` loads the sample), and a URL printed
    before then pointed at nothing. Until then a spinner (a line, off a terminal) says what it waits for.
    """
    import uvicorn
    from rich.console import Console

    from platform_api.core.heap import settle_heap
    from platform_api.main import create_app

    console = console or Console()
    base = f"http://{settings.host}:{settings.port}"
    lines = [f"API on {base}  (docs: {base}/docs)"] if ready_lines is None else list(ready_lines)
    checks = [f"{local_url(settings.host, settings.port)}/healthz", *also_ready]
    stop = threading.Event()
    server: uvicorn.Server | None = None

    def listening() -> bool:
        """This process bound the port (an older server on it answers /healthz too, and must not count)."""
        while not stop.is_set():
            if server is not None and server.started:
                return True
            stop.wait(0.1)
        return False

    def announce() -> None:
        waiting = f"starting the API on port {settings.port}; its addresses follow once it answers"
        if not console.is_terminal:
            console.print(waiting)
        with console.status(waiting) if console.is_terminal else nullcontext():
            ready = listening() and wait_until_answering(checks, stop)
        for line in lines if ready else ():
            console.print(line, soft_wrap=True)

    announcer = threading.Thread(target=announce, name="pathwise-api-ready", daemon=True)
    announcer.start()
    try:
        app = create_app(settings, forwarders)
        settle_heap()
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
        server = uvicorn.Server(config)
        with suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn has shut down and re-raised it
            server.run()
    finally:
        stop.set()
        announcer.join(timeout=5)
    if not server.started:  # uvicorn logged why (the port is taken, say)
        raise SystemExit(3)


def api(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default PATHWISE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PATHWISE_PORT)")] = None,
) -> None:
    """Start only the platform API (no training, no serving)."""
    settings = _settings()
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    serve_api(settings.model_copy(update=overrides))


def safe_url(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def openapi(
    out: Annotated[Path, typer.Option(help="where to write the schema")] = Path("web/openapi.json"),
) -> None:
    """Write the API's OpenAPI schema: the web app's typed client is generated from it."""
    import json

    from platform_api.main import create_app

    schema = create_app(APISettings(secret_key="schema-only-" + "x" * 32)).openapi()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
    typer.echo(f"OpenAPI schema ({len(schema['paths'])} paths) written to {out}")


def register(app: typer.Typer) -> None:
    app.command("api")(api)
    app.command("openapi")(openapi)
    app.add_typer(db_app, name="db")
