"""LDAP login against a real OpenLDAP slapd started by the test: bind, groups → roles, lockout and rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from platform_api.core.ratelimit import RateLimiter
from tests.api.slapd import PASSWORD, SUFFIX, run_slapd
from tests.api.world import build_world, make_client

PORT = 8712
DEAD_PORT = 8713  # nothing listens here


def _config(url: str) -> dict[str, Any]:
    return {
        "url": url,
        "user_dn_template": f"uid={{username}},ou=people,{SUFFIX}",
        "group_base": f"ou=groups,{SUFFIX}",
        "tenant_slug": "alpha",
        "group_role_map": {"teachers": "Instructor", "pupils": "Learner"},
    }


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_slapd(tmp_path_factory.mktemp("slapd"), PORT) as url:
        yield url


@pytest.fixture
def ldap_client(directory: str, sqlite_url: str) -> Iterator[TestClient]:
    build_world(sqlite_url)
    with make_client(sqlite_url, ldap=_config(directory), login_max_failures=2) as client:
        yield client


def _login(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/v1/auth/ldap/token", data={"username": username, "password": password})


def _me(client: TestClient, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    me: dict[str, Any] = client.get("/v1/auth/me", headers=headers).json()
    return me


def test_directory_groups_become_roles(ldap_client: TestClient) -> None:
    ada = _me(ldap_client, _login(ldap_client, "ada"))
    assert (ada["email"], ada["display_name"], ada["roles"]) == ("ada@directory.test", "Ada Teacher", ["Instructor"])
    assert ada["external_id"] == "ldap:ada"
    bob = _me(ldap_client, _login(ldap_client, "bob"))
    assert bob["roles"] == ["Learner"]
    assert _me(ldap_client, _login(ldap_client, "ada"))["id"] == ada["id"]  # same account the second time


def test_refusals(ldap_client: TestClient) -> None:
    assert _login(ldap_client, "ada", "wrong").status_code == 401
    assert _login(ldap_client, "ada", "").status_code in (401, 422)  # never an anonymous bind
    for hostile in ("ada,ou=people", "*", "ada)(uid=*"):
        assert _login(ldap_client, hostile).status_code == 401
    response = _login(ldap_client, "eve")  # a valid directory user in no mapped group
    assert response.status_code == 403 and "group" in response.json()["detail"]


def test_lockout_applies_to_directory_logins(ldap_client: TestClient) -> None:
    assert _login(ldap_client, "ada").status_code == 200
    assert [_login(ldap_client, "ada", "wrong").status_code for _ in range(2)] == [401, 401]
    locked = _login(ldap_client, "ada")  # the right password no longer helps
    assert locked.status_code == 423 and int(locked.headers["retry-after"]) > 0


def test_rate_limit_and_unreachable_directory(directory: str, sqlite_url: str) -> None:
    build_world(sqlite_url)
    with make_client(sqlite_url, ldap=_config(directory)) as client:
        client.app.state.login_limiter = RateLimiter(2, clock=lambda: 0.0)  # type: ignore[attr-defined]  # one window
        assert [_login(client, "bob", "wrong").status_code for _ in range(3)] == [401, 401, 429]
    down = _config(f"ldap://127.0.0.1:{DEAD_PORT}") | {"timeout_s": 1}
    with make_client(sqlite_url, ldap=down) as client:
        response = _login(client, "bob")
        assert response.status_code == 503 and "unreachable" in response.json()["detail"]
    with make_client(sqlite_url) as client:
        assert _login(client, "bob").status_code == 404  # LDAP not configured


def test_fixture_leaves_nothing_running(tmp_path: Path) -> None:
    with run_slapd(tmp_path / "d", PORT + 4) as url:
        assert url.endswith(str(PORT + 4))
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{PORT + 4}", timeout=1)
