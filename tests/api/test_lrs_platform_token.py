"""The web app at the LRS: a signed-in user records and reads their own statements with the platform token."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from features.events import EXT_VIDEO_PROGRESS, statement_to_interaction
from features.xapi_vocabulary import ACCOUNT_HOMEPAGE, Extension, learner_agent
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.domain.models import Statement
from platform_api.events.models import OutboxEvent
from platform_api.lrs.credentials import create_credential
from tests.api.world import World, role_headers

XAPI = {"X-Experience-API-Version": "1.0.3"}
PLAYED = "https://w3id.org/xapi/video/verbs/played"
VIDEO = "https://pathwise.example/xapi/activities/video-1"


def video_statement(user_id: int, skill_id: int, progress: float, verb: str = PLAYED) -> dict[str, Any]:
    """What the web player sends (xAPI Video Profile): the skill in a context extension, the share watched."""
    return {
        "id": str(uuid.uuid4()),
        "actor": learner_agent(user_id),
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {"id": VIDEO, "definition": {"type": "https://w3id.org/xapi/video/activity-type/video"}},
        "result": {"duration": "PT12S", "extensions": {EXT_VIDEO_PROGRESS: progress}},
        "context": {"extensions": {Extension.SKILL_ID: str(skill_id)}},
        "timestamp": "2026-12-01T10:00:00Z",
    }


def _post(client: TestClient, world: World, role: str, body: Any) -> Any:
    return client.post("/xAPI/statements", json=body, headers={**XAPI, **role_headers(world, role)})


def _stored(db_url: str) -> int:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        count = len(session.scalars(select(Statement.statement_id)).all())
    engine.dispose()
    return count


def test_a_learner_records_video_statements_that_reach_the_learner_loop(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    learner, skill = world.ids["user_learner"], world.ids["skill"]
    played = video_statement(learner, skill, 0.4)
    response = _post(client, world, "learner", [played, video_statement(learner, skill, 0.95)])
    assert response.status_code == 200, response.text
    put = video_statement(learner, skill, 1.0, "https://w3id.org/xapi/video/verbs/completed")
    headers = {**XAPI, **role_headers(world, "learner")}
    assert client.put(f"/xAPI/statements?statementId={put['id']}", json=put, headers=headers).status_code == 204
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        stored = session.scalar(select(Statement.payload).where(Statement.statement_id == played["id"]))
        events = session.scalars(select(OutboxEvent.payload)).all()
    engine.dispose()
    assert stored is not None
    assert stored["authority"]["account"] == {"homePage": ACCOUNT_HOMEPAGE, "name": str(learner)}
    # the event stream carries it, and serving's reading of it is a video watch share for the skill
    assert any(played["id"] in str(payload) for payload in events)
    interaction = statement_to_interaction(stored)
    assert (interaction.kind, interaction.learner_id, interaction.skill_id) == ("video", str(learner), str(skill))
    assert interaction.video_progress == 0.4 and interaction.duration_s == 12.0


def test_statements_about_anyone_else_or_claiming_grades_are_refused_whole(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    learner, other, skill = world.ids["user_learner"], world.ids["user_learner2"], world.ids["skill"]
    before = _stored(db_url)
    mine = video_statement(learner, skill, 0.5)
    cases: list[tuple[Any, str]] = [
        (video_statement(other, skill, 0.5), "actor must be you"),
        ([mine, video_statement(other, skill, 0.5)], "statement[1].actor"),
        ({**mine, "actor": {"mbox": "mailto:learner@world.test"}}, "actor must be you"),
        ({**mine, "actor": {"objectType": "Group", "member": [learner_agent(learner)]}}, "actor must be you"),
        ({**mine, "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"}}, "not one a learner records"),
        ({**mine, "result": {"success": True}}, "grader's claim"),
        ({**mine, "result": {"score": {"scaled": 1.0}}}, "grader's claim"),
        ({**mine, "context": {"extensions": {Extension.REVISES: {"success": False}}}}, "ties the statement"),
        (
            {
                **mine,
                "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                "object": {"objectType": "StatementRef", "id": mine["id"]},
            },
            "cannot void",
        ),
    ]
    for body, words in cases:
        response = _post(client, world, "learner", body)
        assert response.status_code == 403, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert words in response.json()["detail"], response.json()["detail"]
    assert _stored(db_url) == before


def test_who_may_use_a_platform_token_at_the_lrs(api: tuple[TestClient, World, str]) -> None:
    client, world, _ = api
    guardian = world.ids["user_guardian"]
    # a guardian submits no work of their own
    refused = _post(client, world, "guardian", video_statement(guardian, world.ids["skill"], 0.2))
    assert refused.status_code == 403 and refused.json()["required_permission"] == "attempts:write"
    bad = client.post("/xAPI/statements", json={}, headers={**XAPI, "Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and bad.headers["content-type"] == "application/problem+json"
    no_version = client.get("/xAPI/statements", headers=role_headers(world, "learner"))
    assert no_version.status_code == 400


def test_learners_read_back_only_their_own_statements(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    learner, other, skill = world.ids["user_learner"], world.ids["user_learner2"], world.ids["skill"]
    mine = video_statement(learner, skill, 0.3)
    assert _post(client, world, "learner", mine).status_code == 200
    theirs = video_statement(other, skill, 0.7)
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as session:
        lms = create_credential(session, "alpha LMS", tenant_id=world.ids["root"])
    engine.dispose()
    lms_headers = {**XAPI, "Authorization": lms.basic_header}
    assert client.post("/xAPI/statements", json=theirs, headers=lms_headers).status_code == 200

    headers = {**XAPI, **role_headers(world, "learner")}
    listed = client.get("/xAPI/statements", headers=headers)
    assert listed.status_code == 200, listed.text
    ids = {s["id"] for s in listed.json()["statements"]}
    assert mine["id"] in ids and theirs["id"] not in ids
    assert all(s["actor"]["account"]["name"] == str(learner) for s in listed.json()["statements"])
    assert client.get(f"/xAPI/statements?statementId={mine['id']}", headers=headers).status_code == 200
    assert client.get(f"/xAPI/statements?statementId={theirs['id']}", headers=headers).status_code == 404
    import json

    other_agent = json.dumps(learner_agent(other))
    assert client.get("/xAPI/statements", params={"agent": other_agent}, headers=headers).status_code == 403
    related = {"agent": json.dumps(learner_agent(learner)), "related_agents": "true"}
    assert client.get("/xAPI/statements", params=related, headers=headers).status_code == 403
    # the LMS (Basic) still reads both
    both = {s["id"] for s in client.get("/xAPI/statements", headers=lms_headers).json()["statements"]}
    assert {mine["id"], theirs["id"]} <= both
