"""Answer and attempt bodies are capped before parsing, on SQLite and PostgreSQL.

A body over ``answer_max_body_bytes`` is refused with a 413 problem whether it declares its
length or streams without one, and it leaves the sitting, its attempts and the LRS as they
were; a body of exactly the cap is accepted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from platform_api.core.db import make_engine, make_session_factory
from platform_api.domain.models import Attempt, OutboxEvent, Statement
from tests.api.world import World, build_world, login, make_client

CAP = 2048
SHORT_TEXT = {"kind": "short_text", "accepted": ["denominator"]}


@pytest.fixture
def capped(db_url: str) -> Iterator[tuple[TestClient, World, str]]:
    world = build_world(db_url)
    with make_client(db_url, events_relay=False, answer_max_body_bytes=CAP) as client:
        for role in ("instructor", "learner"):
            world.tokens[role] = login(client, f"{role}@world.test")
        yield client, world, db_url


def _h(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}", "Content-Type": "application/json"}


def _rows(db_url: str) -> tuple[int, int, int]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        out = (
            s.scalar(select(func.count()).select_from(Attempt)) or 0,
            s.scalar(select(func.count()).select_from(Statement)) or 0,
            s.scalar(select(func.count()).select_from(OutboxEvent)) or 0,
        )
    engine.dispose()
    return out


def _sized(item_id: int, size: int) -> bytes:
    """A right short-text answer padded with spaces (which grading ignores) to ``size`` bytes."""
    bare = json.dumps({"item_id": item_id, "answer": {"text": "denominator"}}).encode()
    padded = json.dumps({"item_id": item_id, "answer": {"text": "denominator" + " " * (size - len(bare))}}).encode()
    assert len(padded) == size
    return padded


def _chunks(body: bytes) -> Iterator[bytes]:
    """Streams the body without a Content-Length (chunked), so only the running count can stop it."""
    for start in range(0, len(body), 512):
        yield body[start : start + 512]


def _assert_too_large(response: Any, path: str) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 413 and problem["max_bytes"] == CAP and problem["instance"] == path
    assert f"at most {CAP} bytes" in problem["detail"]


def test_oversize_answers_are_refused_before_parsing_and_change_nothing(
    capped: tuple[TestClient, World, str],
) -> None:
    client, world, db_url = capped
    made = client.post(
        "/v1/items",
        json={"external_id": "cap-1", "skill_id": world.ids["skill"], "stem": "Bottom?", "key": SHORT_TEXT},
        headers=_h(world, "instructor"),
    )
    assert made.status_code == 201, made.text
    item_id = made.json()["id"]
    body = {"title": "Cap", "kind": "summative", "item_ids": [item_id]}
    test = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    sitting = client.post(f"/v1/assessments/{test.json()['id']}/sittings", headers=_h(world, "learner")).json()
    path = f"/v1/sittings/{sitting['id']}/answers"
    view = f"/v1/sittings/{sitting['id']}"
    before, seen = _rows(db_url), client.get(view, headers=_h(world, "learner")).json()

    declared = client.post(path, content=_sized(item_id, CAP + 1), headers=_h(world, "learner"))
    _assert_too_large(declared, path)
    assert "is 2049 bytes" in declared.json()["detail"]
    streamed = client.post(path, content=_chunks(_sized(item_id, 4 * CAP)), headers=_h(world, "learner"))
    _assert_too_large(streamed, path)
    # refused before the body is read as JSON: broken JSON over the cap is a 413, not a 422
    _assert_too_large(client.post(path, content=b"{" * (CAP + 1), headers=_h(world, "learner")), path)
    # and before authentication: nobody learns more than the cap from an oversize body
    anonymous = client.post(path, content=_sized(item_id, CAP + 1), headers={"Content-Type": "application/json"})
    _assert_too_large(anonymous, path)
    assert _rows(db_url) == before
    assert client.get(view, headers=_h(world, "learner")).json() == seen

    # the cap itself is allowed, and the refused bodies used none of the single try
    exact = client.post(path, content=_sized(item_id, CAP), headers=_h(world, "learner"))
    assert exact.status_code == 201, exact.text
    assert exact.json()["try_number"] == 1 and exact.json()["status"] == "graded"
    assert _rows(db_url)[0] == before[0] + 1
    assert client.post(path, content=b"{", headers=_h(world, "learner")).status_code == 422  # parsed below the cap


def test_oversize_activity_attempts_are_refused(capped: tuple[TestClient, World, str]) -> None:
    client, world, db_url = capped
    path = f"/v1/activities/{world.ids['activity']}/attempts"
    before = _rows(db_url)
    big = {"item_id": world.ids["quiz_item"], "answer": {"choice": "x" * CAP}}
    _assert_too_large(client.post(path, json=big, headers=_h(world, "learner")), path)
    chunked = json.dumps(big).encode()
    _assert_too_large(client.post(path, content=_chunks(chunked), headers=_h(world, "learner")), path)
    assert _rows(db_url) == before
    small = client.post(
        path, json={"item_id": world.ids["quiz_item"], "answer": {"choice": "b"}}, headers=_h(world, "learner")
    )
    assert small.status_code == 201, small.text
    assert _rows(db_url)[0] == before[0] + 1


def test_other_routes_keep_their_own_limits(capped: tuple[TestClient, World, str]) -> None:
    """The cap applies to answers only: a larger item body (staff authoring) still goes through."""
    client, world, _ = capped
    long_stem = {"external_id": "long", "stem": "s" * (3 * CAP), "key": SHORT_TEXT}
    assert client.post("/v1/items", json=long_stem, headers=_h(world, "instructor")).status_code == 201
