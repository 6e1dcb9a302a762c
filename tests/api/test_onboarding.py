"""Bulk onboarding and revocation: dry-run, per-row errors, all-or-nothing, idempotent re-upload."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.world import World

CSV = (
    "email,display_name,role,action\n"
    "new1@world.test,New One,Learner,add\n"
    "new2@world.test,New Two,Assistant Instructor,add\n"
)


def _post(client: TestClient, world: World, data: str, role: str = "admin", dry_run: bool = False):  # type: ignore[no-untyped-def]
    return client.post(
        f"/v1/org-units/{world.ids['dept']}/onboarding/csv",
        params={"dry_run": dry_run},
        files={"file": ("people.csv", data.encode(), "text/csv")},
        headers={"Authorization": f"Bearer {world.tokens[role]}"},
    )


def _count_users(client: TestClient, world: World) -> int:
    r = client.get("/v1/users", params={"limit": 1}, headers={"Authorization": f"Bearer {world.tokens['admin']}"})
    return int(r.json()["total"])


def test_dry_run_then_apply_then_idempotent_reupload(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    before = _count_users(client, world)
    dry = _post(client, world, CSV, dry_run=True)
    assert dry.status_code == 200 and dry.json()["counts"] == {"would create": 2} and not dry.json()["applied"]
    assert {row["status"] for row in dry.json()["rows"]} == {"would create"}
    assert _count_users(client, world) == before
    applied = _post(client, world, CSV)
    assert applied.json()["applied"] and _count_users(client, world) == before + 2
    again = _post(client, world, CSV)
    assert again.json()["counts"] == {"unchanged": 2}
    assert _count_users(client, world) == before + 2


def test_role_names_are_read_whatever_their_case(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    data = "email,role\nlower@world.test,learner\nshout@world.test,LEARNER\nspaced@world.test,assistant_instructor\n"
    dry = _post(client, world, data, dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json()["counts"] == {"would create": 3}
    applied = _post(client, world, data)
    assert applied.status_code == 200 and applied.json()["counts"] == {"created": 3}
    assert _post(client, world, data).json()["counts"] == {"unchanged": 3}


def test_bad_rows_are_reported_and_nothing_is_written(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    before = _count_users(client, world)
    bad = (
        "email,role,action\n"
        "ok@world.test,Learner,add\n"
        "not-an-email,Learner,add\n"
        "x@world.test,Wizard,add\n"
        "y@world.test,Learner,delete\n"
        "outsider@world.test,Learner,add\n"
        "ok@world.test,Learner,add\n"
    )
    r = _post(client, world, bad)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    errors = {row["row"]: row["error"] for row in r.json()["rows"] if row["status"] == "error"}
    assert set(errors) == {2, 3, 4, 5, 6}
    assert "invalid e-mail" in errors[2] and "unknown role" in errors[3] and "action" in errors[4]
    assert "another organization" in errors[5] and "duplicate" in errors[6]
    assert _count_users(client, world) == before


def test_header_problems_are_400(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    assert _post(client, world, "mail,role\na@b.c,Learner\n").status_code == 400
    assert _post(client, world, "email,role,shoe\n").status_code == 400
    assert _post(client, world, "email,role\n").status_code == 400


def test_no_escalation_through_onboarding(world_client: tuple[TestClient, World]) -> None:
    """An instructor given users:write still cannot onboard administrators."""
    client, world = world_client
    r = client.post(
        f"/v1/org-units/{world.ids['dept']}/onboarding",
        json={"rows": [{"email": "boss@world.test", "role": "Administrator"}]},
        headers={"Authorization": f"Bearer {world.tokens['instructor']}"},
    )
    assert r.status_code == 403


def test_revocation_deactivates_people_left_without_roles(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    _post(client, world, CSV)
    token = client.post("/v1/auth/token", data={"username": "new1@world.test", "password": "x"})
    assert token.status_code == 401  # no password yet: onboarding invites, it does not set passwords
    r = _post(client, world, "email,role,action\nnew1@world.test,Learner,revoke\n")
    assert r.json()["counts"] == {"revoked": 1}
    users = client.get(
        "/v1/users", params={"limit": 200}, headers={"Authorization": f"Bearer {world.tokens['admin']}"}
    ).json()
    assert [u["is_active"] for u in users["items"] if u["email"] == "new1@world.test"] == [False]
    assert _post(client, world, "email,role,action\nnew1@world.test,Learner,revoke\n").json()["counts"] == {
        "unchanged": 1
    }
