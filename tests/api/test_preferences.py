"""Learners set their own preferences; they are validated, readable by those who may see the learner,
and announced through the outbox (serving's learner loop applies them)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from pathwise.contract.stream import PREFERENCES_EVENT
from platform_api.core.db import make_engine
from platform_api.events.models import OutboxEvent
from tests.api.world import World, make_client


def _auth(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def test_learners_set_their_own_preferences(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    learner = world.ids["user_learner"]
    path = f"/v1/learners/{learner}/preferences"
    assert client.get(path, headers=_auth(world, "learner")).json() == {"focus_skills": [], "formats": []}
    body = {"focus_skills": [world.ids["skill"], world.ids["skill"]], "formats": ["video", "quiz"]}
    put = client.put(path, json=body, headers=_auth(world, "learner"))
    assert put.status_code == 200, put.text
    assert put.json() == {"focus_skills": [world.ids["skill"]], "formats": ["video", "quiz"]}
    for role in ("learner", "guardian", "instructor"):  # those who may see the learner read them
        assert client.get(path, headers=_auth(world, role)).json()["formats"] == ["video", "quiz"], role
    assert client.get(path, headers=_auth(world, "learner2")).status_code == 403
    assert client.get(path).status_code == 401


def test_nobody_else_sets_them_and_bad_ones_change_nothing(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    path = f"/v1/learners/{world.ids['user_learner']}/preferences"
    for role in ("instructor", "guardian", "learner2", "admin"):
        answer = client.put(path, json={"formats": ["video"]}, headers=_auth(world, role))
        assert answer.status_code == 403, role
    unknown = client.put(path, json={"focus_skills": [999999]}, headers=_auth(world, "learner"))
    assert unknown.status_code == 422 and "no skill 999999" in unknown.json()["detail"]
    odd = client.put(path, json={"formats": ["hologram"]}, headers=_auth(world, "learner"))
    assert odd.status_code == 422 and odd.headers["content-type"] == "application/problem+json"
    other_tenant = f"/v1/learners/{world.ids['user_outsider']}/preferences"
    assert client.put(other_tenant, json={}, headers=_auth(world, "learner")).status_code == 404


def test_a_change_is_announced_through_the_outbox(sqlite_url: str) -> None:
    from tests.api.world import build_world, login

    world = build_world(sqlite_url)
    client = make_client(sqlite_url, events_relay=False)  # keep the outbox rows: no relay deletes them
    world.tokens["learner"] = login(client, "learner@world.test")
    learner = world.ids["user_learner"]
    body = {"focus_skills": [world.ids["skill"]], "formats": ["video"]}
    assert client.put(f"/v1/learners/{learner}/preferences", json=body, headers=_auth(world, "learner")).is_success
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxEvent.payload).where(OutboxEvent.type == PREFERENCES_EVENT)).all()
    engine.dispose()
    assert [row[0] for row in rows] == [
        {"learner_id": str(learner), "preferences": {"focus_skills": [str(world.ids["skill"])], "formats": ["video"]}}
    ]
