"""Assessment integrity and published content, on SQLite and PostgreSQL.

- summative results stay hidden everywhere until the sitting is finished;
- summative tests limit attempts, grade them by a policy, and a retake draws a new form;
- nobody grades their own work, whatever role they hold;
- learners see only the published version of a course (tree, search, GraphQL, recommendations).
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from pathwise.contract.catalog_store import load_catalog
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.domain.models import Grant, OutboxEvent, Role
from tests.api.world import World
from tests.api.world import role_headers as _h


def _bank(client: TestClient, world: World, count: int, prefix: str) -> list[int]:
    """``count`` easy numeric items of the world's skill; item n's answer is n."""
    ids = []
    for n in range(count):
        body = {
            "external_id": f"{prefix}-{n}",
            "skill_id": world.ids["skill"],
            "stem": f"Type {n}",
            "key": {"kind": "numeric", "value": n},
            "difficulty": -1.0,
        }
        response = client.post("/v1/items", json=body, headers=_h(world, "instructor"))
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def _essay(client: TestClient, world: World, external_id: str) -> int:
    body = {"external_id": external_id, "skill_id": world.ids["skill"], "stem": "Why?", "key": {"kind": "essay"}}
    response = client.post("/v1/items", json=body, headers=_h(world, "instructor"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _test(client: TestClient, world: World, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"/v1/courses/{world.ids['course']}/assessments",
        json={"title": "Unit test", "kind": "summative", **body},
        headers=_h(world, "instructor"),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _outbox(db_url: str, type_: str) -> list[dict[str, Any]]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        rows = list(s.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == type_).order_by(OutboxEvent.id)))
    engine.dispose()
    return rows


# ---- summative results stay hidden until release --------------------------------------------


def test_summative_results_stay_hidden_until_the_sitting_is_finished(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    ids = _bank(client, world, 2, "hide")
    test = _test(client, world, item_ids=ids)
    sitting = client.post(f"/v1/assessments/{test['id']}/sittings", headers=_h(world, "learner")).json()
    answered = client.post(
        f"/v1/sittings/{sitting['id']}/answers",
        json={"item_id": ids[1], "answer": {"value": 1}},
        headers=_h(world, "learner"),
    )
    assert answered.status_code == 201 and answered.json()["score"] is None
    learner = world.ids["user_learner"]

    def mine(role: str) -> dict[str, Any]:
        page = client.get(f"/v1/users/{learner}/attempts", params={"limit": 200}, headers=_h(world, role)).json()
        return next(a for a in page["items"] if a["id"] == answered.json()["attempt_id"])

    for role in ("learner", "guardian"):
        row = mine(role)
        assert (row["correct"], row["score"]) == (None, None), role
    assert mine("instructor")["score"] == 1.0  # staff who grade the course may see it

    # a hand-scored written answer of an open sitting is not pushed to the learner either
    essay = _essay(client, world, "hide-essay")
    written = _test(client, world, item_ids=[essay])
    open_one = client.post(f"/v1/assessments/{written['id']}/sittings", headers=_h(world, "learner")).json()
    essay_answer = client.post(
        f"/v1/sittings/{open_one['id']}/answers",
        json={"item_id": essay, "answer": {"text": "Because fractions share a denominator."}},
        headers=_h(world, "learner"),
    ).json()
    adjusted = client.post(
        f"/v1/sittings/{open_one['id']}/answers/{essay_answer['attempt_id']}/adjustments",
        json={"score": 0.75, "reason": "rubric row 3"},
        headers=_h(world, "instructor"),
    )
    assert adjusted.status_code == 201, adjusted.text
    released = [e for e in _outbox(db_url, "grade.released") if e["data"]["attempt_id"] == essay_answer["attempt_id"]]
    assert released and learner not in released[-1]["audience"]
    assert world.ids["user_guardian"] not in released[-1]["audience"]

    finished = client.post(f"/v1/sittings/{sitting['id']}/finish", headers=_h(world, "learner"))
    assert finished.status_code == 200 and finished.json()["score"] == 0.5
    row = mine("learner")
    assert (row["correct"], row["score"]) == (True, 1.0)  # released with the result


def _adaptive_test(client: TestClient, world: World) -> tuple[dict[str, Any], list[int]]:
    """A summative adaptive test over 12 calibrated yes/no items (the answer is always "yes")
    that asks at least 3 of them."""
    ids = []
    for n in range(12):
        body = {
            "external_id": f"cat-hide-{n}",
            "skill_id": world.ids["skill"],
            "stem": f"Is {n} a whole number?",
            "key": {"kind": "multiple_choice", "choices": [{"id": "yes"}, {"id": "no"}], "correct": "yes"},
            "difficulty": -2.0 + n * 4 / 11,
            "discrimination": 1.7,
        }
        response = client.post("/v1/items", json=body, headers=_h(world, "instructor"))
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    settings = {"skill_ids": [world.ids["skill"]], "max_se": 0.3, "min_items": 3, "max_items": 8, "bin_size": 2}
    return _test(client, world, title="Placement", selection="adaptive", adaptive=settings), ids


def test_an_open_adaptive_tests_ability_estimate_stays_hidden(api: tuple[TestClient, World, str]) -> None:
    """``theta`` and ``standard_error`` follow the release rule of the scores: the learner and their
    guardian see them once the sitting is finished, the course's graders all along."""
    client, world, _ = api
    test, _ = _adaptive_test(client, world)
    start = f"/v1/assessments/{test['id']}/sittings"
    started = client.post(start, headers=_h(world, "learner"))
    assert started.status_code == 201, started.text
    sitting = started.json()
    assert (sitting["theta"], sitting["standard_error"]) == (None, None)
    path = f"/v1/sittings/{sitting['id']}"
    current = sitting["items"][0]["id"]
    for _ in range(2):  # two right answers: the estimate moves up, the sitting stays open
        out = client.post(
            f"{path}/answers", json={"item_id": current, "answer": {"choice": "yes"}}, headers=_h(world, "learner")
        )
        assert out.status_code == 201, out.text
        assert not out.json()["finished"] and out.json()["score"] is None
        current = out.json()["next_item"]["id"]

    staff = client.get(path, headers=_h(world, "instructor")).json()
    assert staff["status"] == "open" and staff["theta"] > 0 and staff["standard_error"] > 0
    for role in ("assistant", "admin"):  # every grader of the course sees the running estimate
        seen = client.get(path, headers=_h(world, role)).json()
        assert (seen["theta"], seen["standard_error"]) == (staff["theta"], staff["standard_error"]), role

    learner = world.ids["user_learner"]
    for role in ("learner", "guardian"):
        seen = client.get(path, headers=_h(world, role))
        assert seen.status_code == 200, seen.text
        assert (seen.json()["theta"], seen.json()["standard_error"], seen.json()["score"]) == (None, None, None), role
        listed = client.get(f"/v1/users/{learner}/sittings", headers=_h(world, role)).json()["items"]
        assert [row for row in listed if row["id"] == sitting["id"]] == [seen.json()], role
    listed = client.get(f"/v1/users/{learner}/sittings", headers=_h(world, "instructor")).json()["items"]
    assert [row["theta"] for row in listed if row["id"] == sitting["id"]] == [staff["theta"]]
    resumed = client.post(start, headers=_h(world, "learner"))
    assert resumed.status_code == 200 and (resumed.json()["theta"], resumed.json()["standard_error"]) == (None, None)
    # the gradebook is the graders' own and shows the open sitting as pending, without a score
    assert client.get(f"/v1/courses/{world.ids['course']}/gradebook", headers=_h(world, "learner")).status_code == 403
    book = client.get(f"/v1/courses/{world.ids['course']}/gradebook", headers=_h(world, "instructor")).json()
    [row] = [r for r in book["rows"] if r["user_id"] == learner]
    assert row["tests"][str(test["id"])] == {"score": None, "attempts": 1, "pending": 1}

    finished = client.post(f"{path}/finish", headers=_h(world, "learner"))
    assert finished.status_code == 200, finished.text
    released = (staff["theta"], staff["standard_error"])
    assert (finished.json()["theta"], finished.json()["standard_error"]) == released
    for role in ("learner", "guardian"):
        seen = client.get(path, headers=_h(world, role)).json()
        assert seen["status"] == "finished" and (seen["theta"], seen["standard_error"]) == released, role


