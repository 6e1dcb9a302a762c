"""``GET /v1/skills``: the tenant's skills with their ids, paged, for rules and items to name."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.world import World


def _get(client: TestClient, world: World, role: str, **params: object) -> object:
    return client.get("/v1/skills", params=params, headers={"Authorization": f"Bearer {world.tokens[role]}"})


def test_skills_are_listed_with_ids_per_tenant_and_paged(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    response = _get(client, world, "learner")
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["total"] == 1 and body["limit"] == 50 and body["offset"] == 0
    assert body["items"] == [
        {"id": world.ids["skill"], "code": "frac", "name": "Fractions", "description": "", "prerequisite_ids": []}
    ]
    assert _get(client, world, "outsider").json()["items"] == []  # type: ignore[attr-defined]
    assert _get(client, world, "admin", q="fraction").json()["total"] == 1  # type: ignore[attr-defined]
    assert _get(client, world, "admin", q="geometry").json()["total"] == 0  # type: ignore[attr-defined]
    assert _get(client, world, "admin", limit=0).status_code == 422  # type: ignore[attr-defined]
    assert client.get("/v1/skills").status_code == 401
