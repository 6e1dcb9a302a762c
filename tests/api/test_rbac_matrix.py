"""Every route x every role: allowed or denied, generated from the app's own route table.

A route that is added without an entry here fails :func:`test_every_route_has_a_matrix_entry`.
Mutating requests carry an invalid body where possible, so an allowed role gets 422 from
validation (which runs after the permission gate) and nothing changes; deletions act on
a throw-away resource made by a factory.

Everything runs on SQLite and on PostgreSQL. The matrix itself changes the world (factories,
a published version), so it gets its own copy; the other tests change nothing and share one
world per database for the module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from platform_api.api.deps import Permit
from tests.api.world import ROLE_USERS, World, publish_course

ALL = frozenset(ROLE_USERS)
READERS = frozenset({"admin", "instructor", "assistant", "learner"})
STAFF = frozenset({"admin", "instructor", "assistant"})
AUTHORS = frozenset({"admin", "instructor"})
ADMIN = frozenset({"admin"})

#: Routes that need no token: login flows, health probes, the OpenAPI documents.
PUBLIC = {
    "POST /v1/auth/token",
    "POST /v1/auth/mfa/verify",
    "POST /v1/auth/mfa/sms",
    "POST /v1/auth/refresh",
    "POST /v1/auth/logout",
    "POST /v1/auth/session",
    "POST /v1/auth/session/mfa",
    "POST /v1/auth/session/refresh",
    "DELETE /v1/auth/session",
    # authenticates itself: a Bearer token or a signed URL for <video src> (tests/api/test_demo_lesson.py)
    "GET /v1/media/{key}",
    "GET /v1/auth/oidc/{provider}/login",
    "GET /v1/auth/oidc/{provider}/callback",
    "POST /v1/auth/ldap/token",
    "POST /v1/auth/invitations/accept",
    "POST /v1/auth/session/invitation",
    "GET /healthz",
    "GET /readyz",
    "GET /openapi.json",
    "GET /docs",
    "GET /docs/oauth2-redirect",
    "GET /redoc",
}
#: The xAPI LRS authenticates LRS clients (HTTP Basic per organization), not users.
LRS_PREFIX = "/xAPI"
Factory = Callable[[TestClient, World], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    allowed: frozenset[str]
    params: dict[str, str] | None = None  # path parameter → key in World.ids
    body: Any = None
    query: dict[str, Any] | None = None
    factory: Factory | None = None  # returns extra path parameters (fresh resources)
    query_ids: dict[str, str] | None = None  # query parameter → key in World.ids


def _admin(client: TestClient, world: World, method: str, path: str, body: Any = None) -> dict[str, Any]:
    response = client.request(method, path, json=body, headers={"Authorization": f"Bearer {world.tokens['admin']}"})
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else {}


def fresh_unit(client: TestClient, w: World) -> dict[str, Any]:
    slug = f"tmp-{_next(w)}"
    return {
        "unit_id": _admin(client, w, "POST", "/v1/org-units", {"parent_id": w.ids["dept"], "slug": slug, "name": "t"})[
            "id"
        ]
    }


def fresh_course_unit(client: TestClient, w: World) -> dict[str, Any]:
    return {"unit_id": _admin(client, w, "POST", f"/v1/courses/{w.ids['course']}/units", {"title": "tmp"})["id"]}


def fresh_lesson(client: TestClient, w: World) -> dict[str, Any]:
    return {"lesson_id": _admin(client, w, "POST", f"/v1/units/{w.ids['unit']}/lessons", {"title": "tmp"})["id"]}


def fresh_activity(client: TestClient, w: World) -> dict[str, Any]:
    return {
        "activity_id": _admin(client, w, "POST", f"/v1/lessons/{w.ids['lesson']}/activities", {"title": "tmp"})["id"]
    }


def _next(w: World) -> int:
    w.ids["_n"] = w.ids.get("_n", 0) + 1
    return w.ids["_n"]


def fresh_user(client: TestClient, w: World) -> int:
    return int(_admin(client, w, "POST", "/v1/users", {"email": f"u{_next(w)}@world.test", "display_name": "u"})["id"])


def fresh_grant(client: TestClient, w: World) -> dict[str, Any]:
    body = {
        "user_id": fresh_user(client, w),
        "role": "Assistant Instructor",
        "scope_type": "course",
        "scope_id": w.ids["course"],
    }
    return {"grant_id": _admin(client, w, "POST", "/v1/grants", body)["id"]}


def fresh_schedule(client: TestClient, w: World) -> dict[str, Any]:
    body = {"publish_at": "2999-01-01T00:00:00+00:00"}
    return {"schedule_id": _admin(client, w, "POST", f"/v1/courses/{w.ids['course']}/schedules", body)["id"]}


def fresh_lrs_credential(client: TestClient, w: World) -> dict[str, Any]:
    return {"credential_id": _admin(client, w, "POST", "/v1/lrs-credentials", {"name": f"LMS {_next(w)}"})["id"]}


def _fresh_course(client: TestClient, w: World) -> int:
    body = {"org_unit_id": w.ids["dept"], "code": f"pub-{_next(w)}", "title": "tmp"}
    return int(_admin(client, w, "POST", "/v1/courses", body)["id"])


def fresh_branch(client: TestClient, w: World) -> dict[str, Any]:
    """The administrator's branch of a new course (an author holds one open branch per course)."""
    course = _fresh_course(client, w)
    return {"course_id": course, "branch_id": _admin(client, w, "POST", f"/v1/courses/{course}/branches", {})["id"]}


