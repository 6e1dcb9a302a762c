"""Health and readiness probes, and problem+json errors, against real databases."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from platform_api.core.config import APISettings
from platform_api.core.migrate import head_revision, upgrade
from platform_api.main import create_app


def _client(db_url: str) -> TestClient:
    return TestClient(create_app(APISettings(database_url=db_url)))


def test_healthz_and_readyz_when_migrated(db_url: str) -> None:
    upgrade(db_url)
    with _client(db_url) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "schema": head_revision(db_url)}


def test_readyz_503_when_schema_behind(db_url: str) -> None:
    with _client(db_url) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "pathwise db upgrade" in response.json()["detail"]


def test_readyz_503_when_database_unreachable(caplog: pytest.LogCaptureFixture) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    with caplog.at_level(logging.ERROR), _client(url) as client:
        first = client.get("/readyz")
        second = client.get("/readyz")
        assert client.get("/healthz").status_code == 200  # the process stays up
    assert first.status_code == second.status_code == 503
    assert first.json()["checks"] == {"database": "down"}
    outage_lines = [r for r in caplog.records if "readiness changed" in r.getMessage()]
    assert len(outage_lines) == 1, "an outage is logged once, not on every probe"


def test_unknown_route_is_problem_json(sqlite_url: str) -> None:
    with _client(sqlite_url) as client:
        response = client.get("/v1/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_openapi_is_served(tmp_path: Path) -> None:
    with _client(f"sqlite:///{tmp_path / 'x.db'}") as client:
        spec = client.get("/openapi.json").json()
        assert {"/healthz", "/readyz"} <= set(spec["paths"])
        assert client.get("/docs").status_code == 200
