"""A learner's own enrollments, sittings, submissions and attempts; the course tree's ids; the course as
learners read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.world import World

LISTINGS = ("enrollments", "sittings", "submissions", "attempts")
WHAT = {
    "enrollments": "enrollments",
    "sittings": "quiz and test sittings",
    "submissions": "assignment submissions",
    "attempts": "attempts",
}


def _h(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def _get(client: TestClient, world: World, role: str, path: str) -> Any:
    return client.get(path, headers=_h(world, role))


def _listed(client: TestClient, world: World, role: str, user: str, listing: str) -> dict[str, Any]:
    response = _get(client, world, role, f"/v1/users/{world.ids[user]}/{listing}")
    assert response.status_code == 200, (role, listing, response.text)
    return dict(response.json())


def _ids(page: dict[str, Any]) -> list[int]:
    return [row["id"] for row in page["items"]]


def _publish(client: TestClient, world: World) -> None:
    response = client.post(f"/v1/courses/{world.ids['course']}/versions", headers=_h(world, "instructor"))
    assert response.status_code == 201, response.text


def _second_course(client: TestClient, world: World) -> dict[str, int]:
    """A course at the school (outside the instructor's department and the assistant's course) where the
    learner is enrolled, answers in a test and submits an assignment, all through the API."""
    admin = _h(world, "admin")
    course = client.post(
        "/v1/courses", json={"org_unit_id": world.ids["school"], "code": "C2", "title": "Geometry"}, headers=admin
    )
    assert course.status_code == 201, course.text
    course_id = course.json()["id"]
    enrolled = client.post(
        f"/v1/courses/{course_id}/enrollments", json={"user_id": world.ids["user_learner"]}, headers=admin
    )
    assert enrolled.status_code == 201, enrolled.text
    test = {"title": "Geometry test", "kind": "summative", "item_ids": [world.ids["quiz_item"]]}
    assessment = client.post(f"/v1/courses/{course_id}/assessments", json=test, headers=admin)
    assert assessment.status_code == 201, assessment.text
    sitting = client.post(f"/v1/assessments/{assessment.json()['id']}/sittings", headers=_h(world, "learner"))
    assert sitting.status_code == 201, sitting.text
    answer = {"item_id": world.ids["quiz_item"], "answer": {"choice": "b"}}
    answered = client.post(f"/v1/sittings/{sitting.json()['id']}/answers", json=answer, headers=_h(world, "learner"))
    assert answered.status_code == 201, answered.text
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    body = {"item_id": world.ids["item"], "title": "Angles", "due_at": due, "file_types": ["text"]}
    assignment = client.post(f"/v1/courses/{course_id}/assignments", json=body, headers=admin)
    assert assignment.status_code == 201, assignment.text
    submitted = client.post(
        f"/v1/assignments/{assignment.json()['id']}/submissions",
        files={"file": ("angles.txt", b"Angles of a triangle add up to 180 degrees.", "text/plain")},
        headers=_h(world, "learner"),
    )
    assert submitted.status_code == 202, submitted.text
    return {
        "course": course_id,
        "enrollment": enrolled.json()["id"],
        "sitting": sitting.json()["id"],
        "submission": submitted.json()["id"],
        "answer": answered.json()["attempt_id"],
        "upload": submitted.json()["attempt_id"],
    }


def test_a_learner_lists_their_own_enrollments_sittings_and_submissions(
    world_client: tuple[TestClient, World],
) -> None:
    client, world = world_client
    learner = world.ids["user_learner"]
    # until now the only enrollment list was the course's, which is closed to learners
    assert _get(client, world, "learner", f"/v1/courses/{world.ids['course']}/enrollments").status_code == 403

    enrollments = _listed(client, world, "learner", "user_learner", "enrollments")
    assert enrollments["total"] == 1
    [enrollment] = enrollments["items"]
    assert (enrollment["user_id"], enrollment["course_id"], enrollment["status"]) == (
        learner,
        world.ids["course"],
        "active",
    )

    sittings = _listed(client, world, "learner", "user_learner", "sittings")
    assert _ids(sittings) == [world.ids["sitting"]]
    assert sittings["items"][0]["assessment_id"] == world.ids["assessment"]
    assert sittings["items"][0]["user_id"] == learner

    submissions = _listed(client, world, "learner", "user_learner", "submissions")
    assert _ids(submissions) == [world.ids["submission"]]
    assert (submissions["items"][0]["status"], submissions["items"][0]["score"]) == ("review", None)

    # each row reads back by its id as the listing shows it
    sitting = _get(client, world, "learner", f"/v1/sittings/{world.ids['sitting']}")
    assert sitting.json() == sittings["items"][0]
    submission = _get(client, world, "learner", f"/v1/submissions/{world.ids['submission']}")
    assert submission.json() == submissions["items"][0]

    # learner2 has an enrollment and nothing else
    assert _listed(client, world, "learner2", "user_learner2", "enrollments")["total"] == 1
    assert _listed(client, world, "learner2", "user_learner2", "sittings")["items"] == []
    assert _listed(client, world, "learner2", "user_learner2", "submissions")["items"] == []


def test_listings_page_like_the_other_lists(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    extra = _second_course(client, world)
    path = f"/v1/users/{world.ids['user_learner']}/enrollments"
    first = client.get(path, params={"limit": 1}, headers=_h(world, "learner")).json()
    second = client.get(path, params={"limit": 1, "offset": 1}, headers=_h(world, "learner")).json()
    assert (first["total"], first["limit"], first["offset"]) == (2, 1, 0)
    assert [r["course_id"] for r in first["items"] + second["items"]] == [world.ids["course"], extra["course"]]
    for listing in LISTINGS:
        too_big = client.get(
            f"/v1/users/{world.ids['user_learner']}/{listing}", params={"limit": 201}, headers=_h(world, "learner")
        )
        assert too_big.status_code == 422, too_big.text


def test_a_guardian_lists_their_childs_record_and_no_one_elses(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    for listing in LISTINGS:
        own = _listed(client, world, "learner", "user_learner", listing)
        assert _listed(client, world, "guardian", "user_learner", listing) == own
        refused = _get(client, world, "guardian", f"/v1/users/{world.ids['user_learner2']}/{listing}")
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("listing", LISTINGS)
def test_another_learner_is_refused_with_a_sentence(world_client: tuple[TestClient, World], listing: str) -> None:
    client, world = world_client
    other = world.ids["user_learner"]
    refused = _get(client, world, "learner2", f"/v1/users/{other}/{listing}")
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["detail"] == (
        f"The {WHAT[listing]} of user {other} are shown only to that learner, "
        "their linked guardians and the staff of their courses."
    )
    assert problem["required_permission"] == "learners:read"


@pytest.mark.parametrize("listing", LISTINGS)
def test_other_tenants_and_anonymous_callers_learn_nothing(
    world_client: tuple[TestClient, World], listing: str
) -> None:
    client, world = world_client
    learner, outsider = world.ids["user_learner"], world.ids["user_outsider"]
    across = _get(client, world, "outsider", f"/v1/users/{learner}/{listing}")
    assert across.status_code == 404, across.text
    assert across.json()["detail"] == f"user {learner} not found"
    # the same answer for a user of the other tenant as for one that does not exist
    assert _get(client, world, "admin", f"/v1/users/{outsider}/{listing}").status_code == 404
    assert _get(client, world, "admin", f"/v1/users/{2**31 - 1}/{listing}").status_code == 404
    assert _get(client, world, "admin", f"/v1/users/{2**31}/{listing}").status_code == 404
    anonymous = client.get(f"/v1/users/{learner}/{listing}")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"


def test_staff_see_only_the_courses_within_their_scope(world_client_any: tuple[TestClient, World]) -> None:
    client, world = world_client_any
    # course one's attempts: a practice answer (by its activity) and an upload (by its assignment)
    upload = _get(client, world, "learner", f"/v1/submissions/{world.ids['submission']}").json()["attempt_id"]
    extra = _second_course(client, world)
    everywhere = {
        "enrollments": {world.ids["course"], extra["course"]},
        "sittings": {world.ids["sitting"], extra["sitting"]},
        "submissions": {world.ids["submission"], extra["submission"]},
        # course two's: an answer in a test (by its sitting) and an upload with no activity
        "attempts": {world.ids["attempt"], upload, extra["answer"], extra["upload"]},
    }
    in_course_one = {
        "enrollments": {world.ids["course"]},
        "sittings": {world.ids["sitting"]},
        "submissions": {world.ids["submission"]},
        "attempts": {world.ids["attempt"], upload},
    }

    def seen(role: str, listing: str) -> set[int]:
        page = _listed(client, world, role, "user_learner", listing)
        key = "course_id" if listing == "enrollments" else "id"
        assert page["total"] == len(page["items"])
        return {row[key] for row in page["items"]}

    for listing in LISTINGS:
        # the learner, their guardian and the district's administrator follow the learner everywhere
        for role in ("learner", "guardian", "admin"):
            assert seen(role, listing) == everywhere[listing], (role, listing)
        # the department's instructor and the course's assistant see course one only
        for role in ("instructor", "assistant"):
            assert seen(role, listing) == in_course_one[listing], (role, listing)
    # the total counts what the caller may see, not every row of the learner
    paged = _get(client, world, "instructor", f"/v1/users/{world.ids['user_learner']}/attempts?limit=1").json()
    assert (paged["total"], len(paged["items"])) == (2, 1)
    # a learner enrolled only outside their scope is refused to them, and listed for the administrator
    admin = _h(world, "admin")
    newcomer = client.post("/v1/users", json={"email": "newcomer@world.test", "display_name": "New"}, headers=admin)
    assert newcomer.status_code == 201, newcomer.text
    user_id = newcomer.json()["id"]
    enrolled = client.post(f"/v1/courses/{extra['course']}/enrollments", json={"user_id": user_id}, headers=admin)
    assert enrolled.status_code == 201, enrolled.text
    for role in ("instructor", "assistant"):
        for listing in LISTINGS:
            assert _get(client, world, role, f"/v1/users/{user_id}/{listing}").status_code == 403, (role, listing)
    assert _ids(_get(client, world, "admin", f"/v1/users/{user_id}/enrollments").json()) == [enrolled.json()["id"]]


def test_an_open_summative_sittings_score_stays_hidden_in_the_listing(
    world_client: tuple[TestClient, World],
) -> None:
    client, world = world_client
    test = {"title": "Unit test", "kind": "summative", "item_ids": [world.ids["quiz_item"]], "pass_mark": 0.5}
    made = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=test, headers=_h(world, "instructor"))
    assert made.status_code == 201, made.text
    sitting = client.post(f"/v1/assessments/{made.json()['id']}/sittings", headers=_h(world, "learner")).json()
    answer = {"item_id": world.ids["quiz_item"], "answer": {"choice": "b"}}
    answered = client.post(f"/v1/sittings/{sitting['id']}/answers", json=answer, headers=_h(world, "learner"))
    assert answered.status_code == 201, answered.text
    assert answered.json()["score"] is None  # a summative test keeps the score to itself

    def listed(role: str) -> dict[str, Any]:
        rows = _listed(client, world, role, "user_learner", "sittings")["items"]
        [row] = [r for r in rows if r["id"] == sitting["id"]]
        # exactly what GET /v1/sittings/{id} shows the same caller
        assert row == _get(client, world, role, f"/v1/sittings/{sitting['id']}").json()
        return dict(row)

    for role in ("learner", "guardian", "instructor"):
        row = listed(role)
        assert row["status"] == "open"
        assert (row["score"], row["passed"], row["results"]) == (None, None, None), role
    # the answer behind it is withheld in the attempts listing by the same release rule
    attempts = _listed(client, world, "learner", "user_learner", "attempts")["items"]
    [attempt] = [a for a in attempts if a["id"] == answered.json()["attempt_id"]]
    assert (attempt["score"], attempt["correct"]) == (None, None)

    finished = client.post(f"/v1/sittings/{sitting['id']}/finish", headers=_h(world, "learner"))
    assert finished.status_code == 200, finished.text
    for role in ("learner", "guardian"):
        row = listed(role)
        assert (row["status"], row["score"], row["passed"]) == ("finished", 1.0, True)
        assert [(r["item_id"], r["correct"]) for r in row["results"]] == [(world.ids["quiz_item"], True)]


def test_the_tree_carries_ids_that_resolve(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    plain = client.post(
        f"/v1/lessons/{world.ids['lesson']}/activities", json={"title": "Reading"}, headers=_h(world, "instructor")
    )
    assert plain.status_code == 201, plain.text
    _publish(client, world)

    tree = _get(client, world, "learner", f"/v1/courses/{world.ids['course']}/tree")
    assert tree.status_code == 200, tree.text
    [unit] = tree.json()["units"]
    [lesson] = unit["lessons"]
    assert (unit["id"], lesson["id"]) == (world.ids["unit"], world.ids["lesson"])
    quiz, reading = lesson["activities"]
    assert (quiz["id"], quiz["assessment_id"], quiz["assessment_ids"]) == (
        world.ids["activity"],
        world.ids["assessment"],
        [world.ids["assessment"]],
    )
    assert (reading["id"], reading["assessment_id"], reading["assessment_ids"]) == (plain.json()["id"], None, [])

    # the activity reads back by its id in the tree, with its course and the same quiz links
    for node in (quiz, reading):
        for role in ("learner", "instructor"):  # the published copy and the draft
            activity = _get(client, world, role, f"/v1/activities/{node['id']}")
            assert activity.status_code == 200, activity.text
            assert (activity.json()["title"], activity.json()["lesson_id"]) == (node["title"], lesson["id"])
            assert activity.json()["course_id"] == world.ids["course"]
            assert activity.json()["assessment_ids"] == node["assessment_ids"]
    created = plain.json()
    assert (created["course_id"], created["assessment_ids"]) == (world.ids["course"], [])
    # and the quiz's assessment id starts a sitting of that quiz
    started = client.post(f"/v1/assessments/{quiz['assessment_id']}/sittings", headers=_h(world, "learner2"))
    assert started.status_code == 201, started.text
    assert started.json()["assessment_id"] == world.ids["assessment"]
    assert [i["id"] for i in started.json()["items"]] == [world.ids["quiz_item"]]

    # staff read the draft tree with the same links
    draft = _get(client, world, "instructor", f"/v1/courses/{world.ids['course']}/tree").json()
    assert draft["units"][0]["lessons"][0]["activities"][0]["assessment_id"] == world.ids["assessment"]


def test_learners_see_only_the_published_tree_with_live_quiz_links(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    tree_path = f"/v1/courses/{world.ids['course']}/tree"
    unpublished = _get(client, world, "learner", tree_path)
    assert unpublished.status_code == 404, unpublished.text
    _publish(client, world)
    added = client.post(
        f"/v1/lessons/{world.ids['lesson']}/activities", json={"title": "Draft only"}, headers=_h(world, "instructor")
    )
    assert added.status_code == 201, added.text
    # a second quiz in the published activity, made after publishing, is offered at once
    quiz = {"title": "Second quiz", "kind": "formative", "activity_id": world.ids["activity"]}
    second = client.post(
        f"/v1/courses/{world.ids['course']}/assessments",
        json={**quiz, "item_ids": [world.ids["quiz_item"]]},
        headers=_h(world, "instructor"),
    )
    assert second.status_code == 201, second.text
    activities = _get(client, world, "learner", tree_path).json()["units"][0]["lessons"][0]["activities"]
    assert [a["title"] for a in activities] == ["Practice"]
    assert activities[0]["assessment_ids"] == [world.ids["assessment"], second.json()["id"]]
    assert activities[0]["assessment_id"] == world.ids["assessment"]
    draft = _get(client, world, "instructor", tree_path).json()["units"][0]["lessons"][0]["activities"]
    assert [a["title"] for a in draft] == ["Practice", "Draft only"]


def test_learners_read_the_published_title_never_the_drafts(world_client_any: tuple[TestClient, World]) -> None:
    client, world = world_client_any
    course_path = f"/v1/courses/{world.ids['course']}"
    # nothing published yet: learners have no course to read, staff read the draft
    unpublished = _get(client, world, "learner", course_path)
    assert unpublished.status_code == 404, unpublished.text
    assert unpublished.json()["detail"] == f"Course {world.ids['course']} has no published version yet."
    assert _get(client, world, "learner", "/v1/courses").json()["items"] == []
    assert _get(client, world, "instructor", course_path).json()["status"] == "draft"

    _publish(client, world)
    edit = {"title": "Secret draft title", "description": "Unreleased plans", "metadata": {"objectives": ["Later"]}}
    patched = client.patch(course_path, json=edit, headers=_h(world, "instructor"))
    assert patched.status_code == 200, patched.text

    seen = _get(client, world, "learner", course_path)
    assert seen.status_code == 200, seen.text
    course = seen.json()
    assert (course["title"], course["status"]) == ("Fractions and ratios", "published")
    assert course["description"] == "" and course["metadata"].get("objectives", []) == []
    assert course["updated_at"].endswith(("Z", "+00:00"))  # when the version was published, in UTC
    listed = _get(client, world, "learner", "/v1/courses").json()["items"]
    assert [(c["id"], c["title"], c["status"]) for c in listed] == [
        (world.ids["course"], "Fractions and ratios", "published")
    ]
    # the course's staff keep reading the draft they edit
    for role in ("instructor", "assistant", "admin"):
        assert _get(client, world, role, course_path).json()["title"] == "Secret draft title", role

    # publishing the edit releases it to learners
    _publish(client, world)
    assert _get(client, world, "learner", course_path).json()["title"] == "Secret draft title"
    # an archived course says so
    assert client.delete(course_path, headers=_h(world, "instructor")).status_code == 204
    assert _get(client, world, "learner", course_path).json()["status"] == "archived"