def fresh_review_request(client: TestClient, w: World) -> dict[str, Any]:
    course = _fresh_course(client, w)
    body = {"title": "tmp"}
    return {
        "course_id": course,
        "request_id": _admin(client, w, "POST", f"/v1/courses/{course}/review-requests", body)["id"],
    }


def fresh_enrollment(client: TestClient, w: World) -> dict[str, Any]:
    body = {"user_id": fresh_user(client, w)}
    return {"enrollment_id": _admin(client, w, "POST", f"/v1/courses/{w.ids['course']}/enrollments", body)["id"]}


def fresh_member(client: TestClient, w: World) -> dict[str, Any]:
    _admin(client, w, "POST", f"/v1/cohorts/{w.ids['cohort']}/members", {"user_id": w.ids["user_learner2"]})
    return {"user_id": w.ids["user_learner2"]}


def fresh_rule(client: TestClient, w: World) -> dict[str, Any]:
    body = {
        "name": f"r{_next(w)}",
        "source": 'if mastery("Fractions") < 40% then recommend "Practice"',
        "scope_kind": "course",
        "scope_id": w.ids["course"],
    }
    return {"rule_id": _admin(client, w, "POST", "/v1/rules", body)["id"]}


def fresh_override(client: TestClient, w: World) -> dict[str, Any]:
    _admin(client, w, "PUT", f"/v1/users/{w.ids['user_learner2']}/override", {"recommend": ["Practice"]})
    return {"user_id": w.ids["user_learner2"]}


def fresh_link(client: TestClient, w: World) -> dict[str, Any]:
    body = {"guardian_id": w.ids["user_guardian"], "learner_id": fresh_user(client, w)}
    return {"link_id": _admin(client, w, "POST", "/v1/guardian-links", body)["id"]}


def fresh_item(client: TestClient, w: World) -> dict[str, Any]:
    key = {"kind": "numeric", "value": 1}
    body = {"external_id": f"tmp-{_next(w)}", "stem": "1 = ?", "key": key}
    return {"item_id": _admin(client, w, "POST", "/v1/items", body)["id"]}


def fresh_sitting(client: TestClient, w: World) -> dict[str, Any]:
    """The learner's open sitting of the world quiz (a new one once the last was finished)."""
    headers = {"Authorization": f"Bearer {w.tokens['learner']}"}
    response = client.post(f"/v1/assessments/{w.ids['assessment']}/sittings", headers=headers)
    assert response.status_code in (200, 201), response.text
    return {"sitting_id": response.json()["id"]}


