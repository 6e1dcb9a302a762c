"""Account journeys: changing one's own password, and getting in through an onboarding invitation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from platform_api.core.security import encode_token
from platform_api.domain.identity.models import Invitation
from tests.api.world import PASSWORD, World, build_world, login, make_client

NEW_PASSWORD = "a-brand-new-password-7"
INVITED_PASSWORD = "my-first-password-42"
CSV = "email,display_name,role\nnew1@world.test,New One,Learner\nnew2@world.test,New Two,Learner\n"


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


def _onboard(client: TestClient, world: World, data: str = CSV, *, dry_run: bool = False) -> Response:
    return client.post(
        f"/v1/org-units/{world.ids['dept']}/onboarding/csv",
        params={"dry_run": dry_run},
        files={"file": ("people.csv", data.encode(), "text/csv")},
        headers=_h(world.tokens["admin"]),
    )


def _invitations(client: TestClient, world: World, data: str = CSV) -> dict[str, dict[str, Any]]:
    response = _onboard(client, world, data)
    assert response.status_code == 200, response.text
    return {i["email"]: i for i in response.json()["invitations"]}


def _accept(client: TestClient, token: str, password: str = INVITED_PASSWORD) -> Response:
    return client.post("/v1/auth/invitations/accept", json={"token": token, "password": password})


def _reissue(client: TestClient, world: World, user_id: int, role: str = "admin") -> Response:
    return client.post(f"/v1/users/{user_id}/invitations", headers=_h(world.tokens[role]))


def _db(client: TestClient) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = client.app.state.session_factory  # type: ignore[attr-defined]
    return factory


def _invitation_rows(client: TestClient) -> int:
    with _db(client)() as session:
        return int(session.scalar(select(func.count()).select_from(Invitation)) or 0)


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


# --- invitations ------------------------------------------------------------------------------


def test_an_onboarded_user_accepts_the_invitation_and_logs_in(world_client: tuple[TestClient, World]) -> None:
    client, _ = world_client
    invitations = _invitations(client, _)
    assert set(invitations) == {"new1@world.test", "new2@world.test"}
    invite = invitations["new1@world.test"]
    assert invite["accept_url"].endswith("/v1/auth/invitations/accept") and invite["token"] not in invite["accept_url"]
    expires = datetime.fromisoformat(invite["expires_at"])
    assert timedelta(days=6) < expires - datetime.now(UTC) <= timedelta(days=7)
    _problem(_login(client, "new1@world.test", INVITED_PASSWORD), 401)  # no way in before accepting

    accepted = _accept(client, invite["token"])
    assert accepted.status_code == 200, accepted.text
    me = client.get("/v1/auth/me", headers=_h(accepted.json()["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == "new1@world.test" and me.json()["id"] == invite["user_id"]
    assert me.json()["roles"] == ["Learner"] and me.json()["display_name"] == "New One"

    login = _login(client, "new1@world.test", INVITED_PASSWORD)
    assert login.status_code == 200
    assert client.get("/v1/auth/me", headers=_h(login.json()["access_token"])).json()["email"] == "new1@world.test"
    _problem(_login(client, "new2@world.test", INVITED_PASSWORD), 401)  # the other invitation is still open


def test_the_invitation_link_opens_the_web_page_and_the_page_starts_a_browser_session(
    world_client: tuple[TestClient, World],
) -> None:
    client, world = world_client
    invite = _invitations(client, world)["new1@world.test"]
    page, _, fragment = invite["link"].partition("#")
    assert page.endswith("/invite") and fragment == f"token={invite['token']}"  # never in the path or query

    csrf = {"X-Pathwise-CSRF": "1"}
    too_short = client.post("/v1/auth/session/invitation", json={"token": invite["token"], "password": "short"})
    assert too_short.status_code == 422 and "pathwise_refresh" not in too_short.cookies
    started = client.post("/v1/auth/session/invitation", json={"token": invite["token"], "password": INVITED_PASSWORD})
    assert started.status_code == 200, started.text
    assert set(started.json()) == {"access_token", "token_type", "expires_in"}  # the refresh token is the cookie's
    assert client.get("/v1/auth/me", headers=_h(started.json()["access_token"])).json()["email"] == "new1@world.test"
    assert client.post("/v1/auth/session/refresh", headers=csrf).status_code == 200  # the cookie is a session

    again = client.post("/v1/auth/session/invitation", json={"token": invite["token"], "password": "x" * 20})
    assert "already been used" in _problem(again, 410)["detail"]
    unknown = client.post("/v1/auth/session/invitation", json={"token": "z" * 43, "password": INVITED_PASSWORD})
    assert "not valid" in _problem(unknown, 404)["detail"]
    assert _login(client, "new1@world.test", INVITED_PASSWORD).status_code == 200


def test_invitation_and_password_change_on_each_database(migrated_db_url: str) -> None:
    """The single-use update and the bulk insert behave the same on SQLite and PostgreSQL."""
    world = build_world(migrated_db_url)
    with make_client(migrated_db_url) as client:
        world.tokens["admin"] = login(client, "admin@world.test")
        invite = _invitations(client, world)["new1@world.test"]
        reissued = _reissue(client, world, invite["user_id"]).json()
        _problem(_accept(client, invite["token"]), 410)
        accepted = _accept(client, reissued["token"])
        assert accepted.status_code == 200, accepted.text
        _problem(_accept(client, reissued["token"]), 410)
        changed = _change(client, accepted.json()["access_token"], INVITED_PASSWORD, NEW_PASSWORD)
        assert changed.status_code == 200, changed.text
        _problem(_refresh(client, accepted.json()["refresh_token"]), 401)
        assert _login(client, "new1@world.test", NEW_PASSWORD).status_code == 200


def test_an_invitation_works_once(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    token = _invitations(client, world)["new1@world.test"]["token"]
    assert _accept(client, token).status_code == 200
    body = _problem(_accept(client, token, "someone-elses-choice"), 410)
    assert body["detail"] == "This invitation has already been used; log in with the password you chose."
    _problem(_login(client, "new1@world.test", "someone-elses-choice"), 401)
    assert _login(client, "new1@world.test", INVITED_PASSWORD).status_code == 200


def test_an_expired_invitation_is_refused(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    invite = _invitations(client, world)["new1@world.test"]
    with _db(client)() as session:
        session.execute(
            update(Invitation)
            .where(Invitation.user_id == invite["user_id"])
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        session.commit()
    body = _problem(_accept(client, invite["token"]), 410)
    assert "expired" in body["detail"] and "ask your administrator" in body["detail"]
    _problem(_login(client, "new1@world.test", INVITED_PASSWORD), 401)


def test_an_unknown_token_is_404_and_a_weak_password_is_422(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    token = _invitations(client, world)["new1@world.test"]["token"]
    _problem(_accept(client, "x" * 43), 404)
    body = _problem(_accept(client, token, "short"), 422)
    assert "password" in body["detail"]
    assert _accept(client, token).status_code == 200  # a refused attempt does not spend the invitation


def test_a_dry_run_creates_no_invitation(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    before = _invitation_rows(client)
    dry = _onboard(client, world, dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json()["counts"] == {"would create": 2} and dry.json()["invitations"] == []
    assert _invitation_rows(client) == before
    users = client.get("/v1/users", params={"limit": 200}, headers=_h(world.tokens["admin"])).json()["items"]
    assert "new1@world.test" not in {u["email"] for u in users}


def test_a_repeated_upload_and_a_rejected_batch_invite_nobody(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    first = _invitations(client, world)
    again = _onboard(client, world)
    assert again.json()["counts"] == {"unchanged": 2} and again.json()["invitations"] == []
    bad = _onboard(client, world, "email,role\nnew3@world.test,Learner\nnew4@world.test,Wizard\n")
    assert bad.status_code == 422 and bad.json()["invitations"] == []
    assert _invitation_rows(client) == len(first)


def test_reissuing_retires_the_earlier_invitation(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    old = _invitations(client, world)["new1@world.test"]
    reissued = _reissue(client, world, old["user_id"])
    assert reissued.status_code == 201, reissued.text
    new = reissued.json()
    assert new["token"] != old["token"] and new["email"] == "new1@world.test"
    assert new["accept_url"] == old["accept_url"]
    body = _problem(_accept(client, old["token"]), 410)
    assert "replaced by a newer one" in body["detail"]
    assert _accept(client, new["token"]).status_code == 200
    assert _login(client, "new1@world.test", INVITED_PASSWORD).status_code == 200


def test_only_an_administrator_of_the_tenant_may_reissue(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    invite = _invitations(client, world)["new1@world.test"]
    _problem(_reissue(client, world, invite["user_id"], "outsider"), 404)  # another tenant's administrator
    for role in ("instructor", "learner"):
        _problem(_reissue(client, world, invite["user_id"], role), 403)
    _problem(client.post(f"/v1/users/{invite['user_id']}/invitations"), 401)
    assert _accept(client, invite["token"]).status_code == 200  # none of them retired the invitation


def test_nobody_is_invited_who_already_has_a_password(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    body = _problem(_reissue(client, world, world.ids["user_learner"]), 409)
    assert "already has a password" in body["detail"]
    invite = _invitations(client, world)["new1@world.test"]
    assert _accept(client, invite["token"]).status_code == 200
    _problem(_reissue(client, world, invite["user_id"]), 409)  # accepted: a reset is the way now


def test_a_revoked_person_cannot_use_their_invitation(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    invite = _invitations(client, world)["new1@world.test"]
    revoked = _onboard(client, world, "email,role,action\nnew1@world.test,Learner,revoke\n")
    assert revoked.json()["counts"] == {"revoked": 1}
    body = _problem(_accept(client, invite["token"]), 410)
    assert "deactivated" in body["detail"]
    _problem(_reissue(client, world, invite["user_id"]), 409)
    _problem(_login(client, "new1@world.test", INVITED_PASSWORD), 401)


def test_deactivating_a_person_retires_their_invitation_for_good(world_client: tuple[TestClient, World]) -> None:
    """Reactivated later, they need a new invitation: the one handed out before no longer works."""
    client, world = world_client
    invite = _invitations(client, world)["new1@world.test"]
    path, admin = f"/v1/users/{invite['user_id']}", _h(world.tokens["admin"])
    assert client.patch(path, json={"is_active": False}, headers=admin).status_code == 200
    assert client.patch(path, json={"is_active": True}, headers=admin).status_code == 200
    body = _problem(_accept(client, invite["token"]), 410)
    assert "withdrawn when the account was deactivated" in body["detail"]
    reissued = _reissue(client, world, invite["user_id"])
    assert reissued.status_code == 201, reissued.text
    assert _accept(client, reissued.json()["token"]).status_code == 200


def test_invitation_tokens_never_reach_the_logs_or_the_event_stream(
    world_client: tuple[TestClient, World], caplog: pytest.LogCaptureFixture
) -> None:
    client, world = world_client
    caplog.set_level(logging.DEBUG)
    invitations = _invitations(client, world)
    reissued = _reissue(client, world, invitations["new2@world.test"]["user_id"]).json()
    _accept(client, invitations["new2@world.test"]["token"])  # refused: replaced
    assert _accept(client, invitations["new1@world.test"]["token"]).status_code == 200
    assert _accept(client, reissued["token"]).status_code == 200
    tokens = [invitations["new1@world.test"]["token"], invitations["new2@world.test"]["token"], reissued["token"]]

    assert any("invitation accepted" in r.getMessage() for r in caplog.records)  # the journey was logged
    logged = caplog.text + "".join(f"{r.getMessage()}{r.args}{vars(r)}" for r in caplog.records)
    with _db(client)() as session:
        outbox = " ".join(str(row) for row in session.execute(text("SELECT * FROM event_outbox")))
        hashes = " ".join(session.scalars(select(Invitation.token_hash)))
    for token in tokens:
        assert token not in logged
        assert token not in outbox
        assert token not in hashes  # the database keeps digests only
