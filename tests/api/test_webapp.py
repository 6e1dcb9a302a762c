"""The web app at ``/``: its files, its shell for the app's own routes, and never in the API's way."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from platform_api.core.config import APISettings
from platform_api.main import create_app


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Pathwise</title><div id=root></div>" + " " * 2000)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('app');" * 200)
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (tmp_path.parent / "secret.txt").write_text("not for the web")
    return tmp_path


def _client(tmp_path: Path, dist: Path | None) -> TestClient:
    settings = APISettings(database_url=f"sqlite:///{tmp_path / 'web.db'}", secret_key="w" * 40, web_dist=dist)
    return TestClient(create_app(settings))


def test_the_shell_answers_the_root_and_every_route_of_the_app(tmp_path: Path, dist: Path) -> None:
    with _client(tmp_path, dist) as client:
        for path in ("/", "/learn/activities/3", "/learners"):
            page = client.get(path)
            assert page.status_code == 200 and "<div id=root>" in page.text, path
            assert page.headers["cache-control"] == "no-cache"
        assert client.get("/", headers={"Accept-Encoding": "gzip"}).headers["content-encoding"] == "gzip"


def test_hashed_assets_are_cached_for_a_year_and_the_worker_never(tmp_path: Path, dist: Path) -> None:
    with _client(tmp_path, dist) as client:
        asset = client.get("/assets/index-abc123.js")
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        worker = client.get("/sw.js")
        assert worker.status_code == 200 and worker.headers["cache-control"] == "no-cache"


def test_the_api_keeps_its_own_misses_and_files_stay_inside_the_build(tmp_path: Path, dist: Path) -> None:
    with _client(tmp_path, dist) as client:
        miss = client.get("/v1/no-such-thing")
        assert miss.status_code == 404 and miss.headers["content-type"] == "application/problem+json"
        assert "API" in miss.json()["detail"]
        assert client.get("/healthz").status_code == 200  # the API's routes still win
        assert client.get("/assets/missing.js").status_code == 404
        assert client.get("/%2e%2e/secret.txt").status_code == 404
        assert (
            client.get("/../secret.txt").status_code in {200, 404}
            and "not for the web" not in client.get("/../secret.txt").text
        )
        posted = client.post("/learn", json={})
        assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"


def test_an_unbuilt_app_says_how_to_build_it(tmp_path: Path) -> None:
    with _client(tmp_path, tmp_path / "nowhere") as client:
        page = client.get("/")
        assert page.status_code == 503 and "make web" in page.json()["detail"]
