"""``POST /v1/activities/{id}/attempts``: the server grades the answer and records it in the LRS.

The route goes through the one attempt service (``platform_api.domain.attempts.service``): the
answer is parsed in the item kind's schema, graded from the item's key, and the attempt and its
xAPI ``answered`` statement (with its outbox row) are written in one transaction.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from features.xapi_vocabulary import Extension
from platform_api.core.db import make_engine, make_session_factory
from platform_api.domain.models import Attempt, OutboxEvent, Statement
from tests.api.world import World


def _h(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def _rows(db_url: str) -> tuple[list[dict[str, Any]], int, int]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        statements = list(s.scalars(select(Statement.payload).order_by(Statement.seq)))
        attempts = s.scalar(select(func.count()).select_from(Attempt)) or 0
        outbox = s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "xapi.statement"))
    engine.dispose()
    return statements, attempts, outbox or 0


def _post(client: TestClient, world: World, body: dict[str, Any]) -> Any:
    return client.post(f"/v1/activities/{world.ids['activity']}/attempts", json=body, headers=_h(world, "learner"))


def test_an_attempt_is_graded_and_its_statement_is_in_the_lrs(
    world_client: tuple[TestClient, World], migrated_sqlite_url: str
) -> None:
    client, world = world_client
    before, attempts_before, _ = _rows(migrated_sqlite_url)
    made = _post(client, world, {"item_id": world.ids["quiz_item"], "answer": {"choice": "b"}, "duration_ms": 4000})
    assert made.status_code == 201, made.text
    assert made.json()["correct"] is True and made.json()["score"] == 1.0

    statements, attempts, _ = _rows(migrated_sqlite_url)
    assert attempts == attempts_before + 1
    new = statements[len(before) :]
    assert len(new) == 1
    statement = new[0]
    assert statement["verb"]["id"].endswith("/answered")
    assert statement["result"]["success"] is True
    extensions = statement["context"]["extensions"]
    assert extensions[Extension.ATTEMPT_ID] == str(made.json()["id"])
    # the platform's ids, as Feast, the models and serving key items and skills
    assert extensions[Extension.ITEM_ID] == str(world.ids["quiz_item"])
    assert extensions[Extension.SKILL_ID] == str(world.ids["skill"])
    assert extensions[Extension.COURSE_ID] == str(world.ids["course"])
    assert statement["actor"]["account"]["name"] == str(world.ids["user_learner"])


def test_a_wrong_answer_scores_zero(world_client: tuple[TestClient, World], migrated_sqlite_url: str) -> None:
    client, world = world_client
    before, _, _ = _rows(migrated_sqlite_url)
    made = _post(client, world, {"item_id": world.ids["quiz_item"], "answer": {"choice": "a"}})
    assert made.status_code == 201, made.text
    assert made.json()["correct"] is False and made.json()["score"] == 0.0
    statements, _, _ = _rows(migrated_sqlite_url)
    assert [s["result"]["success"] for s in statements[len(before) :]] == [False]


def test_a_learner_cannot_assert_the_grade(world_client: tuple[TestClient, World], migrated_sqlite_url: str) -> None:
    client, world = world_client
    before = _rows(migrated_sqlite_url)
    for asserted in ({"correct": True}, {"score": 1.0}, {"correct": True, "score": 1.0}):
        body = {"item_id": world.ids["quiz_item"], "answer": {"choice": "a"}, **asserted}
        refused = _post(client, world, body)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "the server grades the answer" in refused.text
    # the old shape (a bare claim, no answer) is refused too, and nothing was written
    assert _post(client, world, {"item_id": world.ids["quiz_item"], "correct": True}).status_code == 422
    assert _rows(migrated_sqlite_url) == before


def test_a_malformed_answer_is_a_problem_naming_the_field(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    bad = _post(client, world, {"item_id": world.ids["quiz_item"], "answer": {"text": "b"}})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    keyless = _post(client, world, {"item_id": world.ids["item"], "answer": {"choice": "a"}})
    assert keyless.status_code == 422 and "no usable answer key" in keyless.text
