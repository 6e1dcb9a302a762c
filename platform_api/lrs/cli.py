"""``pathwise lrs credentials create|list|revoke`` and ``pathwise lrs export``; registers ``bench ingest``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from platform_api.core.config import APISettings

lrs_app = typer.Typer(help="Learning Record Store (xAPI 1.0.3 at /xAPI).", no_args_is_help=True)
credentials_app = typer.Typer(help="HTTP Basic credentials of LRS clients.", no_args_is_help=True)
lrs_app.add_typer(credentials_app, name="credentials")


def _settings() -> APISettings:
    from pathwise.commands import settings_or_exit

    return settings_or_exit(APISettings)


@contextmanager
def _session(commit: bool = False) -> Iterator[Session]:
    """A session on the configured database (one transaction when ``commit``); the engine is disposed after."""
    from platform_api.core.db import make_engine, make_session_factory, transaction

    engine = make_engine(_settings().db_url)
    try:
        factory = make_session_factory(engine)
        with transaction(factory) if commit else factory() as session:
            yield session
    finally:
        engine.dispose()


@credentials_app.command("create")
def credentials_create(
    name: Annotated[str, typer.Option(help="Who the client is (shown as the statements' authority)")],
    org: Annotated[str | None, typer.Option(help="Slug of the organization (tenant) the client writes to")] = None,
    scope: Annotated[list[str] | None, typer.Option(help="Scope(s): all, statements/write, statements/read …")] = None,
) -> None:
    """Issue a key and secret for one client; the secret is shown once and stored only as a hash."""
    from sqlalchemy import select

    from platform_api.domain.org.models import OrgUnit
    from platform_api.lrs.credentials import create_credential

    with _session(commit=True) as session:
        tenant_id = None
        if org is not None:
            tenant_id = session.scalar(select(OrgUnit.id).where(OrgUnit.slug == org, OrgUnit.parent_id.is_(None)))
            if tenant_id is None:
                typer.echo(f"pathwise: no organization with slug {org!r}", err=True)
                raise typer.Exit(2)
        try:
            issued = create_credential(session, name, tenant_id=tenant_id, scopes=scope)
        except ValueError as error:
            typer.echo(f"pathwise: {error}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"key:    {issued.key}\nsecret: {issued.secret}\nscopes: {', '.join(issued.scopes)}")
    typer.echo(f"header: Authorization: {issued.basic_header}")


@credentials_app.command("list")
def credentials_list() -> None:
    """Show every client's key, name, organization, scopes and whether it is revoked (never secrets)."""
    from platform_api.lrs.credentials import list_credentials

    with _session() as session:
        rows = list_credentials(session)
    if not rows:
        typer.echo("no LRS credentials")
    for row in rows:
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}Z" if row.revoked_at else "active"
        typer.echo(f"{row.key}  {state:<26} tenant={row.tenant_id}  scopes={','.join(row.scopes)}  {row.name}")


@credentials_app.command("revoke")
def credentials_revoke(
    key: Annotated[str, typer.Argument(help="The credential's key (see `credentials list`)")],
) -> None:
    """Revoke one client's credentials; API workers stop accepting them within the cache TTL."""
    from platform_api.lrs.credentials import CACHE_TTL_S, revoke_credential

    try:
        with _session(commit=True) as session:
            name = revoke_credential(session, key).name
    except LookupError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"revoked {key} ({name}); running API workers refuse it within {CACHE_TTL_S:.0f} s")


@lrs_app.command("export")
def export(
    since: Annotated[
        datetime | None, typer.Option(help="Only statements stored after this instant (UTC if naive)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv (flattened) or json (one statement per line)")] = "json",
    output: Annotated[Path | None, typer.Option(help="File to write (default stdout)")] = None,
) -> None:
    """Export statements for BI tools."""
    from datetime import UTC

    from platform_api.core.db import make_engine, make_session_factory
    from platform_api.lrs.export import export_statements

    if fmt not in ("csv", "json"):
        typer.echo(f"pathwise: --format must be csv or json, got {fmt!r}", err=True)
        raise typer.Exit(2)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    settings = _settings()
    engine = make_engine(settings.db_url)
    try:
        with make_session_factory(engine)() as session:
            handle = output.open("wb") if output else sys.stdout.buffer
            try:
                for chunk in export_statements(session, fmt, since=since):
                    handle.write(chunk)
            finally:
                if output:
                    handle.close()
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    from pathwise.commands import bench_app
    from platform_api.lrs.bench import ingest

    app.add_typer(lrs_app, name="lrs")
    bench_app.command("ingest")(ingest)
