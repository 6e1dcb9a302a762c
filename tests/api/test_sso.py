"""OpenID Connect single sign-on end to end: authlib (the client under test) against a real local provider."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from platform_api.core.db import make_engine, make_session_factory
from platform_api.domain.identity.models import User
from tests.api.oidc_provider import Provider, serve
from tests.api.world import World, build_world, make_client

PORT = 8711
CORP = {
    "metadata_url": f"http://127.0.0.1:{PORT}/.well-known/openid-configuration",
    "client_id": "pathwise",
    "client_secret": "provider-secret",
    "tenant_slug": "alpha",
    "group_role_map": {"teachers": "Instructor", "pupils": "Learner"},
}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with serve(PORT) as running:
        yield running


@pytest.fixture
def sso(provider: Provider, sqlite_url: str) -> Iterator[tuple[TestClient, World, Provider]]:
    world = build_world(sqlite_url)
    provider.tamper = None
    provider.user = {"sub": "t-1", "email": "teacher@corp.test", "name": "Teacher", "groups": ["teachers"]}
    with make_client(sqlite_url, oidc_providers={"corp": CORP}) as client:
        yield client, world, provider


def _start(client: TestClient) -> dict[str, str]:
    """Log in at the API, sign in at the provider; return the query the provider sends back."""
    started = client.get("/v1/auth/oidc/corp/login", follow_redirects=False)
    assert started.status_code == 302, started.text
    assert started.headers["location"].startswith(f"http://127.0.0.1:{PORT}/authorize?")
    answer = httpx.get(started.headers["location"], follow_redirects=False)
    assert answer.status_code == 307, answer.text
    back = urlsplit(answer.headers["location"])
    assert back.path == "/v1/auth/oidc/corp/callback"
    return {k: v[0] for k, v in parse_qs(back.query).items()}


def _callback(client: TestClient, query: dict[str, str]) -> httpx.Response:
    return client.get(f"/v1/auth/oidc/corp/callback?{urlencode(query)}")


def _users(client: TestClient, email: str) -> int:
    engine = make_engine(str(client.app.state.settings.db_url))  # type: ignore[attr-defined]
    with make_session_factory(engine)() as session:
        count = int(session.scalar(select(func.count()).select_from(User).where(User.email == email)) or 0)
    engine.dispose()
    return count


def test_sign_in_creates_the_user_with_mapped_roles(sso: tuple[TestClient, World, Provider]) -> None:
    client, world, _ = sso
    response = _callback(client, _start(client))
    assert response.status_code == 200, response.text
    me = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}).json()
    assert (me["email"], me["roles"], me["tenant_id"]) == ("teacher@corp.test", ["Instructor"], world.ids["root"])
    assert me["external_id"] == "oidc:corp:t-1"
    # a second sign-in finds the same account by its subject
    assert _callback(client, _start(client)).status_code == 200
    assert _users(client, "teacher@corp.test") == 1


def test_existing_account_is_matched_by_email(sso: tuple[TestClient, World, Provider]) -> None:
    client, _, provider = sso
    provider.user = {"sub": "l-9", "email": "learner@world.test", "name": "L", "groups": ["pupils"]}
    response = _callback(client, _start(client))
    assert response.status_code == 200, response.text
    me = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}).json()
    assert me["email"] == "learner@world.test" and me["external_id"] == "oidc:corp:l-9"


def test_bad_state_is_400(sso: tuple[TestClient, World, Provider]) -> None:
    client, _, _ = sso
    query = _start(client)
    response = _callback(client, {**query, "state": "forged"})
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    assert "state" in response.json()["detail"].lower()
    fresh = make_client(str(client.app.state.settings.db_url), oidc_providers={"corp": CORP})  # type: ignore[attr-defined]
    with fresh:  # a callback in a browser that never started the login
        assert _callback(fresh, _start(client)).status_code == 400


@pytest.mark.parametrize(("tamper", "words"), [("nonce", "nonce"), ("signature", "signature")])
def test_bad_id_tokens_are_401(sso: tuple[TestClient, World, Provider], tamper: str, words: str) -> None:
    client, _, provider = sso
    provider.tamper = tamper
    response = _callback(client, _start(client))
    assert response.status_code == 401, response.text
    assert words in response.json()["detail"].lower()
    assert _users(client, "teacher@corp.test") == 0


def test_refusals_are_403_and_create_nothing(sso: tuple[TestClient, World, Provider]) -> None:
    client, _, provider = sso
    provider.user = {"sub": "x-1", "email": "nobody@corp.test", "groups": ["janitors"]}
    response = _callback(client, _start(client))
    assert response.status_code == 403 and "group" in response.json()["detail"]
    assert _users(client, "nobody@corp.test") == 0
    provider.user = {"sub": "x-2", "email": "outsider@world.test", "groups": ["teachers"]}  # lives in tenant beta
    response = _callback(client, _start(client))
    assert response.status_code == 403 and "another organization" in response.json()["detail"]


def test_unknown_provider_is_404(sso: tuple[TestClient, World, Provider]) -> None:
    client, _, _ = sso
    assert client.get("/v1/auth/oidc/nope/login", follow_redirects=False).status_code == 404
    assert client.get("/v1/auth/oidc/nope/callback?code=x&state=y").status_code == 404
