"""The /ws notification channel: real events from real API calls reach exactly their audience."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from platform_api.core.security import encode_token
from tests.api.world import World

SECRET = "test-secret-" + "x" * 32  # the key make_client configures
pool = ThreadPoolExecutor(max_workers=4)


def receive(ws: WebSocketTestSession, timeout_s: float = 10.0) -> dict[str, Any]:
    """The next message, or a failure after ``timeout_s`` instead of a hung test."""
    message: dict[str, Any] = pool.submit(ws.receive_json).result(timeout=timeout_s)
    return message


def _auth(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def test_grades_attempts_and_enrollments_are_pushed(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    with (
        client.websocket_connect(f"/ws?token={world.tokens['learner']}") as learner,
        client.websocket_connect("/ws", headers=_auth(world, "guardian")) as guardian,
        client.websocket_connect(f"/ws?token={world.tokens['learner2']}") as bystander,
    ):
        for ws, who in ((learner, "learner"), (guardian, "guardian"), (bystander, "learner2")):
            assert receive(ws) == {"type": "hello", "data": {"user_id": world.ids[f"user_{who}"]}}

        graded = client.post(
            f"/v1/attempts/{world.ids['attempt']}/grade", json={"score": 0.75}, headers=_auth(world, "assistant")
        )
        assert graded.status_code == 200, graded.text
        for ws in (learner, guardian):  # the learner and their guardian hear of the grade
            message = receive(ws)
            assert message["type"] == "grade.recorded"
            assert message["data"] == {
                "attempt_id": world.ids["attempt"],
                "score": 0.75,
                "user_id": world.ids["user_learner"],
            }

        attempt = client.post(
            f"/v1/activities/{world.ids['activity']}/attempts",
            json={"item_id": world.ids["quiz_item"], "answer": {"choice": "b"}},
            headers=_auth(world, "learner"),
        )
        assert attempt.status_code == 201, attempt.text
        message = receive(learner)
        assert message["type"] == "activity.attempted" and message["data"]["attempt_id"] == attempt.json()["id"]

        enrollment = client.get(f"/v1/courses/{world.ids['course']}/enrollments", headers=_auth(world, "instructor"))
        mine = next(e for e in enrollment.json()["items"] if e["user_id"] == world.ids["user_learner2"])
        done = client.patch(
            f"/v1/enrollments/{mine['id']}", json={"status": "completed"}, headers=_auth(world, "instructor")
        )
        assert done.status_code == 200, done.text
        # learner2's first event is their own: the grade and attempt above never reached them
        message = receive(bystander)
        assert message["type"] == "enrollment.updated" and message["data"] == {"id": mine["id"], "status": "completed"}


def test_enrollment_through_graphql_is_pushed(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    created = client.post(
        "/v1/users", json={"email": "ws-new@world.test", "display_name": "n"}, headers=_auth(world, "admin")
    )
    user_id = created.json()["id"]
    token = encode_token(SECRET, subject=user_id, kind="access", ttl_s=60, tid=world.ids["root"])
    with client.websocket_connect(f"/ws?token={token}") as ws:
        assert receive(ws)["type"] == "hello"
        query = "mutation($c: Int!, $u: Int!) { enroll(courseId: $c, userId: $u) { id } }"
        response = client.post(
            "/graphql",
            json={"query": query, "variables": {"c": world.ids["course"], "u": user_id}},
            headers=_auth(world, "instructor"),
        )
        assert response.status_code == 200, response.text
        message = receive(ws)
        assert message["type"] == "enrollment.created"
        assert message["data"] == {
            "id": response.json()["data"]["enroll"]["id"],
            "user_id": user_id,
            "course_id": world.ids["course"],
        }


def test_bad_tokens_are_refused(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    user, tenant = world.ids["user_learner"], world.ids["root"]
    tokens = {
        "missing": "",
        "garbage": "not-a-jwt",
        "expired": encode_token(SECRET, subject=user, kind="access", ttl_s=-5, tid=tenant),
        "wrong kind": encode_token(SECRET, subject=user, kind="mfa", ttl_s=60, tid=tenant),
        "wrong tenant": encode_token(SECRET, subject=user, kind="access", ttl_s=60, tid=world.ids["other_root"]),
    }
    for case, token in tokens.items():
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(f"/ws?token={token}") as ws:
            ws.receive_json()
        assert refused.value.code == 4401, case