C, U, L, A = {"course_id": "course"}, {"unit_id": "unit"}, {"lesson_id": "lesson"}, {"activity_id": "activity"}
Q, SIT = {"assessment_id": "assessment"}, {"sitting_id": "sitting"}
AS, SUB = {"assignment_id": "assignment"}, {"submission_id": "submission"}
SUBMITTERS = frozenset({"admin", "learner"})
MATRIX: dict[str, Case] = {
    "GET /v1/auth/me": Case(ALL),
    "POST /v1/auth/mfa/setup": Case(ALL, body={"phone": "not-a-phone"}),
    "POST /v1/auth/mfa/enable": Case(ALL, body={}),
    "POST /v1/auth/password": Case(ALL, body={}),
    "GET /v1/users": Case(ADMIN),
    "POST /v1/users": Case(ADMIN, body={}),
    # learner2 has no guardian and is not the learner: guardian and learner are denied
    "GET /v1/users/{user_id}": Case(STAFF, params={"user_id": "user_learner2"}),
    "PATCH /v1/users/{user_id}": Case(ADMIN, params={"user_id": "user_learner2"}, body={"display_name": ""}),
    "GET /v1/users/{user_id}/grants": Case(ADMIN, params={"user_id": "user_learner"}),
    # learner2 has a password already: the administrator gets a 409, everyone else is refused first
    "POST /v1/users/{user_id}/invitations": Case(ADMIN, params={"user_id": "user_learner2"}),
    "GET /v1/roles": Case(AUTHORS),
    "POST /v1/grants": Case(AUTHORS, body={}),
    "DELETE /v1/grants/{grant_id}": Case(AUTHORS, factory=fresh_grant),
    "GET /v1/org-units": Case(STAFF),
    "POST /v1/org-units": Case(ADMIN, body={}),
    "GET /v1/org-units/{unit_id}": Case(AUTHORS, params={"unit_id": "dept"}),
    "PATCH /v1/org-units/{unit_id}": Case(ADMIN, params={"unit_id": "dept"}, body={"name": ""}),
    "DELETE /v1/org-units/{unit_id}": Case(ADMIN, factory=fresh_unit),
    "POST /v1/org-units/{unit_id}/onboarding": Case(ADMIN, params={"unit_id": "dept"}, body={}),
    "POST /v1/org-units/{unit_id}/onboarding/csv": Case(ADMIN, params={"unit_id": "dept"}),
    "GET /v1/courses": Case(READERS),
    "POST /v1/courses": Case(AUTHORS, body={}),
    "GET /v1/courses/{course_id}": Case(READERS, params=C),
    "PATCH /v1/courses/{course_id}": Case(AUTHORS, params=C, body={"title": ""}),
    "DELETE /v1/courses/{course_id}": Case(AUTHORS, params=C),
    "GET /v1/courses/{course_id}/tree": Case(READERS, params=C),
    "POST /v1/courses/{course_id}/versions": Case(AUTHORS, params=C),
    "GET /v1/courses/{course_id}/versions": Case(READERS, params=C),
    "GET /v1/courses/{course_id}/versions/{version}": Case(READERS, params=C, query={"version": 1}),
    "GET /v1/courses/{course_id}/versions/{version}/diff": Case(READERS, params=C, query={"version": 1}),
    "POST /v1/courses/{course_id}/versions/{version}/rollback": Case(AUTHORS, params=C, query={"version": 999}),
    "POST /v1/courses/{course_id}/schedules": Case(AUTHORS, params=C, body={}),
    "GET /v1/schedules": Case(AUTHORS),
    "DELETE /v1/schedules/{schedule_id}": Case(AUTHORS, factory=fresh_schedule),
    # the organization's LRS clients: administrators only
    "GET /v1/lrs-credentials": Case(ADMIN),
    "POST /v1/lrs-credentials": Case(ADMIN, body={}),
    "DELETE /v1/lrs-credentials/{credential_id}": Case(ADMIN, factory=fresh_lrs_credential),
    # the publishing workflow: content:publish on the course
    "GET /v1/publishing/courses": Case(AUTHORS),
    "GET /v1/courses/{course_id}/schedules": Case(AUTHORS, params=C),
    "GET /v1/courses/{course_id}/publishing-history": Case(AUTHORS, params=C),
    "POST /v1/courses/{course_id}/branches": Case(AUTHORS, params=C, body={"from_version": 0}),
    "GET /v1/courses/{course_id}/branches": Case(AUTHORS, params=C),
    "GET /v1/courses/{course_id}/branches/{branch_id}": Case(AUTHORS, factory=fresh_branch),
    "PUT /v1/courses/{course_id}/branches/{branch_id}/tree": Case(AUTHORS, factory=fresh_branch, body={}),
    "POST /v1/courses/{course_id}/branches/{branch_id}/merge": Case(AUTHORS, factory=fresh_branch),
    "DELETE /v1/courses/{course_id}/branches/{branch_id}": Case(AUTHORS, factory=fresh_branch),
    "POST /v1/courses/{course_id}/review-requests": Case(AUTHORS, params=C, body={}),
    "GET /v1/courses/{course_id}/review-requests": Case(AUTHORS, params=C),
    "GET /v1/courses/{course_id}/review-requests/{request_id}": Case(AUTHORS, factory=fresh_review_request),
    "POST /v1/courses/{course_id}/review-requests/{request_id}/comments": Case(
        AUTHORS, factory=fresh_review_request, body={"verdict": "nope"}
    ),
    "POST /v1/courses/{course_id}/review-requests/{request_id}/publish": Case(
        AUTHORS, factory=fresh_review_request, body={"publish_at": "not a time"}
    ),
    "GET /v1/search": Case(READERS, query={"q": "fractions"}),
    "POST /v1/courses/{course_id}/units": Case(AUTHORS, params=C, body={}),
    "POST /v1/courses/{course_id}/media": Case(AUTHORS, params=C),  # no file: 422 once past the gate
    "PATCH /v1/units/{unit_id}": Case(AUTHORS, params=U, body={"title": ""}),
    "DELETE /v1/units/{unit_id}": Case(AUTHORS, factory=fresh_course_unit),
    "POST /v1/units/{unit_id}/lessons": Case(AUTHORS, params=U, body={}),
    "PATCH /v1/lessons/{lesson_id}": Case(AUTHORS, params=L, body={"title": ""}),
    "DELETE /v1/lessons/{lesson_id}": Case(AUTHORS, factory=fresh_lesson),
    "POST /v1/lessons/{lesson_id}/activities": Case(AUTHORS, params=L, body={}),
    "GET /v1/activities/{activity_id}": Case(READERS, params=A),
    "PATCH /v1/activities/{activity_id}": Case(AUTHORS, params=A, body={"title": ""}),
    "DELETE /v1/activities/{activity_id}": Case(AUTHORS, factory=fresh_activity),
    "GET /v1/courses/{course_id}/enrollments": Case(STAFF, params=C),
    "POST /v1/courses/{course_id}/enrollments": Case(AUTHORS, params=C, body={}),
    "PATCH /v1/enrollments/{enrollment_id}": Case(AUTHORS, factory=fresh_enrollment, body={"status": "unknown"}),
    "DELETE /v1/enrollments/{enrollment_id}": Case(AUTHORS, factory=fresh_enrollment),
    "GET /v1/cohorts": Case(STAFF),
    "POST /v1/cohorts": Case(AUTHORS, body={}),
    "GET /v1/cohorts/{cohort_id}": Case(STAFF, params={"cohort_id": "cohort"}),
    "GET /v1/cohorts/{cohort_id}/members": Case(STAFF, params={"cohort_id": "cohort"}),
    "POST /v1/cohorts/{cohort_id}/members": Case(AUTHORS, params={"cohort_id": "cohort"}, body={}),
    "DELETE /v1/cohorts/{cohort_id}/members/{user_id}": Case(
        AUTHORS, params={"cohort_id": "cohort"}, factory=fresh_member
    ),
    "POST /v1/guardian-links": Case(ADMIN, body={}),
    "DELETE /v1/guardian-links/{link_id}": Case(ADMIN, factory=fresh_link),
    "GET /v1/me/learners": Case(frozenset({"admin", "guardian"})),
    "GET /v1/users/{user_id}/attempts": Case(ALL, params={"user_id": "user_learner"}),
    # a learner's own record: the learner, their linked guardian and staff over the learner's course
    "GET /v1/users/{user_id}/enrollments": Case(ALL, params={"user_id": "user_learner"}),
    "GET /v1/users/{user_id}/sittings": Case(ALL, params={"user_id": "user_learner"}),
    "GET /v1/users/{user_id}/submissions": Case(ALL, params={"user_id": "user_learner"}),
    # the learner, their linked guardian and staff over the learner's course (serving is stubbed below)
    "GET /v1/learners/{learner_id}/recommendations": Case(
        ALL, params={"learner_id": "user_learner"}, query_ids={"course": "course"}
    ),
    # preferences: read like the learner's progress, set only by the learner themself
    "GET /v1/learners/{learner_id}/preferences": Case(ALL, params={"learner_id": "user_learner"}),
    "PUT /v1/learners/{learner_id}/preferences": Case(
        frozenset({"learner"}), params={"learner_id": "user_learner"}, body={"formats": ["video"]}
    ),
    # the learner app: home reads like the learner's record; progress only by the learner; sync for one's own work
    "GET /v1/learners/{learner_id}/home": Case(ALL, params={"learner_id": "user_learner"}),
    "PUT /v1/learners/{learner_id}/progress/{activity_id}": Case(
        frozenset({"learner"}),
        params={"learner_id": "user_learner", "activity_id": "activity"},
        body={"position": 0.5, "client_updated_at": "2026-01-01T00:00:00+00:00"},
    ),
    "GET /v1/sync": Case(SUBMITTERS),
    "POST /v1/sync": Case(SUBMITTERS, body={}),
    "POST /v1/activities/{activity_id}/attempts": Case(frozenset({"admin", "learner"}), params=A, body={}),
    # delegation: the assistant may grade but (above) never change structure
    "POST /v1/attempts/{attempt_id}/grade": Case(STAFF, params={"attempt_id": "attempt"}, body={}),
    # instructor rules: assistants read and preview, only authors write
    "GET /v1/rules": Case(STAFF, query={"scope_kind": "course"}, query_ids={"scope_id": "course"}),
    "POST /v1/rules": Case(AUTHORS, body={}),
    "GET /v1/rules/{rule_id}": Case(STAFF, factory=fresh_rule),
    "PATCH /v1/rules/{rule_id}": Case(AUTHORS, factory=fresh_rule, body={"name": ""}),
    "DELETE /v1/rules/{rule_id}": Case(AUTHORS, factory=fresh_rule),
    "POST /v1/cohorts/{cohort_id}/rules/preview": Case(STAFF, params={"cohort_id": "cohort"}, body={}),
    "POST /v1/rules:check": Case(STAFF, body={}),
    "GET /v1/rules:vocabulary": Case(STAFF),
    # the ML console: the registry, rollouts and experiments (models:read / models:write; administrators here)
    "GET /v1/models": Case(ADMIN),
    "GET /v1/models/{name}": Case(ADMIN, factory=lambda c, w: {"name": "pathwise-bkt"}),
    "GET /v1/models/{name}/versions/{version}/plots/{kind}": Case(
        ADMIN, factory=lambda c, w: {"name": "pathwise-bkt", "version": "1", "kind": "roc"}
    ),
    "GET /v1/rollouts": Case(ADMIN),
    "GET /v1/rollouts/{slot}": Case(ADMIN, factory=lambda c, w: {"slot": "kt"}),
    "GET /v1/rollouts/{slot}/metrics": Case(ADMIN, factory=lambda c, w: {"slot": "kt"}),
    "POST /v1/rollouts/{slot}/start": Case(ADMIN, factory=lambda c, w: {"slot": "kt"}, body={}),
    "POST /v1/rollouts/{slot}/promote": Case(ADMIN, factory=lambda c, w: {"slot": "sequencer"}),
    "POST /v1/rollouts/{slot}/abort": Case(ADMIN, factory=lambda c, w: {"slot": "sequencer"}),
    "GET /v1/experiments": Case(ADMIN),
    "GET /v1/experiments/{key}/report": Case(ADMIN, factory=lambda c, w: {"key": "kt-v1-vs-v2"}),
    "GET /v1/users/{user_id}/override": Case(STAFF, factory=fresh_override),
    "PUT /v1/users/{user_id}/override": Case(AUTHORS, params={"user_id": "user_learner2"}, body={}),
    "DELETE /v1/users/{user_id}/override": Case(AUTHORS, factory=fresh_override),
    # the question bank: staff read keys, authors change them; learners never see keys
    "GET /v1/skills": Case(READERS),
    "GET /v1/items": Case(STAFF),
    "POST /v1/items": Case(AUTHORS, body={}),
    "GET /v1/items/{item_id}": Case(STAFF, params={"item_id": "quiz_item"}),
    "PATCH /v1/items/{item_id}": Case(AUTHORS, params={"item_id": "quiz_item"}, body={"stem": ""}),
    "DELETE /v1/items/{item_id}": Case(AUTHORS, factory=fresh_item),
    "POST /v1/courses/{course_id}/assessments": Case(AUTHORS, params=C, body={}),
    "GET /v1/courses/{course_id}/assessments": Case(READERS, params=C),
    "PATCH /v1/assessments/{assessment_id}": Case(AUTHORS, params=Q, body={"title": ""}),
    "GET /v1/assessments/{assessment_id}": Case(READERS, params=Q),
    "GET /v1/analytics/assessments/{assessment_id}/item-analysis": Case(STAFF, params=Q),
    "GET /v1/analytics/courses/{course_id}/heatmap": Case(STAFF, params=C),
    "GET /v1/analytics/courses/{course_id}/engagement": Case(STAFF, params=C),
    "GET /v1/analytics/courses/{course_id}/at-risk": Case(STAFF, params=C),
    "GET /v1/analytics/courses/{course_id}/export": Case(STAFF, params=C, query={"mart": "answers"}),
    "GET /v1/analytics/learners/{user_id}": Case(ALL, params={"user_id": "user_learner"}),
    "POST /v1/assessments/{assessment_id}/sittings": Case(frozenset({"admin", "learner"}), params=Q),
    # a sitting: staff and the linked guardian may look; only its learner answers
    "GET /v1/sittings/{sitting_id}": Case(ALL, params=SIT),
    "GET /v1/sittings/{sitting_id}/next": Case(frozenset({"learner"}), params=SIT),
    "POST /v1/sittings/{sitting_id}/answers": Case(frozenset({"learner"}), params=SIT, body={}),
    "POST /v1/sittings/{sitting_id}/finish": Case(frozenset({"learner"}), factory=fresh_sitting),
    # any signed-in user reaches GraphQL (an empty body is a 400); its fields are in GRAPHQL_MATRIX
    "POST /graphql": Case(ALL, body={}),
    # assignments, the submission portal, exams and instructor review
    "POST /v1/courses/{course_id}/assignments": Case(AUTHORS, params=C, body={}),
    "GET /v1/courses/{course_id}/assignments": Case(READERS, params=C),
    "GET /v1/assignments/{assignment_id}": Case(READERS, params=AS),
    "PATCH /v1/assignments/{assignment_id}": Case(AUTHORS, params=AS, body={"title": ""}),
    "GET /v1/assignments/{assignment_id}/submissions": Case(READERS, params=AS),  # learners see their own
    "POST /v1/assignments/{assignment_id}/submissions": Case(SUBMITTERS, params=AS),
    "GET /v1/assignments/{assignment_id}/items": Case(SUBMITTERS, params=AS),  # staff read the bank instead
    "POST /v1/assignments/{assignment_id}/admissions": Case(SUBMITTERS, params=AS),
    "POST /v1/exam-admissions/{admission_id}/end": Case(SUBMITTERS, params={"admission_id": "exam_admission"}),
    # the guardian is linked to the learner who owns the submission
    "GET /v1/submissions/{submission_id}": Case(ALL, params=SUB),
    "GET /v1/submissions/{submission_id}/file": Case(ALL, params=SUB),
    "GET /v1/submissions/{submission_id}/comments": Case(ALL, params=SUB),
    "POST /v1/submissions/{submission_id}/comments": Case(STAFF, params=SUB, body={}),
    "POST /v1/submissions/{submission_id}/adjustments": Case(STAFF, params=SUB, body={}),
    "GET /v1/submissions/{submission_id}/audit": Case(STAFF, params=SUB),
    "GET /v1/courses/{course_id}/review-queue": Case(STAFF, params=C),
    "GET /v1/courses/{course_id}/review-queue/answers": Case(STAFF, params=C),
    # the permission is checked on the sitting before the body (or the answer id) is read
    "POST /v1/sittings/{sitting_id}/answers/{attempt_id}/adjustments": Case(
        STAFF, params={**SIT, "attempt_id": "attempt"}, body={}
    ),
    # one answer of a sitting and its score history, for the review page
    "GET /v1/sittings/{sitting_id}/answers/{attempt_id}": Case(STAFF, params={**SIT, "attempt_id": "attempt"}),
    "GET /v1/sittings/{sitting_id}/answers/{attempt_id}/audit": Case(STAFF, params={**SIT, "attempt_id": "attempt"}),
    "GET /v1/courses/{course_id}/gradebook": Case(STAFF, params=C),
    "GET /v1/courses/{course_id}/gradebook.csv": Case(STAFF, params=C),
    "POST /v1/items/{item_id}/regrade": Case(STAFF, params={"item_id": "item"}, body={}),
}


