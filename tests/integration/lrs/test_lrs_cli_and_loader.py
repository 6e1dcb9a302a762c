"""CLI (credentials, export), the ``pathwise up`` sample load, and tenant isolation."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from features.xapi_vocabulary import Verb
from pathwise.cli import build_cli
from pathwise.datasets import load_sample
from platform_api.core.config import APISettings
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.migrate import upgrade
from platform_api.demo.seed import seed_demo
from platform_api.domain.lrs.models import Statement
from platform_api.domain.org.models import OrgUnit
from platform_api.lrs.credentials import create_credential
from platform_api.lrs.sample_loader import load_sample_statements
from platform_api.main import create_app


def test_sample_load_is_complete_and_idempotent(db_url: str) -> None:
    upgrade(db_url)
    seed_demo(db_url)
    first = load_sample_statements(db_url)
    second = load_sample_statements(db_url)
    assert first.created == first.total == len(load_sample())
    assert (second.created, second.rekeyed) == (0, 0)
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Statement)) == first.total
        assert session.scalar(select(func.count(func.distinct(Statement.verb_id)))) == 1
        assert session.scalar(select(Statement.verb_id).limit(1)) == Verb.ANSWERED
        tenants = set(session.scalars(select(func.distinct(Statement.tenant_id))))
        demo = session.scalar(select(OrgUnit.id).where(OrgUnit.slug == "demo"))
    engine.dispose()
    assert tenants == {demo}


def test_credentials_and_export_commands(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATHWISE_DATABASE_URL", sqlite_url)
    upgrade(sqlite_url)
    runner = CliRunner()
    created = runner.invoke(build_cli(), ["lrs", "credentials", "create", "--name", "BI tool"])
    assert created.exit_code == 0, created.output
    header = created.output.split("Authorization: ")[1].strip()
    bad = runner.invoke(build_cli(), ["lrs", "credentials", "create", "--name", "x", "--scope", "root"])
    assert bad.exit_code == 2 and "unknown scope" in bad.output
    missing_org = runner.invoke(build_cli(), ["lrs", "credentials", "create", "--name", "x", "--org", "nowhere"])
    assert missing_org.exit_code == 2 and "no organization" in missing_org.output

    app = create_app(APISettings(database_url=sqlite_url, events_relay=False))
    with TestClient(app, headers={"Authorization": header, "X-Experience-API-Version": "1.0.3"}) as client:
        statement = {
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": Verb.COMPLETED},
            "object": {"id": "https://example.com/c"},
        }
        assert client.post("/xAPI/statements", json=[statement, statement]).status_code == 200

    out = tmp_path / "export.csv"
    exported = runner.invoke(build_cli(), ["lrs", "export", "--format", "csv", "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 2 and rows[0]["verb"] == Verb.COMPLETED
    as_json = runner.invoke(build_cli(), ["lrs", "export", "--format", "json", "--since", "2999-01-01"])
    assert as_json.exit_code == 0 and as_json.output == ""
    wrong = runner.invoke(build_cli(), ["lrs", "export", "--format", "xml"])
    assert wrong.exit_code == 2 and "csv or json" in wrong.output
    lines = runner.invoke(build_cli(), ["lrs", "export"]).output.strip().splitlines()
    assert [json.loads(line)["verb"]["id"] for line in lines] == [Verb.COMPLETED] * 2


def test_clients_only_see_their_organization(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as session:
        orgs = [OrgUnit(slug=slug, name=slug) for slug in ("north", "south")]
        session.add_all(orgs)
        session.flush()
        north, south = (create_credential(session, o.slug, tenant_id=o.id) for o in orgs)
    engine.dispose()
    app = create_app(APISettings(database_url=db_url, events_relay=False))
    statement = {
        "actor": {"mbox": "mailto:a@example.com"},
        "verb": {"id": Verb.EXPERIENCED},
        "object": {"id": "https://example.com/x"},
    }
    with TestClient(app, headers={"X-Experience-API-Version": "1.0.3"}) as client:
        (sid,) = client.post("/xAPI/statements", json=statement, headers={"Authorization": north.basic_header}).json()
        mine = client.get(
            "/xAPI/statements", params={"statementId": sid}, headers={"Authorization": north.basic_header}
        )
        theirs = client.get(
            "/xAPI/statements", params={"statementId": sid}, headers={"Authorization": south.basic_header}
        )
        listed = client.get("/xAPI/statements", headers={"Authorization": south.basic_header}).json()
    assert mine.status_code == 200 and theirs.status_code == 404 and listed["statements"] == []


def test_credentials_list_and_revoke(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWISE_DATABASE_URL", sqlite_url)
    upgrade(sqlite_url)
    runner = CliRunner()
    assert runner.invoke(build_cli(), ["lrs", "credentials", "list"]).output.strip() == "no LRS credentials"
    created = runner.invoke(build_cli(), ["lrs", "credentials", "create", "--name", "Quiz app"])
    key = created.output.split("key:")[1].split()[0]
    header = created.output.split("Authorization: ")[1].strip()
    listed = runner.invoke(build_cli(), ["lrs", "credentials", "list"])
    assert listed.exit_code == 0 and key in listed.output and "active" in listed.output and "Quiz app" in listed.output
    assert "secret" not in listed.output

    revoked = runner.invoke(build_cli(), ["lrs", "credentials", "revoke", key])
    assert revoked.exit_code == 0 and f"revoked {key}" in revoked.output
    assert "revoked 2" in runner.invoke(build_cli(), ["lrs", "credentials", "list"]).output  # revoked <year>...
    again = runner.invoke(build_cli(), ["lrs", "credentials", "revoke", key])
    assert again.exit_code == 0
    unknown = runner.invoke(build_cli(), ["lrs", "credentials", "revoke", "no-such-key"])
    assert unknown.exit_code == 2 and "no LRS credential with key 'no-such-key'" in unknown.output

    app = create_app(APISettings(database_url=sqlite_url, events_relay=False))
    with TestClient(app, headers={"Authorization": header, "X-Experience-API-Version": "1.0.3"}) as client:
        refused = client.get("/xAPI/statements")
    assert refused.status_code == 401
