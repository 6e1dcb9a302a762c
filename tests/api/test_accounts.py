"""Account journeys: changing one's own password."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from platform_api.core.security import encode_token
from tests.api.world import PASSWORD, World

NEW_PASSWORD = "a-brand-new-password-7"


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _login(client: TestClient, email: str, password: str) -> Response:
    return client.post("/v1/auth/token", data={"username": email, "password": password})


def _change(client: TestClient, token: str, current: str, new: str) -> Response:
    return client.post("/v1/auth/password", json={"current_password": current, "new_password": new}, headers=_h(token))


def _refresh(client: TestClient, refresh_token: str) -> Response:
    return client.post("/v1/auth/refresh", json={"refresh_token": refresh_token})


def _problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


# --- changing one's own password -------------------------------------------------------------


def test_changing_the_password_replaces_it_and_ends_every_other_login(
    world_client: tuple[TestClient, World],
) -> None:
    client, _ = world_client
    phone = _login(client, "learner@world.test", PASSWORD).json()  # two logins: this one changes the password
    laptop = _login(client, "learner@world.test", PASSWORD).json()

    changed = _change(client, phone["access_token"], PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 200, changed.text
    fresh = changed.json()

    assert _login(client, "learner@world.test", PASSWORD).status_code == 401
    assert _login(client, "learner@world.test", NEW_PASSWORD).status_code == 200
    for old in (laptop["refresh_token"], phone["refresh_token"]):
        _problem(_refresh(client, old), 401)
    assert _refresh(client, fresh["refresh_token"]).status_code == 200  # the changing client stays signed in
    me = client.get("/v1/auth/me", headers=_h(fresh["access_token"]))
    assert me.status_code == 200 and me.json()["email"] == "learner@world.test"
    # issued access tokens live out their 15 minutes, as documented
    assert client.get("/v1/auth/me", headers=_h(laptop["access_token"])).status_code == 200


def test_a_wrong_current_password_is_403_and_changes_nothing(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    login = _login(client, "learner@world.test", PASSWORD).json()
    body = _problem(_change(client, world.tokens["learner"], "not-my-password", NEW_PASSWORD), 403)
    assert body["detail"] == "The current password you entered is wrong; your password was not changed."
    assert _login(client, "learner@world.test", NEW_PASSWORD).status_code == 401
    assert _login(client, "learner@world.test", PASSWORD).status_code == 200
    assert _refresh(client, login["refresh_token"]).status_code == 200  # nothing was revoked


def test_wrong_current_passwords_count_towards_the_login_lockout(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    for _ in range(5):  # the default limit of failed logins
        _problem(_change(client, world.tokens["learner"], "guess-guess-guess", NEW_PASSWORD), 403)
    locked = _change(client, world.tokens["learner"], PASSWORD, NEW_PASSWORD)
    assert "locked" in _problem(locked, 423)["detail"] and int(locked.headers["retry-after"]) > 0
    _problem(_login(client, "learner@world.test", PASSWORD), 423)  # the password login is locked too


@pytest.mark.parametrize("new", ["short", "x" * 201])
def test_a_new_password_outside_the_policy_is_422(world_client: tuple[TestClient, World], new: str) -> None:
    client, world = world_client
    body = _problem(_change(client, world.tokens["learner"], PASSWORD, new), 422)
    assert "new_password" in body["detail"]
    assert _login(client, "learner@world.test", PASSWORD).status_code == 200


def test_the_same_password_again_is_422(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    body = _problem(_change(client, world.tokens["learner"], PASSWORD, PASSWORD), 422)
    assert body["detail"] == "The new password is the same as your current one; choose a different password."


def test_changing_the_password_needs_a_token(world_client: tuple[TestClient, World]) -> None:
    client, _ = world_client
    response = client.post("/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    _problem(response, 401)
    assert _login(client, "learner@world.test", PASSWORD).status_code == 200


def test_an_account_without_a_local_password_is_told_its_provider_manages_it(
    world_client: tuple[TestClient, World],
) -> None:
    client, world = world_client
    made = client.post(
        "/v1/users",
        json={"email": "sso@world.test", "display_name": "SSO", "external_id": "oidc:corp:42"},
        headers=_h(world.tokens["admin"]),
    )
    assert made.status_code == 201, made.text
    grant = {"user_id": made.json()["id"], "role": "Learner", "scope_type": "course", "scope_id": world.ids["course"]}
    assert client.post("/v1/grants", json=grant, headers=_h(world.tokens["admin"])).status_code == 201
    secret = client.app.state.jwt_secret  # type: ignore[attr-defined]
    # what a single sign-on login hands this account: an access token, and no password anywhere
    token = encode_token(secret, subject=made.json()["id"], kind="access", ttl_s=60, tid=world.ids["root"])
    body = _problem(_change(client, token, "anything-at-all", NEW_PASSWORD), 409)
    assert "identity provider" in body["detail"]
