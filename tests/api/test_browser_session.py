"""The browser session: refresh token only in an HttpOnly cookie, rotation, reuse detection, CSRF header."""

from __future__ import annotations

from typing import Any

import pyotp
from fastapi.testclient import TestClient

from tests.api.world import PASSWORD, World, role_headers

CSRF = {"X-Pathwise-CSRF": "1"}


def _login(client: TestClient, email: str = "learner@world.test", password: str = PASSWORD) -> dict[str, Any]:
    response = client.post("/v1/auth/session", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_refresh_token_lives_only_in_a_strict_httponly_cookie(api: tuple[TestClient, World, str]) -> None:
    client, _world, _ = api
    response = client.post("/v1/auth/session", data={"username": "learner@world.test", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("pathwise_refresh=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/v1/auth/session" in lowered
    assert "secure" not in lowered  # plain http in the test client
    me = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == "learner@world.test"


def test_the_cookie_is_secure_over_https(api: tuple[TestClient, World, str]) -> None:
    client, _, _ = api
    response = client.post(
        "https://testserver/v1/auth/session", data={"username": "learner@world.test", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "secure" in response.headers["set-cookie"].lower()


def test_refresh_rotates_the_cookie_and_a_replayed_cookie_revokes_the_login(api: tuple[TestClient, World, str]) -> None:
    client, _, _ = api
    _login(client)
    first = client.cookies.get("pathwise_refresh")
    assert first
    refreshed = client.post("/v1/auth/session/refresh", headers=CSRF)
    assert refreshed.status_code == 200, refreshed.text
    assert "refresh_token" not in refreshed.json()
    second = client.cookies.get("pathwise_refresh")
    assert second and second != first
    # replaying the first cookie: reuse detected, the family (the second cookie too) is revoked
    client.cookies.clear()
    client.cookies.set("pathwise_refresh", first, path="/v1/auth/session")
    replay = client.post("/v1/auth/session/refresh", headers=CSRF)
    assert replay.status_code == 401
    assert replay.headers["content-type"] == "application/problem+json"
    assert "already used" in replay.json()["detail"]
    assert 'pathwise_refresh=""' in replay.headers["set-cookie"] or "max-age=0" in replay.headers["set-cookie"].lower()
    client.cookies.clear()
    client.cookies.set("pathwise_refresh", second, path="/v1/auth/session")
    assert client.post("/v1/auth/session/refresh", headers=CSRF).status_code == 401


def test_refresh_needs_the_csrf_header_and_a_cookie(api: tuple[TestClient, World, str]) -> None:
    client, _, _ = api
    _login(client)
    before = client.cookies.get("pathwise_refresh")
    no_header = client.post("/v1/auth/session/refresh")
    assert no_header.status_code == 403
    assert "X-Pathwise-CSRF" in no_header.json()["detail"]
    assert client.post("/v1/auth/session/refresh", headers={"X-Pathwise-CSRF": "yes"}).status_code == 403
    assert client.cookies.get("pathwise_refresh") == before  # nothing rotated
    client.cookies.clear()
    missing = client.post("/v1/auth/session/refresh", headers=CSRF)
    assert missing.status_code == 401 and missing.json()["detail"].startswith("No session cookie")
    client.cookies.set("pathwise_refresh", "not-a-token", path="/v1/auth/session")
    assert client.post("/v1/auth/session/refresh", headers=CSRF).status_code == 401


def test_logout_revokes_the_login_and_deletes_the_cookie(api: tuple[TestClient, World, str]) -> None:
    client, _, _ = api
    _login(client)
    token = client.cookies.get("pathwise_refresh")
    assert client.delete("/v1/auth/session").status_code == 403  # no CSRF header
    out = client.delete("/v1/auth/session", headers=CSRF)
    assert out.status_code == 204
    assert "pathwise_refresh" in out.headers["set-cookie"]
    client.cookies.clear()
    client.cookies.set("pathwise_refresh", token or "", path="/v1/auth/session")
    assert client.post("/v1/auth/session/refresh", headers=CSRF).status_code == 401
    client.cookies.clear()
    assert client.delete("/v1/auth/session", headers=CSRF).status_code == 204  # idempotent


def test_bad_password_is_refused_like_the_token_login(api: tuple[TestClient, World, str]) -> None:
    client, _, _ = api
    response = client.post("/v1/auth/session", data={"username": "learner@world.test", "password": "wrong-one-1"})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers


def test_mfa_accounts_finish_the_browser_login_with_the_code(api: tuple[TestClient, World, str]) -> None:
    client, world, _ = api
    auth = role_headers(world, "learner")
    setup = client.post("/v1/auth/mfa/setup", json={"phone": "+15555550100"}, headers=auth).json()
    totp = pyotp.TOTP(setup["secret"])
    enabled = client.post("/v1/auth/mfa/enable", json={"code": totp.now()}, headers=auth)
    assert enabled.status_code == 200
    recovery = enabled.json()["recovery_codes"][0]  # the TOTP code of this 30 s window is spent
    first = client.post("/v1/auth/session", data={"username": "learner@world.test", "password": PASSWORD})
    assert first.status_code == 401 and "set-cookie" not in first.headers
    mfa_token = first.json()["mfa_token"]
    assert "/v1/auth/session/mfa" in first.json()["detail"]
    wrong = client.post("/v1/auth/session/mfa", json={"mfa_token": mfa_token, "code": "000000"})
    assert wrong.status_code in (400, 401) and "set-cookie" not in wrong.headers
    done = client.post("/v1/auth/session/mfa", json={"mfa_token": mfa_token, "code": recovery})
    assert done.status_code == 200, done.text
    assert "refresh_token" not in done.json() and "httponly" in done.headers["set-cookie"].lower()
    assert client.post("/v1/auth/session/refresh", headers=CSRF).status_code == 200
