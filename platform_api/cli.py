"""``pathwise api`` and ``pathwise db …``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import typer

from platform_api.core.config import APISettings

if TYPE_CHECKING:
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


def serve_api(settings: APISettings, forwarders: Mapping[str, Forwarder] | None = None) -> None:
    """Run the API in the foreground until Ctrl-C (``forwarders``: see :func:`platform_api.main.create_app`)."""
    import uvicorn

    from platform_api.core.heap import settle_heap
    from platform_api.main import create_app

    app = create_app(settings, forwarders)
    settle_heap()
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)


def api(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default PATHWISE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PATHWISE_PORT)")] = None,
) -> None:
    """Start only the platform API (no training, no serving)."""
    settings = _settings()
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = settings.model_copy(update=overrides)
    typer.echo(f"API on http://{settings.host}:{settings.port}  (docs: /docs)")
    serve_api(settings)


def safe_url(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    app.command("api")(api)
    app.add_typer(db_app, name="db")
