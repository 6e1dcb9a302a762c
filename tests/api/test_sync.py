"""Delta sync: pull since a cursor, push batches of offline changes, idempotent replays, conflicts to review."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from features.xapi_vocabulary import learner_agent
from platform_api.core.db import make_engine, make_session_factory
from platform_api.domain.models import Attempt, Statement, Submission
from tests.api.test_lrs_platform_token import video_statement
from tests.api.world import World, role_headers

API = tuple[TestClient, World, str]


def _id() -> str:
    return str(uuid.uuid4())


def _at(minutes: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def _push(client: TestClient, world: World, changes: list[Any], role: str = "learner", batch: str | None = None) -> Any:
    body = {"batch_id": batch or _id(), "changes": changes}
    response = client.post("/v1/sync", json=body, headers=role_headers(world, role))
    assert response.status_code == 200, response.text
    return response.json()


def _count(db_url: str, model: Any) -> int:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        count = int(session.scalar(select(func.count()).select_from(model)) or 0)
    engine.dispose()
    return count


def test_pull_lists_everything_then_only_changes(api: API) -> None:
    client, world, _ = api
    headers = role_headers(world, "learner")
    full = client.get("/v1/sync", headers=headers)
    assert full.status_code == 200, full.text
    body = full.json()
    assert body["full"] is True
    assert [e["course_id"] for e in body["enrollments"]] == [world.ids["course"]]
    assert [s["id"] for s in body["submissions"]] == [world.ids["submission"]]
    assert body["submissions"][0]["status"] == "review"
    assert {a["id"] for a in body["attempts"]} >= {world.ids["attempt"]}
    later = client.get("/v1/sync", params={"since": body["cursor"]}, headers=headers).json()
    assert later["full"] is False and later["progress"] == []  # (attempts of the last seconds may repeat)
    progress = {
        "id": _id(),
        "type": "progress",
        "activity_id": world.ids["activity"],
        "position": 0.5,
        "client_updated_at": _at(),
    }
    _push(client, world, [progress])
    after = client.get("/v1/sync", params={"since": later["cursor"]}, headers=headers).json()
    assert [(p["activity_id"], p["position"]) for p in after["progress"]] == [(world.ids["activity"], 0.5)]
    activity = world.ids["activity"]
    newer = {"id": _id(), "type": "progress", "activity_id": activity, "position": 0.9, "client_updated_at": _at(1)}
    older = {"id": _id(), "type": "progress", "activity_id": activity, "position": 0.1, "client_updated_at": _at(-60)}
    _push(client, world, [newer])
    stale = _push(client, world, [older])["outcomes"][0]
    assert stale["outcome"] == "applied" and stale["result"]["applied"] is False
    assert stale["result"]["position"] == 0.9
    bad = client.get("/v1/sync", params={"since": "not-a-cursor"}, headers=headers)
    assert bad.status_code == 422 and "cursor" in bad.json()["detail"]


def test_an_offline_batch_applies_once_and_a_replay_answers_duplicate(api: API) -> None:
    client, world, db_url = api
    learner, skill = world.ids["user_learner"], world.ids["skill"]
    statement = video_statement(learner, skill, 0.6)
    changes = [
        {
            "id": _id(),
            "type": "answer",
            "assessment_id": world.ids["assessment"],
            "item_id": world.ids["quiz_item"],
            "answer": {"choice": "a"},
            "duration_ms": 4000,
            "answered_at": _at(-30),
        },
        {
            "id": _id(),
            "type": "answer",
            "sitting_id": world.ids["sitting"],
            "item_id": world.ids["quiz_item"],
            "answer": {"choice": "b"},
            "duration_ms": 3000,
            "answered_at": _at(-29),
        },
        {"id": _id(), "type": "statement", "statement": statement},
        {
            "id": _id(),
            "type": "preferences",
            "preferences": {"focus_skills": [skill], "formats": ["video"]},
            "client_updated_at": _at(-10),
        },
        {
            "id": _id(),
            "type": "progress",
            "activity_id": world.ids["activity"],
            "position": 0.8,
            "client_updated_at": _at(-5),
        },
    ]
    attempts_before = _count(db_url, Attempt)
    batch = _id()
    first = _push(client, world, changes, batch=batch)
    assert [o["outcome"] for o in first["outcomes"]] == ["applied"] * 5, first
    wrong, right = first["outcomes"][0]["result"], first["outcomes"][1]["result"]
    assert wrong["correct"] is False and right["correct"] is True  # graded by the quiz's own service
    assert wrong["sitting_id"] == world.ids["sitting"]  # the open sitting was resumed
    assert _count(db_url, Attempt) == attempts_before + 2
    statements = _count(db_url, Statement)

    replay = _push(client, world, changes, batch=batch)
    assert [o["outcome"] for o in replay["outcomes"]] == ["duplicate"] * 5
    assert replay["outcomes"][1]["result"]["correct"] is True  # the stored outcome comes back
    assert _count(db_url, Attempt) == attempts_before + 2 and _count(db_url, Statement) == statements
    prefs = client.get(f"/v1/learners/{learner}/preferences", headers=role_headers(world, "learner")).json()
    assert prefs == {"focus_skills": [skill], "formats": ["video"]}


def test_a_bad_change_is_rejected_alone(api: API) -> None:
    client, world, db_url = api
    other = world.ids["user_learner2"]
    good = {
        "id": _id(),
        "type": "progress",
        "activity_id": world.ids["activity"],
        "position": 0.2,
        "client_updated_at": _at(),
    }
    changes = [
        {
            "id": "not-a-uuid",
            "type": "progress",
            "activity_id": world.ids["activity"],
            "position": 0.3,
            "client_updated_at": _at(),
        },
        {
            "id": _id(),
            "type": "progress",
            "activity_id": world.ids["activity"],
            "position": 1.5,
            "client_updated_at": _at(),
        },
        {"id": _id(), "type": "teleport"},
        {"id": _id(), "type": "statement", "statement": video_statement(other, world.ids["skill"], 0.1)},
        {
            "id": _id(),
            "type": "answer",
            "sitting_id": world.ids["sitting"],
            "item_id": world.ids["item"],
            "answer": {"choice": "a"},
        },
        {
            "id": _id(),
            "type": "answer",
            "sitting_id": world.ids["sitting"],
            "assessment_id": world.ids["assessment"],
            "item_id": world.ids["quiz_item"],
            "answer": {"choice": "a"},
        },
        good,
    ]
    statements, attempts = _count(db_url, Statement), _count(db_url, Attempt)
    result = _push(client, world, changes)
    outcomes = [o["outcome"] for o in result["outcomes"]]
    assert outcomes == ["rejected"] * 6 + ["applied"], result
    problems = [o["problem"] for o in result["outcomes"][:6]]
    assert all(p["status"] in (403, 422) and p["detail"] for p in problems), problems
    assert problems[3]["status"] == 403 and "actor must be you" in problems[3]["detail"]
    assert "not part of sitting" in problems[4]["detail"]
    assert _count(db_url, Statement) == statements and _count(db_url, Attempt) == attempts


def test_a_batch_over_the_cap_and_callers_who_may_not_sync_are_refused(api: API) -> None:
    client, world, _ = api
    changes = [
        {
            "id": _id(),
            "type": "progress",
            "activity_id": world.ids["activity"],
            "position": 0.1,
            "client_updated_at": _at(),
        }
        for _ in range(101)
    ]
    response = client.post(
        "/v1/sync", json={"batch_id": _id(), "changes": changes}, headers=role_headers(world, "learner")
    )
    assert response.status_code == 413 and "at most 100 changes" in response.json()["detail"]
    assert client.get("/v1/sync", headers=role_headers(world, "learner")).json()["progress"] == []
    body = {"batch_id": _id(), "changes": []}
    assert client.post("/v1/sync", json=body, headers=role_headers(world, "guardian")).status_code == 403
    assert client.get("/v1/sync", headers=role_headers(world, "guardian")).status_code == 403
    assert client.post("/v1/sync", json=body).status_code == 401
    _ = learner_agent  # the actor form the statements above use


def test_a_submission_edited_against_an_old_version_goes_to_instructor_review(api: API) -> None:
    client, world, db_url = api
    course, assignment = world.ids["course"], world.ids["assignment"]
    queue = f"/v1/courses/{course}/review-queue"
    instructor = role_headers(world, "instructor")
    before = {s["id"] for s in client.get(queue, headers=instructor).json()["items"]}
    # the world's learner has submitted once (version 1); this device edited the empty assignment (version 0)
    change = {
        "id": _id(),
        "type": "submission",
        "assignment_id": assignment,
        "text": "My offline essay on ratios.",
        "base_version": 0,
    }
    outcome = _push(client, world, [change])["outcomes"][0]
    assert outcome["outcome"] == "conflict", outcome["problem"]
    kept = outcome["result"]["submission"]
    assert (
        kept["status"] == "review"
        and kept["report"]["sync_conflict"]["server_submission_id"] == world.ids["submission"]
    )
    after = {s["id"] for s in client.get(queue, headers=instructor).json()["items"]}
    assert after - before == {kept["id"]}  # both copies wait for the instructor; the server copy is untouched
    assert _count(db_url, Submission) == 2
    assert _push(client, world, [change])["outcomes"][0]["outcome"] == "duplicate"
    stale = {**change, "id": _id(), "base_version": 7}
    assert _push(client, world, [stale])["outcomes"][0]["problem"]["status"] == 422