def _flatten(routes: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    """FastAPI keeps included routers as nodes; their ``original_router`` holds the routes."""
    out: list[tuple[str, Any]] = []
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            out.extend(_flatten(list(nested.routes), prefix + route.include_context.prefix))
        else:
            out.append((prefix, route))
    return out


def app_routes(client: TestClient) -> dict[str, APIRoute]:
    out = {}
    for prefix, route in _flatten(list(client.app.routes)):  # type: ignore[attr-defined]
        if isinstance(route, APIRoute):
            for method in route.methods:
                out[f"{method} {prefix}{route.path}"] = route
    return out


def _user_routes(client: TestClient) -> dict[str, APIRoute]:
    """Routes under user RBAC: not public, not HEAD, and not the LRS (LRS client credentials guard it)."""
    return {
        key: route
        for key, route in app_routes(client).items()
        if key not in PUBLIC and not key.startswith("HEAD ") and not key.split(" ", 1)[1].startswith(LRS_PREFIX)
    }


def test_every_route_has_a_matrix_entry(world_module_any: tuple[TestClient, World]) -> None:
    client, _ = world_module_any
    routes = set(_user_routes(client))
    assert sorted(routes - MATRIX.keys()) == [], "new routes need an RBAC matrix entry"
    assert sorted(MATRIX.keys() - routes) == [], "matrix entries for routes that no longer exist"


def test_every_protected_route_depends_on_permit(world_module_any: tuple[TestClient, World]) -> None:
    client, _ = world_module_any
    for key, route in _user_routes(client).items():
        assert _permits(route.dependant) == 1, f"{key} must depend on exactly one Permit"


def _permits(dependant: Any) -> int:
    """Permits anywhere in the dependency tree (GraphQL's sits in its context getter)."""
    own = 1 if isinstance(dependant.call, Permit) else 0
    return own + sum(_permits(d) for d in dependant.dependencies)


def _request(client: TestClient, world: World, key: str, case: Case, role: str) -> int:
    method, template = key.split(" ", 1)
    values: dict[str, Any] = {p: world.ids[k] for p, k in (case.params or {}).items()}
    if case.factory is not None:
        values.update(case.factory(client, world))
    query = dict(case.query or {}) | {q: world.ids[k] for q, k in (case.query_ids or {}).items()}
    path = template
    for name in [*values, *query]:
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", str(values.get(name, query.pop(name, None))))
    assert "{" not in path, f"{key}: the matrix entry leaves a path parameter unfilled"
    headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role != "anonymous" else {}
    kwargs: dict[str, Any] = {"headers": headers, "params": query}
    if case.body is not None:
        kwargs["json"] = case.body
    return client.request(method, path, **kwargs).status_code


def stub_serving(learner_id: int) -> httpx.Client:
    """Stands in for serving (its own port, not running here): answers any read for the learner."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("Bearer ")
        body = {"learner_id": str(learner_id), "items": [], "mastery": {}, "model_versions": {}, "variant": {}}
        return httpx.Response(200, json={**body, "course": request.url.params["course"]})

    return httpx.Client(base_url="http://serving.test", transport=httpx.MockTransport(answer))


def test_rbac_matrix(world_client_any: tuple[TestClient, World], record_property: Any) -> None:
    client, world = world_client_any
    client.app.state.serving_client = stub_serving(world.ids["user_learner"])  # type: ignore[attr-defined]
    _admin(client, world, "POST", f"/v1/courses/{world.ids['course']}/versions")  # version 1 exists
    failures, checked = [], 0
    for key, case in MATRIX.items():
        for role in (*ROLE_USERS, "anonymous", "outsider"):
            status = _request(client, world, key, case, role)
            checked += 1
            has_id = "{" in key
            if role == "anonymous":
                ok = status == 401
            elif role == "outsider":  # another tenant's administrator
                ok = status in (403, 404) if has_id else status not in (401, 403, 500)
            elif role in case.allowed:
                ok = status not in (401, 403) and status < 500
            else:
                ok = status == 403
            if not ok:
                failures.append(f"{key} as {role}: {status}")
    record_property("rbac_checks", checked)
    print(f"RBAC matrix: {len(MATRIX)} routes x 7 principals = {checked} checks")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("path", ["/v1/courses", "/v1/org-units", "/v1/cohorts", "/v1/users", "/v1/search?q=fractions"])
def test_lists_never_show_another_tenant(world_module_any: tuple[TestClient, World], path: str) -> None:
    client, world = world_module_any
    body = client.get(path, headers={"Authorization": f"Bearer {world.tokens['outsider']}"}).json()
    alpha = {
        "/v1/courses": ("id", {world.ids["course"]}),
        "/v1/org-units": ("id", {world.ids[k] for k in ("root", "school", "dept")}),
        "/v1/cohorts": ("id", {world.ids["cohort"]}),
        "/v1/search?q=fractions": ("course_id", {world.ids["course"]}),
    }
    if path in alpha:
        key, ids = alpha[path]
        assert not {item[key] for item in body["items"]} & ids
    else:
        assert all(item["tenant_id"] == world.ids["other_root"] for item in body["items"])


def test_every_lrs_route_requires_lrs_credentials(world_module_any: tuple[TestClient, World]) -> None:
    """Outside the user matrix, the LRS is still closed: no credentials, no access (About is public by spec)."""
    client, _ = world_module_any
    lrs = [k for k in app_routes(client) if k.split(" ", 1)[1].startswith(LRS_PREFIX) and not k.startswith("HEAD ")]
    assert len(lrs) > 10
    for key in lrs:
        method, path = key.split(" ", 1)
        response = client.request(method, path, headers={"X-Experience-API-Version": "1.0.3"})
        if path == f"{LRS_PREFIX}/about":
            assert response.status_code == 200, key
        else:
            assert response.status_code == 401, f"{key} answered {response.status_code} without credentials"


#: GraphQL root fields (and one per-field check) x role, with the same role sets as their REST twins.
#: Arguments name nothing changeable (user 2**31-1 does not exist; code C1 is taken),
#: so an allowed role gets a 404/409 and nothing changes.
GRAPHQL_MATRIX: dict[str, tuple[frozenset[str], str]] = {
    "me": (ALL, "{ me { id } }"),
    "orgUnits": (STAFF, "{ orgUnits { id } }"),
    "courses": (READERS, "{ courses { id } }"),
    "course": (READERS, "{ course(id: $course) { id } }"),
    "skills": (READERS, "{ skills { id } }"),
    "Course.enrollments": (STAFF, "{ course(id: $course) { enrollments { id } } }"),
    "enroll": (AUTHORS, "mutation { enroll(courseId: $course, userId: 2147483647) { id } }"),
    "createCourse": (AUTHORS, 'mutation { createCourse(input: {orgUnitId: $dept, code: "C1", title: "t"}) { id } }'),
}


def test_graphql_matrix(world_client_any: tuple[TestClient, World]) -> None:
    """Each field x role: allowed roles never see FORBIDDEN; the others see exactly that; outsiders see nothing."""
    client, world = world_client_any
    # published, so learners read the course (a course never published is NOT_FOUND for them)
    publish_course(world.db_url, world.ids["course"])
    failures, checked = [], 0
    for name, (allowed, template) in GRAPHQL_MATRIX.items():
        query = template.replace("$course", str(world.ids["course"])).replace("$dept", str(world.ids["dept"]))
        for role in (*ROLE_USERS, "anonymous", "outsider"):
            headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role != "anonymous" else {}
            response = client.post("/graphql", json={"query": query}, headers=headers)
            checked += 1
            codes = {(e.get("extensions") or {}).get("code") for e in response.json().get("errors", [])}
            if role == "anonymous":
                ok = response.status_code == 401
            elif role == "outsider":
                ok = "$" not in template or codes & {"NOT_FOUND", "FORBIDDEN"} != set()
            elif role in allowed:
                ok = "FORBIDDEN" not in codes and response.status_code < 500
            else:
                ok = codes == {"FORBIDDEN"} and response.status_code in (200, 403)
            if not ok:
                failures.append(f"{name} as {role}: {response.status_code} {codes}")
    print(f"GraphQL matrix: {len(GRAPHQL_MATRIX)} fields x 7 principals = {checked} checks")
    assert failures == [], "\n".join(failures)
