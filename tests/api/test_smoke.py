from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.world import World


def test_me(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    r = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {world.tokens['instructor']}"})
    assert r.status_code == 200, r.text
    assert "Instructor" in r.json()["roles"]
    r = client.get("/v1/courses", headers={"Authorization": f"Bearer {world.tokens['learner']}"})
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 0  # learners list published courses only
    published = client.post(
        f"/v1/courses/{world.ids['course']}/versions", headers={"Authorization": f"Bearer {world.tokens['instructor']}"}
    )
    assert published.status_code == 201, published.text
    r = client.get("/v1/courses", headers={"Authorization": f"Bearer {world.tokens['learner']}"})
    assert r.json()["total"] == 1
