"""GraphQL over the REST services: field permissions, tenancy, published courses for learners, limits, and
mutations that change all or nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from platform_api.core.db import make_engine, make_session_factory
from platform_api.domain.content.models import Course
from platform_api.domain.enrollment.models import Enrollment
from tests.api.world import World, build_world, login, make_client, publish_course

TREE = """{ me { email roles enrollments { courseId } }
  courses(limit: 10) { id title units { title lessons { title activities { title skills { code } } } } }
  skills { code } }"""


def gql(client: TestClient, token: str | None, query: str, variables: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


def _count(url: str, model: type[Any]) -> int:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        count = int(session.scalar(select(func.count()).select_from(model)) or 0)
    engine.dispose()
    return count


def test_learner_reads_the_course_tree(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    published = client.post(
        f"/v1/courses/{world.ids['course']}/versions", headers={"Authorization": f"Bearer {world.tokens['instructor']}"}
    )
    assert published.status_code == 201  # learners read the published version
    response = gql(client, world.tokens["learner"], TREE)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["me"]["email"] == "learner@world.test" and data["me"]["roles"] == ["Learner"]
    assert data["me"]["enrollments"] == [{"courseId": world.ids["course"]}]
    [course] = data["courses"]
    activity = course["units"][0]["lessons"][0]["activities"][0]
    assert (course["title"], activity["title"], activity["skills"]) == (
        "Fractions and ratios",
        "Practice",
        [{"code": "frac"}],
    )
    assert data["skills"] == [{"code": "frac"}]


def _publish(client: TestClient, world: World) -> None:
    """Learners read a course only once a version of it is published."""
    publish_course(str(client.app.state.settings.db_url), world.ids["course"])  # type: ignore[attr-defined]


def test_field_permission_hides_only_that_field(world_client: tuple[TestClient, World]) -> None:
    """A learner may read the course but not its enrollments; staff may read both."""
    client, world = world_client
    _publish(client, world)
    query = "query($id: Int!) { course(id: $id) { title enrollments { userId } } }"
    learner = gql(client, world.tokens["learner"], query, {"id": world.ids["course"]}).json()
    assert learner["data"] == {"course": {"title": "Fractions and ratios", "enrollments": None}}
    [error] = learner["errors"]
    assert error["path"] == ["course", "enrollments"]
    assert error["extensions"] == {"code": "FORBIDDEN", "status": 403, "required_permission": "enrollments:read"}
    staff = gql(client, world.tokens["assistant"], query, {"id": world.ids["course"]}).json()
    assert "errors" not in staff
    assert {e["userId"] for e in staff["data"]["course"]["enrollments"]} == {
        world.ids["user_learner"],
        world.ids["user_learner2"],
    }


def test_one_forbidden_field_blanks_neither_its_parent_nor_its_siblings(
    world_client: tuple[TestClient, World],
) -> None:
    """The README's promise: the learner gets ``me`` and the course, and one FORBIDDEN error for enrollments."""
    client, world = world_client
    _publish(client, world)
    query = "query($id: Int!) { me { email } course(id: $id) { id title enrollments { userId } } skills { code } }"
    response = gql(client, world.tokens["learner"], query, {"id": world.ids["course"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == {
        "me": {"email": "learner@world.test"},
        "course": {"id": world.ids["course"], "title": "Fractions and ratios", "enrollments": None},
        "skills": [{"code": "frac"}],
    }
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [(["course", "enrollments"], "FORBIDDEN")]
    guardian = gql(client, world.tokens["guardian"], "{ me { email } orgUnits { id } }").json()
    assert guardian["data"]["me"] == {"email": "guardian@world.test"}


COURSE = "query($id: Int!) { course(id: $id) { id title description status units { title } } }"
COURSES = "{ courses { id title description status } }"


def test_learners_read_the_published_course_never_the_draft(world_client_any: tuple[TestClient, World]) -> None:
    """``course`` and ``courses`` read a course as ``GET /v1/courses/{id}`` and ``GET /v1/courses`` do."""
    client, world = world_client_any
    course_id = world.ids["course"]
    staff_headers = {"Authorization": f"Bearer {world.tokens['instructor']}"}

    # never published: learners have no course to read, staff read the draft
    for role in ("learner", "learner2"):
        hidden = gql(client, world.tokens[role], COURSE, {"id": course_id})
        assert hidden.status_code == 404, (role, hidden.text)
        body = hidden.json()
        assert body["data"] == {"course": None}
        [error] = body["errors"]
        assert error["message"] == f"Course {course_id} has no published version yet."
        assert (error["path"], error["extensions"]["code"]) == (["course"], "NOT_FOUND")
        assert gql(client, world.tokens[role], COURSES).json() == {"data": {"courses": []}}, role
    draft = gql(client, world.tokens["instructor"], COURSE, {"id": course_id}).json()["data"]["course"]
    assert (draft["title"], draft["status"]) == ("Fractions and ratios", "draft")

    assert client.post(f"/v1/courses/{course_id}/versions", headers=staff_headers).status_code == 201
    edit = {"title": "Secret draft title", "description": "Unreleased plans"}
    assert client.patch(f"/v1/courses/{course_id}", json=edit, headers=staff_headers).status_code == 200
    renamed = client.patch(f"/v1/units/{world.ids['unit']}", json={"title": "Secret unit"}, headers=staff_headers)
    assert renamed.status_code == 200, renamed.text

    published = {
        "id": course_id,
        "title": "Fractions and ratios",
        "description": "",
        "status": "published",
    }
    for role in ("learner", "learner2"):
        seen = gql(client, world.tokens[role], COURSE, {"id": course_id})
        assert seen.status_code == 200, (role, seen.text)
        assert seen.json() == {"data": {"course": {**published, "units": [{"title": "Unit one"}]}}}, role
        assert gql(client, world.tokens[role], COURSES).json() == {"data": {"courses": [published]}}, role
        # the same course as REST shows it to the same caller
        rest = client.get(f"/v1/courses/{course_id}", headers={"Authorization": f"Bearer {world.tokens[role]}"})
        assert {k: rest.json()[k] for k in published} == published
    # the course's staff keep reading the draft they edit
    for role in ("instructor", "assistant", "admin"):
        course = gql(client, world.tokens[role], COURSE, {"id": course_id}).json()["data"]["course"]
        assert (course["title"], course["units"]) == ("Secret draft title", [{"title": "Secret unit"}]), role
        listed = gql(client, world.tokens[role], COURSES).json()["data"]["courses"]
        assert [(c["id"], c["title"]) for c in listed] == [(course_id, "Secret draft title")], role

    # publishing the edit releases it to learners
    assert client.post(f"/v1/courses/{course_id}/versions", headers=staff_headers).status_code == 201
    course = gql(client, world.tokens["learner"], COURSE, {"id": course_id}).json()["data"]["course"]
    assert (course["title"], course["units"]) == ("Secret draft title", [{"title": "Secret unit"}])
    # an archived course says so
    assert client.delete(f"/v1/courses/{course_id}", headers=staff_headers).status_code == 204
    course = gql(client, world.tokens["learner"], COURSE, {"id": course_id}).json()["data"]["course"]
    assert course["status"] == "archived"


def test_a_never_published_course_is_missing_beside_readable_fields(world_client: tuple[TestClient, World]) -> None:
    """One NOT_FOUND error for the course; ``me`` still answers, and the other tenant's course stays 404."""
    client, world = world_client
    query = "query($id: Int!) { me { email } course(id: $id) { title } }"
    response = gql(client, world.tokens["learner"], query, {"id": world.ids["course"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == {"me": {"email": "learner@world.test"}, "course": None}
    assert [(e["path"], e["extensions"]["status"]) for e in body["errors"]] == [(["course"], 404)]
    other = gql(client, world.tokens["learner"], COURSE, {"id": world.ids["other_course"]})
    assert other.status_code == 404
    assert other.json()["errors"][0]["message"] == f"course {world.ids['other_course']} not found"
    assert gql(client, None, COURSES).status_code == 401


def test_other_tenants_are_invisible(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    outsider = world.tokens["outsider"]
    response = gql(client, outsider, "query($id: Int!) { course(id: $id) { title } }", {"id": world.ids["course"]})
    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    lists = gql(client, outsider, "{ courses { id } orgUnits { id } skills { id } }").json()["data"]
    assert world.ids["course"] not in {c["id"] for c in lists["courses"]}
    assert not {u["id"] for u in lists["orgUnits"]} & {world.ids[k] for k in ("root", "school", "dept")}
    assert world.ids["skill"] not in {s["id"] for s in lists["skills"]}
    # writes across the tenant line fail as "not found" and change nothing
    before = _count_via(client, world)
    enroll = "mutation($c: Int!, $u: Int!) { enroll(courseId: $c, userId: $u) { id } }"
    response = gql(client, outsider, enroll, {"c": world.ids["course"], "u": world.ids["user_learner2"]})
    assert response.status_code == 404, response.text
    create = 'mutation($u: Int!) { createCourse(input: {orgUnitId: $u, code: "X1", title: "x"}) { id } }'
    assert gql(client, outsider, create, {"u": world.ids["dept"]}).status_code == 404
    # an alpha administrator cannot enroll a beta user either
    response = gql(client, world.tokens["admin"], enroll, {"c": world.ids["course"], "u": world.ids["user_outsider"]})
    assert response.status_code == 404 and "user" in response.json()["errors"][0]["message"]
    assert _count_via(client, world) == before


def _count_via(client: TestClient, world: World) -> int:
    url = str(client.app.state.settings.db_url)  # type: ignore[attr-defined]
    return _count(url, Enrollment) + _count(url, Course)


def test_enroll_and_create_course_mutations(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    instructor = world.tokens["instructor"]
    new_user = client.post(
        "/v1/users",
        json={"email": "gql-new@world.test", "display_name": "n"},
        headers={"Authorization": f"Bearer {world.tokens['admin']}"},
    ).json()["id"]
    enroll = "mutation($c: Int!, $u: Int!) { enroll(courseId: $c, userId: $u) { userId courseId status } }"
    variables = {"c": world.ids["course"], "u": new_user}
    response = gql(client, instructor, enroll, variables)
    assert response.json() == {
        "data": {"enroll": {"userId": new_user, "courseId": world.ids["course"], "status": "active"}}
    }
    again = gql(client, instructor, enroll, variables)
    assert again.status_code == 409 and "already enrolled" in again.json()["errors"][0]["message"]
    # the same REST listing sees the GraphQL enrollment
    listed = client.get(
        f"/v1/courses/{world.ids['course']}/enrollments", headers={"Authorization": f"Bearer {instructor}"}
    ).json()
    assert new_user in {e["user_id"] for e in listed["items"]}

    create = "mutation($i: CourseInput!) { createCourse(input: $i) { id code status } }"
    good = {"orgUnitId": world.ids["dept"], "code": "GQL-1", "title": "Made by GraphQL", "description": "**hi**"}
    made = gql(client, instructor, create, {"i": good}).json()["data"]["createCourse"]
    assert made["code"] == "GQL-1" and made["status"] == "draft"
    rest = client.get(f"/v1/courses/{made['id']}", headers={"Authorization": f"Bearer {instructor}"}).json()
    assert rest["description"].strip() == "<p><strong>hi</strong></p>"  # sanitized by the shared service


def test_bad_mutations_are_precise_and_change_nothing(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    url = str(client.app.state.settings.db_url)  # type: ignore[attr-defined]
    courses = _count(url, Course)
    create = "mutation($i: CourseInput!) { createCourse(input: $i) { id } }"
    bad = {"orgUnitId": world.ids["dept"], "code": "has space", "title": ""}
    response = gql(client, world.tokens["instructor"], create, {"i": bad})
    assert response.status_code == 422
    message = response.json()["errors"][0]["message"]
    assert "code:" in message and "title:" in message
    good = {"orgUnitId": world.ids["dept"], "code": "OK-1", "title": "t"}
    forbidden = gql(client, world.tokens["learner"], create, {"i": good})
    assert forbidden.status_code == 403
    assert forbidden.json()["errors"][0]["extensions"]["required_permission"] == "course.structure:write"
    # the assistant holds course.structure:write nowhere: delegation stops at grading
    assert gql(client, world.tokens["assistant"], create, {"i": good}).status_code == 403
    missing = gql(client, world.tokens["instructor"], create, {"i": {"code": "x"}})
    assert missing.status_code == 400 and "orgUnitId" in missing.json()["errors"][0]["message"]
    assert _count(url, Course) == courses


def test_unauthenticated_and_expired_tokens_get_401(world_client: tuple[TestClient, World]) -> None:
    client, _ = world_client
    for token in (None, "not-a-token"):
        response = gql(client, token, "{ me { id } }")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/graphql").status_code == 405  # POST only


def test_depth_cost_alias_and_syntax_limits(sqlite_url: str) -> None:
    world = build_world(sqlite_url)
    with make_client(sqlite_url, graphql_max_depth=3, graphql_max_complexity=500) as client:
        token = login(client, "admin@world.test")
        courses_before = _count(sqlite_url, Course)
        deep = (
            'mutation($u: Int!) { createCourse(input: {orgUnitId: $u, code: "DEEP", title: "t"}) '
            "{ units { lessons { activities { title } } } } }"
        )
        response = gql(client, token, deep, {"u": world.ids["dept"]})
        assert response.status_code == 400
        assert "exceeds maximum operation depth of 3" in response.json()["errors"][0]["message"]
        assert _count(sqlite_url, Course) == courses_before  # rejected before anything ran

        costly = gql(client, token, "{ courses(limit: 200) { units { title } } }")
        assert costly.status_code == 400
        assert costly.json()["errors"][0]["message"] == (
            "operation 'anonymous' costs 1201, above the limit of 500"  # 1 + 200 x (1 + 5 x 1)
        )
        fine = gql(client, token, "{ courses(limit: 20) { units { title } } }")
        assert fine.status_code == 200 and "errors" not in fine.json()

        aliases = " ".join(f"a{i}: me {{ id }}" for i in range(40))
        response = gql(client, token, "{ " + aliases + " }")
        assert response.status_code == 400 and "aliases" in response.json()["errors"][0]["message"]

        for broken in ("{ me { id }", "{ nosuchfield }", "{ courses(limit: 0) { id } }"):
            response = gql(client, token, broken)
            assert 400 <= response.status_code < 500, (broken, response.text)
            assert response.json()["errors"][0]["extensions"]["code"] in {
                "GRAPHQL_VALIDATION_FAILED",
                "UNPROCESSABLE_ENTITY",
            }