# ---- attempt limits, grading policy, a new form on retake ------------------------------------


def test_summative_attempts_are_limited_graded_by_policy_and_retakes_draw_a_new_form(
    api: tuple[TestClient, World, str],
) -> None:
    client, world, _ = api
    ids = _bank(client, world, 8, "form")
    blueprint = [{"skill_id": world.ids["skill"], "band": "easy", "count": 4}]
    bad = client.post(
        f"/v1/courses/{world.ids['course']}/assessments",
        json={
            "title": "T",
            "kind": "summative",
            "selection": "blueprint",
            "blueprint": blueprint,
            "grade_policy": "best",
        },
        headers=_h(world, "instructor"),
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    test = _test(
        client, world, selection="blueprint", blueprint=blueprint, item_ids=ids, max_attempts=2, grade_policy="average"
    )
    assert (test["max_attempts"], test["grade_policy"]) == (2, "average")

    first = client.post(f"/v1/assessments/{test['id']}/sittings", headers=_h(world, "learner")).json()
    first_form = [i["id"] for i in first["items"]]
    done = client.post(f"/v1/sittings/{first['id']}/finish", headers=_h(world, "learner")).json()
    assert done["score"] == 0.0 and done["attempts_left"] == 1

    retake = client.post(f"/v1/assessments/{test['id']}/sittings", headers=_h(world, "learner"))
    assert retake.status_code == 201
    second_form = [i["id"] for i in retake.json()["items"]]
    assert len(second_form) == 4 and not set(second_form) & set(first_form)  # the bank allows a new form
    for item_id in second_form:
        client.post(
            f"/v1/sittings/{retake.json()['id']}/answers",
            json={"item_id": item_id, "answer": {"value": ids.index(item_id)}},
            headers=_h(world, "learner"),
        )
    assert client.post(f"/v1/sittings/{retake.json()['id']}/finish", headers=_h(world, "learner")).json()["score"] == 1

    refused = client.post(f"/v1/assessments/{test['id']}/sittings", headers=_h(world, "learner"))
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    assert "2 attempts" in refused.json()["detail"]

    book = client.get(f"/v1/courses/{world.ids['course']}/gradebook", headers=_h(world, "instructor")).json()
    row = next(r for r in book["rows"] if r["user_id"] == world.ids["user_learner"])
    assert row["tests"][str(test["id"])]["score"] == 0.5 and row["tests"][str(test["id"])]["attempts"] == 2

    # a summative test allows one attempt unless it says otherwise
    once = _test(client, world, item_ids=ids[:2])
    assert (once["max_attempts"], once["grade_policy"]) == (1, "highest")
    sat = client.post(f"/v1/assessments/{once['id']}/sittings", headers=_h(world, "learner")).json()
    client.post(f"/v1/sittings/{sat['id']}/finish", headers=_h(world, "learner"))
    assert client.post(f"/v1/assessments/{once['id']}/sittings", headers=_h(world, "learner")).status_code == 409


def test_grade_policies() -> None:
    from platform_api.domain.assessment.policy import combine

    assert combine("highest", [0.2, 0.9, 0.5]) == 0.9
    assert combine("latest", [0.2, 0.9, 0.5]) == 0.5
    assert combine("average", [0.2, 0.9, 0.4]) == 0.5
    assert combine("average", []) is None


# ---- nobody grades their own work ------------------------------------------------------------


def _make_assistant(db_url: str, world: World, user: str) -> None:
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as s:
        role = s.scalar(select(Role.id).where(Role.name == "Assistant Instructor"))
        s.add(Grant(user_id=world.ids[f"user_{user}"], role_id=role, scope_type="course", scope_id=world.ids["course"]))
    engine.dispose()


def test_nobody_grades_their_own_work_whatever_role_they_hold(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    _make_assistant(db_url, world, "learner")
    own = _h(world, "learner")

    submission = client.post(
        f"/v1/submissions/{world.ids['submission']}/adjustments", json={"score": 1.0, "reason": "great"}, headers=own
    )
    assert submission.status_code == 403 and submission.headers["content-type"] == "application/problem+json"
    assert "your own" in submission.json()["detail"]
    graded = client.post(f"/v1/attempts/{world.ids['attempt']}/grade", json={"score": 1.0}, headers=own)
    assert graded.status_code == 403

    essay = _essay(client, world, "own-essay")
    test = _test(client, world, item_ids=[essay])
    sitting = client.post(f"/v1/assessments/{test['id']}/sittings", headers=own).json()
    answer = client.post(
        f"/v1/sittings/{sitting['id']}/answers", json={"item_id": essay, "answer": {"text": "Because."}}, headers=own
    ).json()
    adjust = f"/v1/sittings/{sitting['id']}/answers/{answer['attempt_id']}/adjustments"
    assert client.post(adjust, json={"score": 1.0, "reason": "mine"}, headers=own).status_code == 403
    regrade = client.post(f"/v1/items/{essay}/regrade", json={"reason": "again"}, headers=own)
    assert regrade.status_code == 403 and "your own" in regrade.json()["detail"]

    # someone else with the same role may
    assert (
        client.post(adjust, json={"score": 0.5, "reason": "rubric"}, headers=_h(world, "assistant")).status_code == 201
    )
    other = client.post(
        f"/v1/submissions/{world.ids['submission']}/adjustments",
        json={"score": 0.5, "reason": "rubric"},
        headers=_h(world, "assistant"),
    )
    assert other.status_code == 201


# ---- published means published ---------------------------------------------------------------


def _catalog_activities(db_url: str, course_id: int) -> list[tuple[str, str]]:
    """(id, title) of each activity serving recommends from in the course."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        course = load_catalog(conn, [course_id]).course(str(course_id))
    engine.dispose()
    return [] if course is None else [(a.id, a.title) for a in course.activities]


def _catalog_activity_ids(db_url: str, course_id: int) -> list[str]:
    return [ident for ident, _ in _catalog_activities(db_url, course_id)]


def test_learners_see_only_the_published_version(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    course = world.ids["course"]
    staff, learner = _h(world, "instructor"), _h(world, "learner")
    assert client.get(f"/v1/courses/{course}/tree", headers=learner).status_code == 404  # nothing published yet
    assert _catalog_activity_ids(db_url, course) == []  # nothing to recommend either

    assert client.post(f"/v1/courses/{course}/versions", headers=staff).status_code == 201
    unit = client.post(f"/v1/courses/{course}/units", json={"title": "Secret draft unit"}, headers=staff).json()
    lesson = client.post(f"/v1/units/{unit['id']}/lessons", json={"title": "Draft lesson"}, headers=staff).json()
    drill = client.post(
        f"/v1/lessons/{lesson['id']}/activities",
        json={"title": "Draft drill", "content": "Unreleased zebra fractions", "skill_ids": [world.ids["skill"]]},
        headers=staff,
    ).json()

    tree = client.get(f"/v1/courses/{course}/tree", headers=learner)
    assert tree.status_code == 200
    assert [u["title"] for u in tree.json()["units"]] == ["Unit one"]
    practice = tree.json()["units"][0]["lessons"][0]["activities"][0]
    assert practice["id"] == world.ids["activity"]
    staff_tree = client.get(f"/v1/courses/{course}/tree", headers=staff).json()
    assert [u["title"] for u in staff_tree["units"]] == ["Unit one", "Secret draft unit"]

    assert client.get("/v1/search", params={"q": "zebra"}, headers=learner).json()["total"] == 0
    assert client.get("/v1/search", params={"q": "zebra"}, headers=staff).json()["total"] == 1
    found = client.get("/v1/search", params={"q": "practice"}, headers=learner).json()
    assert [(h["entity_type"], h["entity_id"]) for h in found["items"]] == [("activity", world.ids["activity"])]
    assert client.get(f"/v1/activities/{drill['id']}", headers=learner).status_code == 404

    query = "query($id: Int!) { course(id: $id) { units { title lessons { activities { id title } } } } }"
    gql = client.post("/graphql", json={"query": query, "variables": {"id": course}}, headers=learner).json()
    assert [u["title"] for u in gql["data"]["course"]["units"]] == ["Unit one"]
    gql_staff = client.post("/graphql", json={"query": query, "variables": {"id": course}}, headers=staff).json()
    assert [u["title"] for u in gql_staff["data"]["course"]["units"]] == ["Unit one", "Secret draft unit"]

    assert _catalog_activity_ids(db_url, course) == [str(world.ids["activity"])]  # the draft drill is not offered
    assert client.post(f"/v1/courses/{course}/versions", headers=staff).status_code == 201
    assert str(drill["id"]) in _catalog_activity_ids(db_url, course)
    assert client.get("/v1/search", params={"q": "zebra"}, headers=learner).json()["total"] == 1
    assert client.get(f"/v1/activities/{drill['id']}", headers=learner).status_code == 200


def test_learners_find_and_are_offered_only_published_titles(api: tuple[TestClient, World, str]) -> None:
    """Search and serving's catalog read the published version: a unit only in the draft, or a
    title changed in the draft, stays with the staff until it is published."""
    client, world, db_url = api
    course = world.ids["course"]
    staff, learner = _h(world, "instructor"), _h(world, "learner")

    def found(headers: dict[str, str], q: str) -> list[tuple[str, int, str]]:
        response = client.get("/v1/search", params={"q": q}, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == len(page["items"])
        return [(h["entity_type"], h["entity_id"], h["title"]) for h in page["items"]]

    # never published: learners find nothing of the course, not even its description
    about = client.patch(f"/v1/courses/{course}", json={"description": "Okapi ratios"}, headers=staff)
    assert about.status_code == 200, about.text
    assert found(learner, "okapi") == []
    assert found(staff, "okapi") == [("course", course, "Fractions and ratios")]
    assert _catalog_activities(db_url, course) == []

    assert client.post(f"/v1/courses/{course}/versions", headers=staff).status_code == 201
    walrus = client.post(f"/v1/courses/{course}/units", json={"title": "Walrus geometry"}, headers=staff)
    assert walrus.status_code == 201, walrus.text
    renamed = client.patch(f"/v1/units/{world.ids['unit']}", json={"title": "Narwhal unit"}, headers=staff)
    assert renamed.status_code == 200, renamed.text
    drill = client.patch(f"/v1/activities/{world.ids['activity']}", json={"title": "Secret drill"}, headers=staff)
    assert drill.status_code == 200, drill.text

    # the draft-only unit and the draft titles are found by staff only
    assert found(learner, "walrus") == [] and found(learner, "narwhal") == [] and found(learner, "secret") == []
    assert found(staff, "walrus") == [("unit", walrus.json()["id"], "Walrus geometry")]
    assert found(staff, "narwhal") == [("unit", world.ids["unit"], "Narwhal unit")]
    # learners find the unit and the activity under their published titles
    assert found(learner, "unit one") == [("unit", world.ids["unit"], "Unit one")]
    assert found(learner, "practice") == [("activity", world.ids["activity"], "Practice")]
    assert _catalog_activities(db_url, course) == [(str(world.ids["activity"]), "Practice")]
    # another tenant finds nothing, published or not
    assert found(_h(world, "outsider"), "practice") == []

    # publishing releases the draft to search and to serving
    assert client.post(f"/v1/courses/{course}/versions", headers=staff).status_code == 201
    assert found(learner, "walrus") == [("unit", walrus.json()["id"], "Walrus geometry")]
    assert found(learner, "narwhal") == [("unit", world.ids["unit"], "Narwhal unit")]
    assert found(learner, "unit one") == []
    assert found(learner, "okapi") == [("course", course, "Fractions and ratios")]
    assert _catalog_activities(db_url, course) == [(str(world.ids["activity"]), "Secret drill")]
    assert client.get("/v1/search", params={"q": "walrus"}).status_code == 401
