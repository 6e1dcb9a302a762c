"""What the admin console needs from the API: LRS credentials, role offers for delegation, user search,
the schedule list across courses and per-row onboarding errors with their column."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient

from tests.api.world import World

XAPI = {"X-Experience-API-Version": "1.0.3"}


def _h(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def _basic(key: str, secret: str) -> dict[str, str]:
    return {**XAPI, "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def test_an_issued_lrs_secret_works_once_shown_and_stops_at_revocation(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    issued = client.post(
        "/v1/lrs-credentials", json={"name": "District LMS", "scopes": ["statements/read"]}, headers=_h(world, "admin")
    )
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["endpoint"].endswith("/xAPI/") and body["scopes"] == ["statements/read"] and body["secret"]
    assert client.get("/xAPI/statements", headers=_basic(body["key"], body["secret"])).status_code == 200
    assert client.get("/xAPI/statements", headers=_basic(body["key"], "not-the-secret")).status_code == 401

    listed = client.get("/v1/lrs-credentials", headers=_h(world, "admin")).json()
    mine = next(c for c in listed["items"] if c["id"] == body["id"])
    assert "secret" not in mine and "secret_sha256" not in mine and mine["revoked_at"] is None

    assert client.delete(f"/v1/lrs-credentials/{body['id']}", headers=_h(world, "admin")).status_code == 204
    # the same worker answered with the credential cached a moment ago: the revocation holds at once
    assert client.get("/xAPI/statements", headers=_basic(body["key"], body["secret"])).status_code == 401
    listed = client.get("/v1/lrs-credentials", headers=_h(world, "admin")).json()
    assert next(c for c in listed["items"] if c["id"] == body["id"])["revoked_at"] is not None
    assert client.delete(f"/v1/lrs-credentials/{body['id']}", headers=_h(world, "admin")).status_code == 204


def test_lrs_credentials_refuse_bad_input_and_stay_in_their_tenant(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    bad = client.post("/v1/lrs-credentials", json={"name": "x", "scopes": ["root"]}, headers=_h(world, "admin"))
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    blank = client.post("/v1/lrs-credentials", json={"name": "   "}, headers=_h(world, "admin"))
    assert blank.status_code == 422 and "name" in blank.json()["detail"]
    theirs = client.post("/v1/lrs-credentials", json={"name": "Beta LMS"}, headers=_h(world, "outsider")).json()
    ours = client.get("/v1/lrs-credentials", headers=_h(world, "admin")).json()["items"]
    assert theirs["id"] not in {c["id"] for c in ours}
    assert client.delete(f"/v1/lrs-credentials/{theirs['id']}", headers=_h(world, "admin")).status_code == 404
    assert client.post("/v1/lrs-credentials", json={"name": "x"}, headers=_h(world, "instructor")).status_code == 403


def _offers(client: TestClient, world: World, role: str, **params: Any) -> dict[str, dict[str, Any]]:
    response = client.get("/v1/roles", params=params, headers=_h(world, role))
    assert response.status_code == 200, response.text
    return {offer["name"]: offer for offer in response.json()}


def test_role_offers_follow_the_delegation_rule(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    course = {"scope_type": "course", "scope_id": world.ids["course"]}
    admin = _offers(client, world, "admin", **course)
    assert all(o["grantable"] for o in admin.values())
    instructor = _offers(client, world, "instructor", **course)
    assert instructor["Assistant Instructor"]["grantable"] and instructor["Learner"]["grantable"] is False
    assert "attempts:write" in instructor["Learner"]["missing"]
    assert instructor["Administrator"]["grantable"] is False
    # what the offers say is what POST /v1/grants does
    user = client.post("/v1/users", json={"email": "offer@world.test", "display_name": "O"}, headers=_h(world, "admin"))
    for role, offer in instructor.items():
        grant = {"user_id": user.json()["id"], "role": role, **course}
        status = client.post("/v1/grants", json=grant, headers=_h(world, "instructor")).status_code
        assert (status == 201) == offer["grantable"], (role, status)
    half = client.get("/v1/roles", params={"scope_type": "course"}, headers=_h(world, "admin"))
    assert half.status_code == 422 and "both" in half.json()["detail"]


def test_users_are_searched_by_email_or_name(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    zoe = {"email": "zoe.q@world.test", "display_name": "Zoë Quill"}
    assert client.post("/v1/users", json=zoe, headers=_h(world, "admin")).status_code == 201
    by_mail = client.get("/v1/users", params={"q": "ZOE.Q"}, headers=_h(world, "admin")).json()
    assert [u["email"] for u in by_mail["items"]] == ["zoe.q@world.test"] and by_mail["total"] == 1
    by_name = client.get("/v1/users", params={"q": "quill"}, headers=_h(world, "admin")).json()
    assert [u["email"] for u in by_name["items"]] == ["zoe.q@world.test"]
    assert client.get("/v1/users", params={"q": "%"}, headers=_h(world, "admin")).json()["total"] == 0


def test_pending_schedules_are_listed_across_courses_and_cancel(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    path = f"/v1/courses/{world.ids['course']}/schedules"
    made = client.post(path, json={"publish_at": "2999-01-01T00:00:00+00:00"}, headers=_h(world, "admin")).json()
    listed = client.get("/v1/schedules", headers=_h(world, "instructor")).json()
    row = next(s for s in listed["items"] if s["id"] == made["id"])
    assert row["course_title"] == "Fractions and ratios" and row["status"] == "pending"
    outsider = client.get("/v1/schedules", headers=_h(world, "outsider")).json()
    assert made["id"] not in {s["id"] for s in outsider["items"]}
    assert client.delete(f"/v1/schedules/{made['id']}", headers=_h(world, "admin")).status_code == 204
    pending = client.get("/v1/schedules", headers=_h(world, "admin")).json()
    assert made["id"] not in {s["id"] for s in pending["items"]}
    cancelled = client.get("/v1/schedules", params={"status": "cancelled"}, headers=_h(world, "admin")).json()
    assert made["id"] in {s["id"] for s in cancelled["items"]}


def test_onboarding_errors_name_their_row_and_column(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    data = "email,role,action\nok@world.test,Learner,add\nnot-an-email,Learner,add\nb@world.test,Wizard,add\n"
    data += "c@world.test,Learner,remove\n"
    response = client.post(
        f"/v1/org-units/{world.ids['dept']}/onboarding/csv",
        params={"dry_run": True},
        files={"file": ("people.csv", data.encode(), "text/csv")},
        headers=_h(world, "admin"),
    )
    assert response.status_code == 422
    errors = {r["row"]: (r["column"], r["error"]) for r in response.json()["rows"] if r["status"] == "error"}
    assert errors[2][0] == "email" and "not-an-email" in errors[2][1]
    assert errors[3][0] == "role" and "Wizard" in errors[3][1]
    assert errors[4][0] == "action"
    assert 1 not in errors
