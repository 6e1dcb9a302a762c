"""Abuse cases: what must NOT happen, for every route and every kind of principal, on SQLite and PostgreSQL.

The RBAC matrix checks status codes. This suite checks state. Every mutating route of the app's
route table is sent a *valid* request by every principal that may not send it: the answer must
be the refusal (401 without a valid token, 403 inside the tenant, 404 for another tenant's or
someone else's hidden resource), and nothing may have changed: not one row of any table, not
the blob store, not the resource as an administrator reads it back. The same request from a
principal who may send it then succeeds and does change the database, which proves both the
request valid and the snapshot able to see a change. A mutating route without an entry in
:data:`VALID` fails :func:`test_every_mutating_route_has_a_valid_request`.

Then the named cheating scenarios, each tried through the API the way a learner would, and the
xAPI LRS's Basic credentials. The principals: the administrator, an instructor, an assistant
instructor, a learner, a second learner of the same course, a learner holding an Assistant
Instructor grant on their own course (``cheat``), a guardian, another tenant's administrator
(``outsider``) and an anonymous caller.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select, text

from features.events import StatementError, statement_to_interaction
from features.xapi_vocabulary import answered_statement, learner_agent
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.security import encode_token
from platform_api.domain.learning.media import upload_key
from platform_api.domain.models import (
    Activity,
    Assessment,
    AssessmentSitting,
    Assignment,
    Attempt,
    Cohort,
    CohortMember,
    CourseBranch,
    Enrollment,
    ExamAdmission,
    Grant,
    GuardianLink,
    InstructorRule,
    Item,
    LearnerOverride,
    Lesson,
    LRSCredential,
    PublishSchedule,
    ReviewRequest,
    Role,
    Statement,
    Submission,
    Unit,
    User,
)
from platform_api.lrs.credentials import create_credential
from tests.api.test_rbac_matrix import LRS_PREFIX, MATRIX, PUBLIC, Case, app_routes
from tests.api.world import PASSWORD, ROLE_USERS, World, login, module_world
from tests.conftest import DATABASES

MUTATING = ("POST", "PUT", "PATCH", "DELETE")
MAX_ID = 2**31 - 1
#: A rule the world's names resolve ("Fractions" is its skill, "Practice" its activity).
RULE = 'if mastery("Fractions") < 40% then recommend "Practice"'
ENROLL = "mutation($course: Int!, $user: Int!) { enroll(courseId: $course, userId: $user) { id } }"


# ---- the world, shared by the module's tests (each makes what it changes) --------------------------


@dataclass
class Api:
    """The client, the world, and what the tests read the database and serving through."""

    client: TestClient
    world: World
    engine: Engine
    home: Path
    serving_calls: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    counter: int = 0

    @property
    def ids(self) -> dict[str, int]:
        return self.world.ids

    def n(self) -> int:
        self.counter += 1
        return self.counter

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.world.tokens[who]}"} if who != "anonymous" else {}

    def call(self, who: str, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        if body is not None:
            kwargs["json"] = body
        return self.client.request(method, path, headers={**self.headers(who), **kwargs.pop("headers", {})}, **kwargs)

    def ok(self, who: str, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = self.call(who, method, path, body, **kwargs)
        assert response.status_code in (200, 201, 202, 204), f"{who} {method} {path}: {response.text}"
        return response.json() if response.content else None

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        return self.ok("admin", method, path, body)

    # fresh resources, made by the administrator through the API

    def fresh_user(self, email: str | None = None) -> int:
        """A new user of this tenant; with ``email``, one who can log in (the world's password)."""
        body = {"email": email or f"user{self.n()}@world.test", "display_name": "Fresh user"}
        if email:
            body["password"] = PASSWORD
        return int(self.admin("POST", "/v1/users", body)["id"])

    def fresh_course(self) -> int:
        body = {"org_unit_id": self.ids["dept"], "code": f"F{self.n()}", "title": "Fresh course"}
        return int(self.admin("POST", "/v1/courses", body)["id"])

    def fresh_quiz(self, course: str = "course") -> int:
        """A formative quiz on the world's practice activity: the quiz item, three tries."""
        body = {
            "title": f"Quiz {self.n()}",
            "kind": "formative",
            "activity_id": self.ids["activity"],
            "item_ids": [self.ids["quiz_item"]],
        }
        return int(self.admin("POST", f"/v1/courses/{self.ids[course]}/assessments", body)["id"])

    def numeric_items(self, count: int) -> list[int]:
        """``count`` numeric items of the world's skill; item n's answer is n."""
        prefix = self.n()
        return [
            int(
                self.admin(
                    "POST",
                    "/v1/items",
                    {
                        "external_id": f"num-{prefix}-{k}",
                        "skill_id": self.ids["skill"],
                        "stem": f"Type {k}",
                        "key": {"kind": "numeric", "value": k},
                    },
                )["id"]
            )
            for k in range(count)
        ]

    def summative(self, item_ids: list[int], course: int | None = None, **body: Any) -> int:
        course_id = course or self.ids["course"]
        spec = {"title": f"Unit test {self.n()}", "kind": "summative", "item_ids": item_ids, **body}
        return int(self.admin("POST", f"/v1/courses/{course_id}/assessments", spec)["id"])

    def fresh_sitting(self, who: str = "learner") -> int:
        return int(self.ok(who, "POST", f"/v1/assessments/{self.fresh_quiz()}/sittings")["id"])

    def answered(self, who: str = "learner") -> dict[str, int]:
        """A fresh sitting of ``who`` with one (wrong) answer: its id and the answer's attempt id."""
        sitting = self.fresh_sitting(who)
        answer = {"item_id": self.ids["quiz_item"], "answer": {"choice": "a"}}
        attempt = self.ok(who, "POST", f"/v1/sittings/{sitting}/answers", answer)["attempt_id"]
        return {"sitting_id": sitting, "attempt_id": int(attempt)}

    def exam(self) -> int:
        body = {
            "item_id": self.ids["item"],
            "title": f"Exam {self.n()}",
            "due_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
            "file_types": ["text"],
            "exam": True,
        }
        return int(self.admin("POST", f"/v1/courses/{self.ids['course']}/assignments", body)["id"])

    # what a refusal must leave alone

    def fingerprint(self) -> dict[str, str]:
        """Every table's rows (a digest per table) and the blob store's files."""
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for table in self.tables:
                rows = sorted(repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"')))
                out[table] = f"{len(rows)} rows, {hashlib.sha256(chr(10).join(rows).encode()).hexdigest()[:16]}"
        blobs = self.home / "submissions"
        out["blob store"] = ",".join(sorted(p.name for p in blobs.rglob("*") if p.is_file()))
        return out

    def row(self, model: Any, ident: Any) -> dict[str, Any]:
        """A row as the database holds it (to prove a field was never stored)."""
        with make_session_factory(self.engine)() as session:
            found = session.get(model, ident)
            assert found is not None
            return {c.key: getattr(found, c.key) for c in inspect(model).column_attrs}


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in after if before.get(k) != after[k])


def _beta_world(db_url: str, world: World) -> None:
    """The other tenant's counterpart of every resource a path can name, for guessing ids across tenants."""
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as s:
        beta, course_id = world.ids["other_root"], world.ids["other_course"]
        roles = dict(s.execute(select(Role.name, Role.id)).tuples().all())
        learner = User(tenant_id=beta, email="stranger@world.test", display_name="stranger")
        s.add(learner)
        s.flush()
        unit = Unit(course_id=course_id, position=0, title="Beta unit")
        s.add(unit)
        s.flush()
        lesson = Lesson(unit_id=unit.id, position=0, title="Beta lesson")
        s.add(lesson)
        s.flush()
        activity = Activity(lesson_id=lesson.id, position=0, title="Beta practice")
        item = Item(
            tenant_id=beta,
            external_id="beta-1",
            kind="multiple_choice",
            stem="?",
            answer_key={"kind": "multiple_choice", "choices": [{"id": "a"}, {"id": "b"}], "correct": "a"},
        )
        cohort = Cohort(tenant_id=beta, org_unit_id=world.ids["other_dept"], course_id=course_id, name="Beta period")
        s.add_all([activity, item, cohort])
        s.flush()
        enrollment = Enrollment(user_id=learner.id, course_id=course_id)
        grant = Grant(user_id=learner.id, role_id=roles["Learner"], scope_type="course", scope_id=course_id)
        link = GuardianLink(guardian_id=world.ids["user_outsider"], learner_id=learner.id)
        assessment = Assessment(
            tenant_id=beta,
            course_id=course_id,
            kind="summative",
            selection="fixed",
            title="Beta test",
            spec={"item_ids": [item.id]},
            max_tries=1,
            max_attempts=1,
        )
        assignment = Assignment(
            course_id=course_id,
            item_id=item.id,
            title="Beta essay",
            file_types=["text"],
            due_at=datetime.now(UTC) + timedelta(days=7),
        )
        rule = InstructorRule(name="beta", source=RULE, scope_kind="course", scope_id=str(course_id))
        schedule = PublishSchedule(course_id=course_id, publish_at=datetime.now(UTC) + timedelta(days=365))
        s.add_all(
            [
                enrollment,
                grant,
                link,
                assessment,
                assignment,
                rule,
                schedule,
                CohortMember(cohort_id=cohort.id, user_id=learner.id),
            ]
        )
        s.add(LearnerOverride(learner_id=learner.id, recommend=["Beta practice"], block=[], note=""))
        credential = LRSCredential(key=uuid.uuid4().hex, secret_sha256="2" * 64, name="beta LMS", tenant_id=beta)
        s.add(credential)
        s.flush()
        sitting = AssessmentSitting(
            assessment_id=assessment.id,
            user_id=learner.id,
            registration="00000000-0000-4000-8000-0000000000b2",
            seed=1,
            item_ids=[item.id],
        )
        s.add(sitting)
        s.flush()
        attempt = Attempt(user_id=learner.id, item_id=item.id, activity_id=activity.id, seq=1, response={})
        s.add(attempt)
        s.flush()
        submission = Submission(
            assignment_id=assignment.id,
            user_id=learner.id,
            attempt_id=attempt.id,
            attempt_no=1,
            status="review",
            sha256="0" * 64,
            size=1,
            file_type="text",
            filename="beta.txt",
        )
        admission = ExamAdmission(
            assignment_id=assignment.id,
            user_id=learner.id,
            token_sha256="1" * 64,
            active_key=f"{assignment.id}:{learner.id}",
            client_ip="127.0.0.1",
            expires_at=assignment.due_at,
        )
        s.add_all([submission, admission])
        s.flush()
        empty_tree: dict[str, Any] = {"course": {}, "units": []}
        branch = CourseBranch(
            course_id=course_id, author_id=learner.id, base=empty_tree, tree=empty_tree, open_key=f"{course_id}:beta"
        )
        s.add(branch)
        s.flush()
        review = ReviewRequest(course_id=course_id, branch_id=branch.id, author_id=learner.id, title="Beta review")
        s.add(review)
        s.flush()
        world.ids.update(
            b_branch=branch.id,
            b_request=review.id,
            b_user=learner.id,
            b_unit=unit.id,
            b_lesson=lesson.id,
            b_activity=activity.id,
            b_item=item.id,
            b_cohort=cohort.id,
            b_enrollment=enrollment.id,
            b_grant=grant.id,
            b_link=link.id,
            b_assessment=assessment.id,
            b_assignment=assignment.id,
            b_rule=rule.id,
            b_schedule=schedule.id,
            b_sitting=sitting.id,
            b_attempt=attempt.id,
            b_submission=submission.id,
            b_admission=admission.id,
            b_credential=credential.id,
        )
    engine.dispose()


def _serving(calls: list[str], learner_id: int) -> httpx.Client:
    """Stands in for serving and records every call, so a refusal can be shown to come before any."""

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        body = {"learner_id": str(learner_id), "items": [], "mastery": {}, "model_versions": {}, "variant": {}}
        return httpx.Response(200, json={**body, "course": request.url.params["course"]})

    return httpx.Client(base_url="http://serving.test", transport=httpx.MockTransport(answer))


@pytest.fixture(scope="module", params=DATABASES)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One world per database for the module, its other tenant filled in, and a cheating learner.

    The relay is off, so every outbox row a request writes stays visible to the snapshot.
    """
    settings = {
        "events_relay": False,
        "requests_per_minute": 1_000_000,
        "essay_model_uri": "file:///nonexistent/essay-model",
    }
    with module_world(request, tmp_path_factory, **settings) as (client, world):
        _beta_world(world.db_url, world)
        engine = make_engine(world.db_url)
        api = Api(client, world, engine, client.app.state.settings.home)  # type: ignore[attr-defined]
        api.tables = sorted(inspect(engine).get_table_names())
        client.app.state.serving_client = _serving(api.serving_calls, world.ids["user_learner"])  # type: ignore[attr-defined]
        # a learner of the course who also holds an Assistant Instructor grant on it
        cheat = api.admin(
            "POST", "/v1/users", {"email": "cheat@world.test", "display_name": "cheat", "password": PASSWORD}
        )
        api.admin("POST", f"/v1/courses/{world.ids['course']}/enrollments", {"user_id": cheat["id"]})
        grant = {"user_id": cheat["id"], "role": "Assistant Instructor", "scope_type": "course"}
        api.admin("POST", "/v1/grants", {**grant, "scope_id": world.ids["course"]})
        world.ids["user_cheat"] = cheat["id"]
        world.tokens["cheat"] = login(client, "cheat@world.test")
        try:
            yield api
        finally:
            engine.dispose()


# ---- every mutating route, refused with a valid request, changes nothing ---------------------------


@dataclass
class Call:
    """One request: its path parameters, a valid JSON body or upload, and what to read back."""

    values: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    files: dict[str, Any] | None = None
    readback: str | None = None  # read back as the administrator (default: the nearest GET route above)


@dataclass(frozen=True)
class Valid:
    """A valid request for a route, and who may and may not send it.

    ``allowed`` defaults to the RBAC matrix's roles. ``learner2`` (a second learner of the course)
    is refused wherever the learner is, and also where the route acts on the learner's own
    things (``owner_only``). ``outsider`` is another tenant's administrator: 404 by default,
    ``None`` where the route acts in the caller's own tenant (legitimately, for them).
    """

    prepare: Callable[[Api], Call]
    actor: str = "admin"  # who proves the request valid
    allowed: frozenset[str] | None = None
    owner_only: bool = False
    outsider: int | None = 404
    refused: dict[str, int] = field(default_factory=dict)  # statuses other than 403 for a principal
    changes: bool = True  # False for a POST that only computes (a preview)


def _ids(a: Api, **names: str) -> dict[str, int]:
    return {param: a.ids[key] for param, key in names.items()}


def _mfa_enable(a: Api) -> Call:
    """The guardian enrols an authenticator; the code it shows now is what a correct enable sends."""
    secret = a.ok("guardian", "POST", "/v1/auth/mfa/setup", {})["secret"]
    return Call(body={"code": pyotp.TOTP(secret).now()})


def _grant(a: Api) -> Call:
    user = a.fresh_user()
    body = {"user_id": user, "role": "Assistant Instructor", "scope_type": "course", "scope_id": a.ids["course"]}
    return Call(body=body, readback=f"/v1/users/{user}/grants")


def _existing_grant(a: Api) -> Call:
    call = _grant(a)
    grant = a.admin("POST", "/v1/grants", call.body)
    return Call({"grant_id": grant["id"]}, readback=call.readback)


def _org_unit(a: Api) -> int:
    body = {"parent_id": a.ids["dept"], "slug": f"unit-{a.n()}", "name": "Fresh unit"}
    return int(a.admin("POST", "/v1/org-units", body)["id"])


def _tree(a: Api) -> str:
    return f"/v1/courses/{a.ids['course']}/tree"


def _course_unit(a: Api) -> int:
    return int(a.admin("POST", f"/v1/courses/{a.ids['course']}/units", {"title": "Fresh unit"})["id"])


def _lesson(a: Api) -> int:
    return int(a.admin("POST", f"/v1/units/{a.ids['unit']}/lessons", {"title": "Fresh lesson"})["id"])


def _activity(a: Api) -> int:
    return int(a.admin("POST", f"/v1/lessons/{a.ids['lesson']}/activities", {"title": "Fresh activity"})["id"])


def _enrollment(a: Api, body: Any = None) -> Call:
    row = a.admin("POST", f"/v1/courses/{a.ids['course']}/enrollments", {"user_id": a.fresh_user()})
    return Call({"enrollment_id": row["id"]}, body, readback=f"/v1/courses/{a.ids['course']}/enrollments?limit=200")


def _versions(course: int) -> Call:
    return Call({"course_id": course}, readback=f"/v1/courses/{course}/versions")


def _sitting_answer(values: dict[str, int], body: Any) -> Call:
    return Call(values, body, readback=f"/v1/sittings/{values['sitting_id']}")


def _exam(assignment: int) -> Call:
    return Call({"assignment_id": assignment}, readback=f"/v1/assignments/{assignment}/submissions")


def _member(a: Api) -> Call:
    user = a.fresh_user()
    a.admin("POST", f"/v1/cohorts/{a.ids['cohort']}/members", {"user_id": user})
    return Call({"cohort_id": a.ids["cohort"], "user_id": user})


def _link(a: Api) -> Call:
    body = {"guardian_id": a.ids["user_guardian"], "learner_id": a.fresh_user()}
    return Call({"link_id": a.admin("POST", "/v1/guardian-links", body)["id"]})


def _rule(a: Api) -> int:
    body = {"name": f"rule {a.n()}", "source": RULE, "scope_kind": "course", "scope_id": a.ids["course"]}
    return int(a.admin("POST", "/v1/rules", body)["id"])


def _override(a: Api) -> Call:
    a.admin("PUT", f"/v1/users/{a.ids['user_learner2']}/override", {"recommend": ["Practice"]})
    return Call(_ids(a, user_id="user_learner2"))


def _item(a: Api) -> int:
    body = {"external_id": f"fresh-{a.n()}", "stem": "1 = ?", "key": {"kind": "numeric", "value": 1}}
    return int(a.admin("POST", "/v1/items", body)["id"])


def _published_course(a: Api) -> Call:
    course = a.fresh_course()
    a.admin("POST", f"/v1/courses/{course}/versions")
    return Call({"course_id": course, "version": 1}, readback=f"/v1/courses/{course}/versions")


def _branch(a: Api) -> Call:
    """The administrator's branch of a fresh course."""
    course = a.fresh_course()
    branch = a.admin("POST", f"/v1/courses/{course}/branches", {})
    return Call({"course_id": course, "branch_id": branch["id"]}, readback=f"/v1/courses/{course}/branches")


def _branch_edit(a: Api) -> Call:
    call = _branch(a)
    tree = a.admin("GET", f"/v1/courses/{call.values['course_id']}/branches/{call.values['branch_id']}")["tree"]
    tree["course"]["title"] = "Proposed title"
    return Call(call.values, tree, readback=call.readback)


def _fresh_course_call(a: Api, listing: str, body: Any) -> Call:
    course = a.fresh_course()
    return Call({"course_id": course}, body, readback=f"/v1/courses/{course}/{listing}")


def _review(a: Api, branch: bool = False) -> Call:
    """A review request of the administrator's, on the draft of a fresh course (or on a branch of it)."""
    call = _branch(a) if branch else Call({"course_id": a.fresh_course()})
    course = call.values["course_id"]
    body = {"title": "Please review", "branch_id": call.values.get("branch_id")}
    request = a.admin("POST", f"/v1/courses/{course}/review-requests", body)
    return Call({**call.values, "request_id": request["id"]}, readback=f"/v1/courses/{course}/review-requests")


def _approved(a: Api, branch: bool = False) -> Call:
    call = _review(a, branch)
    path = f"/v1/courses/{call.values['course_id']}/review-requests/{call.values['request_id']}/comments"
    a.ok("instructor", "POST", path, {"verdict": "approve"})
    return call


def _admission(a: Api) -> Call:
    exam = a.exam()
    admission = a.ok("learner", "POST", f"/v1/assignments/{exam}/admissions")
    return Call({"admission_id": admission["id"]}, readback=f"/v1/assignments/{exam}/submissions")


def _essay_file(a: Api) -> dict[str, Any]:
    return {"file": (f"essay-{a.n()}.txt", b"Fractions with a common denominator add their numerators.", "text/plain")}


def _media(a: Api) -> Call:
    """A fresh PNG for the course's media store; read back at the key it would get."""
    content = b"\x89PNG\r\n\x1a\n" + str(a.n()).encode()
    key = upload_key("pic.png", a.ids["course"], content)
    return Call(
        _ids(a, course_id="course"), files={"file": ("pic.png", content, "image/png")}, readback=f"/v1/media/{key}"
    )


def _quiz_spec(a: Api) -> dict[str, Any]:
    return {"title": f"Quiz {a.n()}", "kind": "summative", "item_ids": [a.ids["quiz_item"]]}


def _csv(a: Api) -> dict[str, Any]:
    return {"file": ("rows.csv", f"email,role\nrow{a.n()}@world.test,Learner\n".encode(), "text/csv")}


def _kt_registry(a: Api) -> tuple[Any, list[str]]:
    """The API's rollout store and its two registered kt versions (registered on first use)."""
    from pathwise.contract.rollout.store import RolloutStore
    from tests.api.ml_registry import register_versions

    if "kt_versions" not in a.ids:
        settings = a.client.app.state.settings  # type: ignore[attr-defined]
        register_versions(settings.mlflow_uri, settings.home)
        a.ids["kt_versions"] = 2
    return RolloutStore(a.engine), ["1", "2"]


def _idle_kt(a: Api) -> str:
    """A version that is not the champion, with no rollout of the kt slot running (one is aborted first)."""
    from pathwise.contract.rollout.controller import CanaryController

    store, versions = _kt_registry(a)
    spec = store.load("kt")
    if spec is not None and str(spec.state) == "running":
        CanaryController(spec, on_decision=store.record).abort("reset by the abuse tests")
    champion = spec.champion if spec is not None else versions[0]
    return next(v for v in versions if v != champion)


def _running_kt(a: Api, served: bool = False) -> Call:
    """A canary of version 2 running; ``served``: it already passed the one request its gates ask for."""
    from pathwise.contract.rollout.controller import CanaryController
    from pathwise.contract.rollout.pooled import PooledMetrics
    from pathwise.contract.rollout.spec import Gates, RolloutSpec, Slot

    challenger = _idle_kt(a)
    store, _ = _kt_registry(a)
    spec = store.load("kt") or RolloutSpec(slot=Slot.KT, model_name="pathwise-bkt", champion="1")
    controller = CanaryController(spec, on_decision=store.record)
    controller.start(challenger, gates=Gates(min_requests=1, min_outcomes=1))
    if served:
        batch = {"requests": 1, "errors": 0, "latencies_ms": [3.0], "predictions": [], "labels": []}
        PooledMetrics(a.engine).write("kt", [{"variant": "challenger", "version": challenger, **batch}])
    return Call({"slot": "kt"}, readback="/v1/rollouts/kt")


LEARNER_ONLY = frozenset({"learner"})
STAFF = frozenset({"admin", "instructor", "assistant"})
AUTHORS = frozenset({"admin", "instructor"})

#: A valid request for every mutating route of the user API (the public login routes and the LRS aside).
VALID: dict[str, Valid] = {
    # one's own authenticator: anyone signed in, for themselves only
    "POST /v1/auth/mfa/setup": Valid(lambda a: Call(body={}), actor="instructor", outsider=None),
    "POST /v1/auth/mfa/enable": Valid(_mfa_enable, actor="guardian", outsider=None),
    "POST /v1/auth/password": Valid(
        lambda a: Call(body={"current_password": PASSWORD, "new_password": f"a-new-password-{a.n()}"}),
        actor="learner2",
        outsider=None,
    ),
    # users and grants; another tenant's administrator creates users in their own tenant only
    "POST /v1/users": Valid(
        lambda a: Call(body={"email": f"new{a.n()}@world.test", "display_name": "New"}), outsider=None
    ),
    "PATCH /v1/users/{user_id}": Valid(
        lambda a: Call(_ids(a, user_id="user_learner2"), {"display_name": "Learner two"})
    ),
    "POST /v1/users/{user_id}/invitations": Valid(lambda a: Call({"user_id": a.fresh_user()})),
    "POST /v1/grants": Valid(_grant),
    "DELETE /v1/grants/{grant_id}": Valid(_existing_grant),
    "POST /v1/org-units": Valid(
        lambda a: Call(body={"parent_id": a.ids["dept"], "slug": f"new-{a.n()}", "name": "New unit"})
    ),
    "PATCH /v1/org-units/{unit_id}": Valid(lambda a: Call({"unit_id": _org_unit(a)}, {"name": "Renamed unit"})),
    "DELETE /v1/org-units/{unit_id}": Valid(lambda a: Call({"unit_id": _org_unit(a)}, readback="/v1/org-units")),
    "POST /v1/org-units/{unit_id}/onboarding": Valid(
        lambda a: Call(
            _ids(a, unit_id="dept"),
            {"rows": [{"email": f"row{a.n()}@world.test", "role": "Learner"}]},
            readback="/v1/users?limit=200",
        )
    ),
    "POST /v1/org-units/{unit_id}/onboarding/csv": Valid(
        lambda a: Call(_ids(a, unit_id="dept"), files=_csv(a), readback="/v1/users?limit=200")
    ),
    # the organization's LRS clients; another tenant's administrator issues them for their own tenant only
    "POST /v1/lrs-credentials": Valid(lambda a: Call(body={"name": f"LMS {a.n()}"}), outsider=None),
    "DELETE /v1/lrs-credentials/{credential_id}": Valid(
        lambda a: Call({"credential_id": a.admin("POST", "/v1/lrs-credentials", {"name": f"LMS {a.n()}"})["id"]})
    ),
    # courses and their content
    "POST /v1/courses": Valid(
        lambda a: Call(body={"org_unit_id": a.ids["dept"], "code": f"N{a.n()}", "title": "New course"})
    ),
    "PATCH /v1/courses/{course_id}": Valid(lambda a: Call({"course_id": a.fresh_course()}, {"title": "Renamed"})),
    "DELETE /v1/courses/{course_id}": Valid(lambda a: Call({"course_id": a.fresh_course()})),
    "POST /v1/courses/{course_id}/versions": Valid(lambda a: _versions(a.fresh_course())),
    "POST /v1/courses/{course_id}/versions/{version}/rollback": Valid(_published_course),
    "POST /v1/courses/{course_id}/schedules": Valid(
        lambda a: Call(_ids(a, course_id="course"), {"publish_at": "2999-01-01T00:00:00+00:00"})
    ),
    "DELETE /v1/schedules/{schedule_id}": Valid(
        lambda a: Call(
            {
                "schedule_id": a.admin(
                    "POST", f"/v1/courses/{a.ids['course']}/schedules", {"publish_at": "2999-06-01T00:00:00+00:00"}
                )["id"]
            }
        )
    ),
    "POST /v1/courses/{course_id}/media": Valid(_media),
    # the publishing workflow
    "POST /v1/courses/{course_id}/branches": Valid(lambda a: _fresh_course_call(a, "branches", {})),
    "PUT /v1/courses/{course_id}/branches/{branch_id}/tree": Valid(_branch_edit),
    "POST /v1/courses/{course_id}/branches/{branch_id}/merge": Valid(lambda a: _approved(a, branch=True)),
    "DELETE /v1/courses/{course_id}/branches/{branch_id}": Valid(_branch),
    "POST /v1/courses/{course_id}/review-requests": Valid(
        lambda a: _fresh_course_call(a, "review-requests", {"title": "Please review"})
    ),
    "POST /v1/courses/{course_id}/review-requests/{request_id}/comments": Valid(
        lambda a: Call(_review(a).values, {"verdict": "comment", "body": "Reads well"})
    ),
    "POST /v1/courses/{course_id}/review-requests/{request_id}/publish": Valid(lambda a: Call(_approved(a).values, {})),
    "POST /v1/courses/{course_id}/units": Valid(
        lambda a: Call(_ids(a, course_id="course"), {"title": "New unit"}, readback=_tree(a))
    ),
    "PATCH /v1/units/{unit_id}": Valid(
        lambda a: Call({"unit_id": _course_unit(a)}, {"title": "Renamed"}, readback=_tree(a))
    ),
    "DELETE /v1/units/{unit_id}": Valid(lambda a: Call({"unit_id": _course_unit(a)}, readback=_tree(a))),
    "POST /v1/units/{unit_id}/lessons": Valid(
        lambda a: Call(_ids(a, unit_id="unit"), {"title": "New lesson"}, readback=_tree(a))
    ),
    "PATCH /v1/lessons/{lesson_id}": Valid(
        lambda a: Call({"lesson_id": _lesson(a)}, {"title": "Renamed"}, readback=_tree(a))
    ),
    "DELETE /v1/lessons/{lesson_id}": Valid(lambda a: Call({"lesson_id": _lesson(a)}, readback=_tree(a))),
    "POST /v1/lessons/{lesson_id}/activities": Valid(
        lambda a: Call(_ids(a, lesson_id="lesson"), {"title": "New activity"}, readback=_tree(a))
    ),
    "PATCH /v1/activities/{activity_id}": Valid(lambda a: Call({"activity_id": _activity(a)}, {"title": "Renamed"})),
    "DELETE /v1/activities/{activity_id}": Valid(lambda a: Call({"activity_id": _activity(a)}, readback=_tree(a))),
    # enrollments, cohorts, guardians
    "POST /v1/courses/{course_id}/enrollments": Valid(
        lambda a: Call(_ids(a, course_id="course"), {"user_id": a.fresh_user()})
    ),
    "PATCH /v1/enrollments/{enrollment_id}": Valid(lambda a: _enrollment(a, {"status": "dropped"})),
    "DELETE /v1/enrollments/{enrollment_id}": Valid(_enrollment),
    "POST /v1/cohorts": Valid(
        lambda a: Call(body={"org_unit_id": a.ids["dept"], "course_id": a.ids["course"], "name": f"Period {a.n()}"})
    ),
    "POST /v1/cohorts/{cohort_id}/members": Valid(
        lambda a: Call(_ids(a, cohort_id="cohort"), {"user_id": a.fresh_user()})
    ),
    "DELETE /v1/cohorts/{cohort_id}/members/{user_id}": Valid(_member),
    "POST /v1/guardian-links": Valid(
        lambda a: Call(body={"guardian_id": a.ids["user_guardian"], "learner_id": a.fresh_user()})
    ),
    "DELETE /v1/guardian-links/{link_id}": Valid(_link),
    # a learner's own preferences: only they set them
    "PUT /v1/learners/{learner_id}/preferences": Valid(
        lambda a: Call(_ids(a, learner_id="user_learner"), {"formats": ["video"], "focus_skills": [a.ids["skill"]]}),
        actor="learner",
        allowed=LEARNER_ONLY,
        owner_only=True,
    ),
    # the learner app: one's own progress pointer, and offline batches of one's own work
    "PUT /v1/learners/{learner_id}/progress/{activity_id}": Valid(
        lambda a: Call(
            _ids(a, learner_id="user_learner", activity_id="activity"),
            {"position": 0.5, "client_updated_at": datetime.now(UTC).isoformat()},
            readback=f"/v1/learners/{a.ids['user_learner']}/home",
        ),
        actor="learner",
        allowed=LEARNER_ONLY,
        owner_only=True,
    ),
    "POST /v1/sync": Valid(
        lambda a: Call(
            body={
                "batch_id": str(uuid.uuid4()),
                "changes": [
                    {
                        "id": str(uuid.uuid4()),
                        "type": "progress",
                        "activity_id": a.ids["activity"],
                        "position": 0.25,
                        "client_updated_at": datetime.now(UTC).isoformat(),
                    }
                ],
            },
            readback=f"/v1/learners/{a.ids['user_learner']}/preferences",
        ),
        actor="learner",
        outsider=None,
    ),
    # practice attempts and grades
    "POST /v1/activities/{activity_id}/attempts": Valid(
        lambda a: Call(
            _ids(a, activity_id="activity"),
            {"item_id": a.ids["quiz_item"], "answer": {"choice": "b"}},
            readback=f"/v1/users/{a.ids['user_learner2']}/attempts?limit=200",
        ),
        actor="learner2",
    ),
    "POST /v1/attempts/{attempt_id}/grade": Valid(
        lambda a: Call(
            _ids(a, attempt_id="attempt"),
            {"score": 1.0, "feedback": "Well done."},
            readback=f"/v1/users/{a.ids['user_learner']}/attempts?limit=200",
        ),
        actor="assistant",
    ),
    # instructor rules and overrides
    "POST /v1/rules": Valid(
        lambda a: Call(
            body={"name": f"rule {a.n()}", "source": RULE, "scope_kind": "course", "scope_id": a.ids["course"]},
            readback=f"/v1/rules?scope_kind=course&scope_id={a.ids['course']}",
        )
    ),
    "PATCH /v1/rules/{rule_id}": Valid(lambda a: Call({"rule_id": _rule(a)}, {"name": "renamed rule"})),
    "DELETE /v1/rules/{rule_id}": Valid(lambda a: Call({"rule_id": _rule(a)})),
    "POST /v1/cohorts/{cohort_id}/rules/preview": Valid(
        lambda a: Call(_ids(a, cohort_id="cohort"), {"source": RULE}), actor="assistant", changes=False
    ),
    "POST /v1/rules:check": Valid(
        lambda a: Call(body={"source": RULE, "scope_kind": "course", "scope_id": a.ids["course"]}),
        actor="assistant",
        changes=False,
    ),
    "PUT /v1/users/{user_id}/override": Valid(
        lambda a: Call(_ids(a, user_id="user_learner2"), {"recommend": ["Practice"], "note": "catch up"})
    ),
    "DELETE /v1/users/{user_id}/override": Valid(_override),
    # the ML console's rollouts (a registry of two kt versions in the API's own MLflow store)
    "POST /v1/rollouts/{slot}/start": Valid(
        lambda a: Call({"slot": "kt"}, {"challenger": _idle_kt(a)}, readback="/v1/rollouts/kt")
    ),
    "POST /v1/rollouts/{slot}/promote": Valid(lambda a: _running_kt(a, served=True)),
    "POST /v1/rollouts/{slot}/abort": Valid(lambda a: _running_kt(a)),
    # the question bank; another tenant's administrator authors in their own bank
    "POST /v1/items": Valid(
        lambda a: Call(
            body={"external_id": f"new-{a.n()}", "stem": "2 + 2 = ?", "key": {"kind": "numeric", "value": 4}}
        ),
        outsider=None,
    ),
    "PATCH /v1/items/{item_id}": Valid(lambda a: Call({"item_id": _item(a)}, {"stem": "Changed stem"})),
    "DELETE /v1/items/{item_id}": Valid(lambda a: Call({"item_id": _item(a)}, readback="/v1/items?limit=200")),
    "POST /v1/items/{item_id}/regrade": Valid(
        lambda a: Call(_ids(a, item_id="quiz_item"), {"reason": "the key was corrected"}), actor="instructor"
    ),
    # assessments and sittings: only the learner who sits one works in it
    "POST /v1/courses/{course_id}/assessments": Valid(
        lambda a: Call(
            _ids(a, course_id="course"),
            {"title": f"Test {a.n()}", "kind": "summative", "item_ids": [a.ids["quiz_item"]]},
        )
    ),
    "PATCH /v1/assessments/{assessment_id}": Valid(
        lambda a: Call(
            {"assessment_id": a.admin("POST", f"/v1/courses/{a.ids['course']}/assessments", _quiz_spec(a))["id"]},
            {"item_ids": [a.ids["quiz_item"]], "title": "Retitled"},
        )
    ),
    "POST /v1/assessments/{assessment_id}/sittings": Valid(
        lambda a: Call({"assessment_id": a.fresh_quiz()}), actor="learner2"
    ),
    "POST /v1/sittings/{sitting_id}/answers": Valid(
        lambda a: Call({"sitting_id": a.fresh_sitting()}, {"item_id": a.ids["quiz_item"], "answer": {"choice": "a"}}),
        actor="learner",
        allowed=LEARNER_ONLY,
        owner_only=True,
    ),
    "POST /v1/sittings/{sitting_id}/finish": Valid(
        lambda a: Call({"sitting_id": a.fresh_sitting()}), actor="learner", allowed=LEARNER_ONLY, owner_only=True
    ),
    "POST /v1/sittings/{sitting_id}/answers/{attempt_id}/adjustments": Valid(
        lambda a: _sitting_answer(a.answered(), {"score": 1.0, "reason": "rubric row 2"}),
        actor="assistant",
    ),
    # GraphQL: the route admits anyone signed in; the enroll mutation only those who enroll
    "POST /graphql": Valid(
        lambda a: Call(
            body={"query": ENROLL, "variables": {"course": a.ids["course"], "user": a.fresh_user()}},
            readback=f"/v1/courses/{a.ids['course']}/enrollments?limit=200",
        ),
        allowed=AUTHORS,
    ),
    # assignments, the submission portal, exams and review
    "POST /v1/courses/{course_id}/assignments": Valid(
        lambda a: Call(
            _ids(a, course_id="course"),
            {
                "item_id": a.ids["item"],
                "title": f"Essay {a.n()}",
                "due_at": (datetime.now(UTC) + timedelta(days=5)).isoformat(),
                "file_types": ["text"],
            },
        )
    ),
    "PATCH /v1/assignments/{assignment_id}": Valid(
        lambda a: Call(_ids(a, assignment_id="assignment"), {"title": "Essay one, revised"})
    ),
    "POST /v1/assignments/{assignment_id}/submissions": Valid(
        lambda a: Call(_ids(a, assignment_id="assignment"), files=_essay_file(a)), actor="learner2"
    ),
    "POST /v1/assignments/{assignment_id}/admissions": Valid(
        lambda a: _exam(a.exam()),
        actor="learner",
    ),
    # the learner ends their own admission; anyone else's is not revealed
    "POST /v1/exam-admissions/{admission_id}/end": Valid(
        _admission, actor="learner", allowed=LEARNER_ONLY, owner_only=True, refused={"admin": 404, "learner2": 404}
    ),
    "POST /v1/submissions/{submission_id}/comments": Valid(
        lambda a: Call(_ids(a, submission_id="submission"), {"body": "Well argued."}), actor="assistant"
    ),
    "POST /v1/submissions/{submission_id}/adjustments": Valid(
        lambda a: Call(_ids(a, submission_id="submission"), {"score": 0.8, "reason": "rubric row 3"}),
        actor="assistant",
    ),
}


def _user_routes(client: TestClient) -> dict[str, Any]:
    return {
        key: route
        for key, route in app_routes(client).items()
        if key not in PUBLIC and not key.startswith("HEAD ") and not key.split(" ", 1)[1].startswith(LRS_PREFIX)
    }


def _mutating(client: TestClient) -> list[str]:
    return sorted(k for k in _user_routes(client) if k.split(" ", 1)[0] in MUTATING)


def _fill(template: str, values: dict[str, Any]) -> str:
    path = template
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    assert "{" not in path, f"{template}: a path parameter is left unfilled"
    return path


def _readback(client: TestClient, template: str, values: dict[str, Any]) -> str | None:
    """The nearest GET route at or above the route's path (``/a/{id}/b`` → ``/a/{id}/b``, ``/a/{id}``, ``/a``)."""
    gets = {k.split(" ", 1)[1] for k in _user_routes(client) if k.startswith("GET ")}
    parts = template.split("/")
    while len(parts) > 2:
        candidate = "/".join(parts)
        if candidate in gets:
            return _fill(candidate, values)
        parts = parts[:-1]
    return None


def refusals(key: str, valid: Valid) -> dict[str, int]:
    """Who must be refused, and with which status."""
    allowed = valid.allowed if valid.allowed is not None else MATRIX[key].allowed
    out = {role: 403 for role in ROLE_USERS if role not in allowed}
    if valid.owner_only or "learner" not in allowed:
        out["learner2"] = 403
    if valid.outsider is not None:
        out["outsider"] = valid.outsider
    out["anonymous"] = 401
    return out | valid.refused


def _send(a: Api, who: str, key: str, call: Call) -> httpx.Response:
    method, template = key.split(" ", 1)
    kwargs: dict[str, Any] = {"files": call.files} if call.files is not None else {}
    return a.call(who, method, _fill(template, call.values), call.body, **kwargs)


def _read(a: Api, path: str | None) -> Any:
    if path is None:
        return None
    response = a.call("admin", "GET", path)
    return response.status_code, response.json() if response.content else None


def _is_refusal(key: str, response: httpx.Response) -> bool:
    """A problem+json document; GraphQL answers with its own errors, each carrying the problem's code."""
    if key != "POST /graphql" or response.status_code == 401:
        return response.headers.get("content-type") == "application/problem+json"
    codes = {(e.get("extensions") or {}).get("code") for e in response.json().get("errors", [])}
    return codes in ({"FORBIDDEN"}, {"NOT_FOUND"}) and response.json().get("data") in (None, {"enroll": None})


def test_every_mutating_route_has_a_valid_request(api: Api) -> None:
    """A new POST/PUT/PATCH/DELETE route fails here until it has a valid request in :data:`VALID`."""
    routes = _mutating(api.client)
    assert sorted(set(routes) - VALID.keys()) == [], "new mutating routes need a valid request in VALID"
    assert sorted(VALID.keys() - set(routes)) == [], "VALID entries for routes that no longer exist"


def test_refused_requests_change_nothing(api: Api, record_property: Any) -> None:
    """Every mutating route x every principal who may not send it: refused, and nothing written."""
    failures: list[str] = []
    checked = 0
    for key in _mutating(api.client):
        valid = VALID.get(key)
        if valid is None:
            failures.append(f"{key}: no valid request in VALID")
            continue
        call = valid.prepare(api)
        readback = call.readback or _readback(api.client, key.split(" ", 1)[1], call.values)
        before, shown = api.fingerprint(), _read(api, readback)
        for who, status in refusals(key, valid).items():
            response = _send(api, who, key, call)
            checked += 1
            if response.status_code != status:
                failures.append(f"{key} as {who}: {response.status_code}, expected {status}: {response.text[:200]}")
            elif not _is_refusal(key, response):
                failures.append(f"{key} as {who}: the refusal is not a problem document: {response.text[:200]}")
            after, now_shown = api.fingerprint(), _read(api, readback)
            if after != before:
                failures.append(f"{key} as {who}: refused, yet changed {changed(before, after)}")
            elif now_shown != shown:
                failures.append(f"{key} as {who}: refused, yet {readback} reads differently")
            before, shown = after, now_shown
        proof = _send(api, valid.actor, key, call)
        if proof.status_code not in (200, 201, 202, 204):
            failures.append(f"{key} as {valid.actor} (allowed): {proof.status_code} {proof.text[:200]}")
        elif valid.changes and api.fingerprint() == before:
            failures.append(f"{key} as {valid.actor} (allowed): succeeded but changed nothing the snapshot sees")
    record_property("refusals_checked", checked)
    print(f"abuse cases: {len(_mutating(api.client))} mutating routes, {checked} refused requests")
    assert failures == [], "\n".join(failures)


# ---- ids guessed across tenants: 404, whoever asks and whatever they may do at home ----------------

#: The other tenant's resource for each path parameter (``unit_id`` of an org unit is its department).
BETA = {
    "user_id": "b_user",
    "learner_id": "b_user",
    "grant_id": "b_grant",
    "course_id": "other_course",
    "schedule_id": "b_schedule",
    "branch_id": "b_branch",
    "request_id": "b_request",
    "unit_id": "b_unit",
    "lesson_id": "b_lesson",
    "activity_id": "b_activity",
    "enrollment_id": "b_enrollment",
    "cohort_id": "b_cohort",
    "link_id": "b_link",
    "attempt_id": "b_attempt",
    "rule_id": "b_rule",
    "item_id": "b_item",
    "assessment_id": "b_assessment",
    "sitting_id": "b_sitting",
    "assignment_id": "b_assignment",
    "admission_id": "b_admission",
    "submission_id": "b_submission",
    "credential_id": "b_credential",
}


#: Path parameters that name deployment-wide things (the ML console's models, slots, experiments), not rows
#: of a tenant: no other tenant has "its" one, so only the other tenant's administrator is tried on them.
NAMED = {"name", "slot", "key", "kind"}


def _beta_values(a: Api, template: str) -> dict[str, Any]:
    names = [part[1:-1] for part in template.split("/") if part.startswith("{")]
    values: dict[str, Any] = {}
    for name in names:
        if name in NAMED:
            continue
        if name == "version":
            values[name] = 1
        elif name == "unit_id" and template.startswith("/v1/org-units/"):
            values[name] = a.ids["other_dept"]
        else:
            values[name] = a.ids[BETA[name]]
    return values


def _alpha_values(a: Api, template: str, case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
    """Path and query values naming this tenant's resources, as the RBAC matrix names them."""
    values: dict[str, Any] = {p: a.ids[k] for p, k in (case.params or {}).items()}
    if case.factory is not None:
        values |= case.factory(a.client, a.world)
    query = dict(case.query or {}) | {q: a.ids[k] for q, k in (case.query_ids or {}).items()}
    for name in [q for q in query if "{" + q + "}" in template]:  # the matrix passes some path values here
        values[name] = query.pop(name)
    return values, query


def _nowhere(template: str) -> dict[str, Any]:
    return {part[1:-1]: MAX_ID for part in template.split("/") if part.startswith("{")}


def _same_answer(one: httpx.Response, other: httpx.Response) -> bool:
    """The same status and problem, the path aside: the caller learns nothing from the id."""

    def shape(response: httpx.Response) -> Any:
        return response.status_code, {k: v for k, v in response.json().items() if k != "instance"}

    return shape(one) == shape(other)


def test_ids_of_another_tenant_are_not_found_on_every_route(api: Api) -> None:
    """Every route with an id in its path, called with the other tenant's ids by this tenant's
    administrator and learner, and with this tenant's ids by the other tenant's administrator:
    404, or an answer identical to the one for an id that exists nowhere (a route that checks
    a permission the caller holds nowhere before it looks at the id); never 200, never a 403
    that admits the resource exists. And nothing changes."""
    failures: list[str] = []
    checked = 0
    for key, case in MATRIX.items():
        method, template = key.split(" ", 1)
        if "{" not in template:
            continue
        mine, query = _alpha_values(api, template, case)
        body = VALID[key].prepare(api).body if key in VALID else None
        theirs = _beta_values(api, template)
        beta_query = dict.fromkeys(case.query_ids or {}, api.ids["other_course"]) | {
            q: v for q, v in (case.query or {}).items() if q not in theirs
        }
        attempts = [
            ("admin", theirs, beta_query),
            ("learner", theirs, beta_query),
            ("outsider", mine, query),
        ]
        if NAMED & {part[1:-1] for part in template.split("/")}:
            attempts = attempts[2:]
        for who, values, params in attempts:
            before = api.fingerprint() if method in MUTATING else None
            response = api.call(who, method, _fill(template, values), body, params=params)
            checked += 1
            if response.status_code != 404 and not (
                response.status_code == 403
                and _same_answer(response, api.call(who, method, _fill(template, _nowhere(template)), body))
            ):
                failures.append(f"{key} as {who} with {values}: {response.status_code} {response.text[:160]}")
            if before is not None and api.fingerprint() != before:
                failures.append(
                    f"{key} as {who}: another tenant's id, yet changed {changed(before, api.fingerprint())}"
                )
    print(f"cross-tenant ids: {checked} requests")
    assert failures == [], "\n".join(failures)


def test_ids_beyond_any_row_are_not_found(api: Api) -> None:
    """Guessing past the last id (or past the column's range) finds nothing, on reads and writes alike."""
    for who in ("admin", "learner"):
        for path in ("/v1/courses/2147483647", "/v1/sittings/2147483647", "/v1/submissions/99999999999"):
            response = api.call(who, "GET", path)
            assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
        answer = {"item_id": api.ids["quiz_item"], "answer": {"choice": "b"}}
        assert api.call(who, "POST", "/v1/sittings/2147483647/answers", answer).status_code == 404
        assert api.call(who, "POST", "/v1/sittings/2147483648/finish").status_code == 404


# ---- cheating, as a learner would try it ------------------------------------------------------------


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.text
    return dict(response.json())


def test_a_learner_cannot_claim_correctness(api: Api) -> None:
    """``correct`` and ``score`` in attempt and answer bodies (or inside the answer) are refused, never stored."""
    learner = api.ids["user_learner"]
    practice = f"/v1/activities/{api.ids['activity']}/attempts"
    sitting = api.fresh_sitting()
    answers = f"/v1/sittings/{sitting}/answers"
    wrong = {"item_id": api.ids["quiz_item"], "answer": {"choice": "a"}}
    claims = [
        {**wrong, "correct": True},
        {**wrong, "score": 1.0},
        {**wrong, "correct": True, "score": 1.0, "feedback": "perfect"},
        {**wrong, "answer": {"choice": "a", "correct": True}},
        {**wrong, "answer": {"choice": "a", "score": 1}},
    ]
    before, shown = api.fingerprint(), api.admin("GET", f"/v1/sittings/{sitting}")
    for claim in claims:
        for path in (practice, answers):
            detail = _problem(api.call("learner", "POST", path, claim), 422)["detail"]
            assert "correct" in detail or "score" in detail or "feedback" in detail, detail
    assert changed(before, api.fingerprint()) == []
    assert api.admin("GET", f"/v1/sittings/{sitting}") == shown

    # without the claim the same answer is taken, and the server grades it wrong
    taken = api.ok("learner", "POST", practice, wrong)
    assert (taken["correct"], taken["score"]) == (False, 0.0)
    stored = api.row(Attempt, taken["id"])
    assert (stored["user_id"], stored["correct"], stored["score"]) == (learner, False, 0.0)
    graded = api.ok("learner", "POST", answers, wrong)
    assert (graded["correct"], graded["score"]) == (False, 0.0)
    assert api.row(Attempt, graded["attempt_id"])["correct"] is False


def test_no_one_works_in_another_learners_sitting(api: Api) -> None:
    """Another learner, the cheat, the guardian and staff may not answer, finish or draw from a sitting."""
    sitting = api.fresh_sitting("learner")
    right = {"item_id": api.ids["quiz_item"], "answer": {"choice": "b"}}
    before, shown = api.fingerprint(), api.admin("GET", f"/v1/sittings/{sitting}")
    for who in ("learner2", "cheat", "guardian", "assistant", "instructor", "admin"):
        for method, path, body in (
            ("POST", f"/v1/sittings/{sitting}/answers", right),
            ("POST", f"/v1/sittings/{sitting}/finish", None),
            ("GET", f"/v1/sittings/{sitting}/next", None),
        ):
            detail = _problem(api.call(who, method, path, body), 403)["detail"]
            assert "another learner" in detail, f"{who} {method} {path}: {detail}"
    _problem(api.call("outsider", "POST", f"/v1/sittings/{sitting}/answers", right), 404)
    assert changed(before, api.fingerprint()) == []
    assert api.admin("GET", f"/v1/sittings/{sitting}") == shown
    # the learner's own answer still goes through: the refusals were about the callers
    assert api.ok("learner", "POST", f"/v1/sittings/{sitting}/answers", right)["correct"] is True


def test_no_sitting_in_a_course_one_is_not_enrolled_in(api: Api) -> None:
    course = api.fresh_course()
    test = api.summative([api.ids["quiz_item"]], course=course)
    before = api.fingerprint()
    for who in ("learner", "cheat", "guardian"):
        _problem(api.call(who, "POST", f"/v1/assessments/{test}/sittings"), 403)
        _problem(api.call(who, "GET", f"/v1/assessments/{test}"), 403)
    assert changed(before, api.fingerprint()) == []
    assert api.admin("GET", f"/v1/courses/{course}/gradebook")["rows"] == []
    # enrolled, the learner may start it
    api.admin("POST", f"/v1/courses/{course}/enrollments", {"user_id": api.ids["user_learner2"]})
    assert api.call("learner2", "POST", f"/v1/assessments/{test}/sittings").status_code == 201


class ProvisionalEssayGrader:
    """Grades every essay as the cross-prompt model does before a prompt has enough scored essays:
    a provisional score, flagged for an instructor to confirm."""

    def grade(self, kind: str, key: dict[str, Any], content: bytes, scored: Any = None) -> Any:
        from platform_api.domain.assignments.autograde import Outcome

        report = {"rubric_score": 3, "max_score": 4, "confidence": 0.4, "provisional": True}
        flags = ["essay: provisional: an instructor confirms the cross-prompt model's score"]
        return Outcome(0.75, flags, report, ["Provisional score 3 of 4; an instructor will confirm it."])


def _attempt_rows(api: Api, reader: str, learner: int, ids: set[int]) -> list[dict[str, Any]]:
    page = api.ok(reader, "GET", f"/v1/users/{learner}/attempts", params={"limit": 200})
    return [row for row in page["items"] if row["id"] in ids]


def _has_key(value: Any, names: set[str]) -> bool:
    if isinstance(value, dict):
        return any(k in names or _has_key(v, names) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_key(v, names) for v in value)
    return False


def test_summative_results_stay_hidden_until_release_on_every_route(api: Api) -> None:
    """A learner (and the cheat, who grades the course) reads nothing of an open summative sitting's
    results: not in the answer, the sitting, the next item, the attempts list, the grade book (CSV
    too), either review queue, nor GraphQL, which has no field that could carry one."""
    items = api.numeric_items(2)
    essay = int(
        api.admin(
            "POST",
            "/v1/items",
            {"external_id": f"essay-{api.n()}", "skill_id": api.ids["skill"], "stem": "Why?", "key": {"kind": "essay"}},
        )["id"]
    )
    test = api.summative([*items, essay], pass_mark=0.5)
    course = api.ids["course"]
    api.client.app.state.graders = ProvisionalEssayGrader()  # type: ignore[attr-defined]
    essays: dict[str, int] = {}
    try:
        for who, readers in (("learner", ("learner", "guardian")), ("cheat", ("cheat",))):
            user = api.ids[f"user_{who}"]
            sitting = api.ok(who, "POST", f"/v1/assessments/{test}/sittings")["id"]
            answers = [
                api.ok(who, "POST", f"/v1/sittings/{sitting}/answers", {"item_id": i, "answer": {"value": k}})
                for k, i in enumerate(items)
            ]
            answers.append(
                api.ok(
                    who, "POST", f"/v1/sittings/{sitting}/answers", {"item_id": essay, "answer": {"text": "Because."}}
                )
            )
            assert all((a["score"], a["correct"], a["feedback"]) == (None, None, []) for a in answers)
            mine, essays[who] = {a["attempt_id"] for a in answers}, answers[-1]["attempt_id"]
            assert api.ok(who, "GET", f"/v1/sittings/{sitting}/next") is None
            for reader in readers:
                view = api.ok(reader, "GET", f"/v1/sittings/{sitting}")
                assert (view["score"], view["passed"], view["results"]) == (None, None, None), reader
                rows = _attempt_rows(api, reader, user, mine)
                assert len(rows) == 3 and all((r["correct"], r["score"]) == (None, None) for r in rows), reader
                listed = next(
                    r for r in api.ok(reader, "GET", f"/v1/users/{user}/sittings")["items"] if r["id"] == sitting
                )
                assert (listed["score"], listed["passed"], listed["results"]) == (None, None, None), reader
            if who == "learner":
                for path in ("gradebook", "gradebook.csv", "review-queue", "review-queue/answers"):
                    _problem(api.call(who, "GET", f"/v1/courses/{course}/{path}"), 403)
            else:  # the cheat grades the course, yet sees no result of their own
                book = api.ok(who, "GET", f"/v1/courses/{course}/gradebook")
                row = next(r for r in book["rows"] if r["user_id"] == user)
                assert row["tests"][str(test)]["score"] is None and row["mean"] is None
                csv_row = next(
                    line
                    for line in api.call(who, "GET", f"/v1/courses/{course}/gradebook.csv").text.splitlines()
                    if line.startswith(f"{user},")
                )
                assert csv_row.split(",")[-1] == ""  # no mean, no score
                queue = api.ok(who, "GET", f"/v1/courses/{course}/review-queue/answers", params={"limit": 200})
                listed = {r["attempt_id"] for r in queue["items"]}
                assert not listed & mine, "the cheat reads the grader's report on their own answer"
                assert essays["learner"] in listed  # others' answers are theirs to review
            # staff who grade the course do see them (the answers are graded, just not released)
            staff = _attempt_rows(api, "instructor", user, mine)
            assert sorted(r["score"] for r in staff if r["score"] is not None) == [1.0, 1.0]
            queue = api.admin("GET", f"/v1/courses/{course}/review-queue/answers?limit=200")["items"]
            assert [r["report"]["rubric_score"] for r in queue if r["attempt_id"] in mine] == [3]
    finally:
        api.client.app.state.graders = None  # type: ignore[attr-defined]

    # GraphQL has no field that carries a score, a result or an answer's correctness
    types = api.ok("learner", "POST", "/graphql", {"query": "{ __schema { types { name fields { name } } } }"})
    fields = {
        f["name"]
        for t in types["data"]["__schema"]["types"]
        if not t["name"].startswith("__")
        for f in t["fields"] or []
    }
    assert not fields & {"score", "correct", "passed", "results", "attempts", "sittings", "gradebook", "answerKey"}
    me = api.ok("cheat", "POST", "/graphql", {"query": "{ me { id enrollments { id courseId status } } }"})
    assert not _has_key(me, {"score", "correct", "passed"})

    # finished, the results are released to the learner
    sitting = api.ok("learner", "POST", f"/v1/assessments/{test}/sittings")  # resumes the open one
    done = api.ok("learner", "POST", f"/v1/sittings/{sitting['id']}/finish")
    assert done["status"] == "finished" and [o["score"] for o in done["results"]][:2] == [1.0, 1.0]


def test_no_retake_beyond_the_limit_and_no_reuse_of_a_finished_sitting(api: Api) -> None:
    items = api.numeric_items(1)
    test = api.summative(items)  # one attempt by default
    sitting = api.ok("learner", "POST", f"/v1/assessments/{test}/sittings")["id"]
    api.ok("learner", "POST", f"/v1/sittings/{sitting}/answers", {"item_id": items[0], "answer": {"value": 5}})
    result = api.ok("learner", "POST", f"/v1/sittings/{sitting}/finish")
    assert (result["score"], result["attempts_left"]) == (0.0, 0)

    before, shown = api.fingerprint(), api.admin("GET", f"/v1/sittings/{sitting}")
    assert (
        "no further attempt" in _problem(api.call("learner", "POST", f"/v1/assessments/{test}/sittings"), 409)["detail"]
    )
    right = {"item_id": items[0], "answer": {"value": 0}}
    assert "finished" in _problem(api.call("learner", "POST", f"/v1/sittings/{sitting}/answers", right), 409)["detail"]
    assert "finished" in _problem(api.call("learner", "POST", f"/v1/sittings/{sitting}/finish"), 409)["detail"]
    assert api.ok("learner", "GET", f"/v1/sittings/{sitting}/next") is None
    assert changed(before, api.fingerprint()) == []
    assert api.admin("GET", f"/v1/sittings/{sitting}") == shown
    row = next(
        r
        for r in api.admin("GET", f"/v1/courses/{api.ids['course']}/gradebook")["rows"]
        if r["user_id"] == api.ids["user_learner"]
    )
    assert row["tests"][str(test)] == {"score": 0.0, "attempts": 1, "pending": 0}


def test_no_one_grades_or_comments_on_their_own_work_with_an_assistant_grant(api: Api) -> None:
    """The cheat holds an Assistant Instructor grant on the course they learn in: they grade others'
    work, never their own, by any route, and cannot write the grader's comments on it either."""
    assignment = api.admin(
        "POST",
        f"/v1/courses/{api.ids['course']}/assignments",
        {
            "item_id": api.ids["item"],
            "title": f"Essay {api.n()}",
            "due_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
            "file_types": ["text"],
        },
    )["id"]
    submission = api.ok("cheat", "POST", f"/v1/assignments/{assignment}/submissions", files=_essay_file(api))["id"]
    practice = api.ok(
        "cheat",
        "POST",
        f"/v1/activities/{api.ids['activity']}/attempts",
        {"item_id": api.ids["quiz_item"], "answer": {"choice": "a"}},
    )["id"]
    in_sitting = api.answered("cheat")
    own = [
        ("POST", f"/v1/submissions/{submission}/adjustments", {"score": 1.0, "reason": "excellent"}),
        ("POST", f"/v1/submissions/{submission}/comments", {"body": "Outstanding work, full marks."}),
        ("POST", f"/v1/attempts/{practice}/grade", {"score": 1.0}),
        (
            "POST",
            f"/v1/sittings/{in_sitting['sitting_id']}/answers/{in_sitting['attempt_id']}/adjustments",
            {"score": 1.0, "reason": "correct after all"},
        ),
        ("POST", f"/v1/items/{api.ids['quiz_item']}/regrade", {"reason": "the key was wrong"}),
    ]
    before = api.fingerprint()
    shown = [api.admin("GET", f"/v1/submissions/{submission}{tail}") for tail in ("", "/comments", "/audit")]
    for method, path, body in own:
        detail = _problem(api.call("cheat", method, path, body), 403)["detail"]
        assert "your own" in detail, f"{path}: {detail}"
    assert changed(before, api.fingerprint()) == []
    assert [api.admin("GET", f"/v1/submissions/{submission}{tail}") for tail in ("", "/comments", "/audit")] == shown
    # their own work waits in other graders' queue, not in theirs
    queue = f"/v1/courses/{api.ids['course']}/review-queue?limit=200"
    assert submission in [r["id"] for r in api.admin("GET", queue)["items"]]
    assert submission not in [r["id"] for r in api.ok("cheat", "GET", queue)["items"]]
    # another grader may do each of them; and the cheat may grade someone else
    assert api.call("assistant", "POST", own[1][1], own[1][2]).status_code == 201
    assert api.call("assistant", "POST", own[0][1], own[0][2]).status_code == 201
    other = api.answered("learner2")
    adjust = f"/v1/sittings/{other['sitting_id']}/answers/{other['attempt_id']}/adjustments"
    assert api.call("cheat", "POST", adjust, {"score": 0.5, "reason": "partly right"}).status_code == 201


def test_mass_assignment_is_ignored_or_refused(api: Api) -> None:
    """Enrolling oneself, granting oneself a role, editing one's own account into an administrator or
    into another tenant: refused; extra fields (``tenant_id``, ``roles``, ``is_active``, ``user_id`` …)
    are refused where a body is strict and ignored where it is not, never applied."""
    me, course, alpha, beta = api.ids["user_learner"], api.ids["course"], api.ids["root"], api.ids["other_root"]
    fresh_course = api.fresh_course()
    before = api.fingerprint()
    account = api.ok("learner", "GET", "/v1/auth/me")
    refused = [
        ("POST", f"/v1/courses/{fresh_course}/enrollments", {"user_id": me}),
        ("POST", f"/v1/courses/{course}/enrollments", {"user_id": me, "status": "completed"}),
        ("POST", "/v1/grants", {"user_id": me, "role": "Administrator", "scope_type": "org_unit", "scope_id": alpha}),
        ("POST", "/v1/grants", {"user_id": me, "role": "Instructor", "scope_type": "course", "scope_id": course}),
        (
            "PATCH",
            f"/v1/users/{me}",
            {"display_name": "Boss", "is_active": True, "tenant_id": beta, "roles": ["Administrator"]},
        ),
        ("POST", "/graphql", {"query": ENROLL, "variables": {"course": fresh_course, "user": me}}),
    ]
    for method, path, body in refused:
        assert api.call("learner", method, path, body).status_code == 403, path
    # strict bodies refuse what they do not know, naming it
    strict = [
        (
            "POST",
            f"/v1/activities/{api.ids['activity']}/attempts",
            {"item_id": api.ids["quiz_item"], "answer": {"choice": "b"}, "user_id": api.ids["user_learner2"]},
        ),
        ("PUT", f"/v1/learners/{me}/preferences", {"formats": ["video"], "learner_id": api.ids["user_learner2"]}),
        ("PUT", f"/v1/learners/{me}/preferences", {"formats": ["video"], "tenant_id": beta}),
    ]
    for method, path, body in strict:
        detail = _problem(api.call("learner", method, path, body), 422)["detail"]
        assert "user_id" in detail or "learner_id" in detail or "tenant_id" in detail, detail
    # an instructor cannot delegate what they do not hold, to themselves either
    instructor = api.ids["user_instructor"]
    for role, scope_type, scope in (("Administrator", "org_unit", api.ids["dept"]), ("Instructor", "org_unit", alpha)):
        body = {"user_id": instructor, "role": role, "scope_type": scope_type, "scope_id": scope}
        assert api.call("instructor", "POST", "/v1/grants", body).status_code == 403
    assert changed(before, api.fingerprint()) == []
    assert api.ok("learner", "GET", "/v1/auth/me") == account

    # where the administrator's body is lenient, extra fields are ignored, never applied
    target = api.fresh_user()
    edited = api.admin(
        "PATCH",
        f"/v1/users/{target}",
        {"display_name": "Renamed", "tenant_id": beta, "id": 1, "email": "boss@world.test", "roles": ["Administrator"]},
    )
    assert (edited["display_name"], edited["tenant_id"], edited["id"]) == ("Renamed", alpha, target)
    assert edited["email"] != "boss@world.test"
    assert api.admin("GET", f"/v1/users/{target}/grants")["items"] == []
    enrolled = api.admin(
        "POST",
        f"/v1/courses/{course}/enrollments",
        {"user_id": target, "status": "completed", "course_id": fresh_course},
    )
    assert (enrolled["course_id"], enrolled["status"]) == (course, "active")
    # another tenant's administrator creating a user names this tenant in vain
    made = api.ok(
        "outsider",
        "POST",
        "/v1/users",
        {"email": f"planted{api.n()}@world.test", "display_name": "x", "tenant_id": alpha},
    )
    assert made["tenant_id"] == beta
    _problem(api.call("admin", "GET", f"/v1/users/{made['id']}"), 404)


def test_another_learners_preferences_override_and_recommendations(api: Api) -> None:
    """A learner reads and changes only their own; recommendations are refused before serving is asked."""
    other, course = api.ids["user_learner2"], api.ids["course"]
    api.admin("PUT", f"/v1/users/{other}/override", {"recommend": ["Practice"], "note": "staff only"})
    before, calls = api.fingerprint(), len(api.serving_calls)
    shown = api.admin("GET", f"/v1/learners/{other}/preferences"), api.admin("GET", f"/v1/users/{other}/override")
    for who, status in (("learner", 403), ("cheat", 403), ("guardian", 403), ("outsider", 404)):
        for method, path, body in (
            ("GET", f"/v1/learners/{other}/preferences", None),
            ("PUT", f"/v1/learners/{other}/preferences", {"formats": ["video"]}),
            ("PUT", f"/v1/users/{other}/override", {"block": ["Practice"]}),
            ("DELETE", f"/v1/users/{other}/override", None),
            ("GET", f"/v1/learners/{other}/recommendations?course={course}", None),
        ):
            if who == "cheat" and method == "GET":  # the cheat is staff of the course: reading is their job
                assert api.call(who, method, path, body).status_code == 200, path
                calls = len(api.serving_calls)
                continue
            _problem(api.call(who, method, path, body), status)
            assert len(api.serving_calls) == calls, f"serving was asked for {who}, who may not read {path}"
        if who != "cheat":
            _problem(api.call(who, "GET", f"/v1/users/{other}/override"), status)
    assert changed(before, api.fingerprint()) == []
    assert (
        api.admin("GET", f"/v1/learners/{other}/preferences"),
        api.admin("GET", f"/v1/users/{other}/override"),
    ) == shown
    # their own recommendations go to serving, bound to them
    assert api.ok("learner", "GET", f"/v1/learners/{api.ids['user_learner']}/recommendations?course={course}")
    assert len(api.serving_calls) == calls + 1 and f"/v1/learners/{api.ids['user_learner']}/" in api.serving_calls[-1]


def test_a_guardian_reads_only_their_linked_learner_and_never_acts_for_them(api: Api) -> None:
    child, stranger = api.ids["user_learner"], api.ids["user_learner2"]
    sitting, strangers = api.fresh_sitting("learner"), api.fresh_sitting("learner2")
    exam = api.exam()
    before, calls = api.fingerprint(), len(api.serving_calls)
    acting = [
        ("POST", f"/v1/sittings/{sitting}/answers", {"item_id": api.ids["quiz_item"], "answer": {"choice": "b"}}),
        ("POST", f"/v1/sittings/{sitting}/finish", None),
        ("POST", f"/v1/assessments/{api.ids['assessment']}/sittings", None),
        (
            "POST",
            f"/v1/activities/{api.ids['activity']}/attempts",
            {"item_id": api.ids["quiz_item"], "answer": {"choice": "b"}},
        ),
        ("PUT", f"/v1/learners/{child}/preferences", {"formats": ["video"]}),
        ("POST", f"/v1/assignments/{exam}/admissions", None),
        ("POST", f"/v1/exam-admissions/{api.ids['exam_admission']}/end", None),
        ("POST", f"/v1/submissions/{api.ids['submission']}/comments", {"body": "My child deserves more."}),
        ("POST", f"/v1/submissions/{api.ids['submission']}/adjustments", {"score": 1.0, "reason": "parent says so"}),
    ]
    for method, path, body in acting:
        _problem(api.call("guardian", method, path, body), 403)
    upload = api.call(
        "guardian", "POST", f"/v1/assignments/{api.ids['assignment']}/submissions", files=_essay_file(api)
    )
    _problem(upload, 403)
    unlinked = [
        f"/v1/users/{stranger}",
        f"/v1/users/{stranger}/attempts",
        f"/v1/learners/{stranger}/preferences",
        f"/v1/learners/{stranger}/recommendations?course={api.ids['course']}",
        f"/v1/sittings/{strangers}",
    ]
    for path in unlinked:
        _problem(api.call("guardian", "GET", path), 403)
    assert len(api.serving_calls) == calls
    assert changed(before, api.fingerprint()) == []
    # what the guardian may read: the linked child
    assert api.ok("guardian", "GET", f"/v1/users/{child}")["id"] == child
    assert api.ok("guardian", "GET", f"/v1/sittings/{sitting}")["user_id"] == child
    linked = [u["id"] for u in api.ok("guardian", "GET", "/v1/me/learners", params={"limit": 200})["items"]]
    assert child in linked and stranger not in linked


# ---- tokens that must not work ------------------------------------------------------------------------


def _tampered(token: str, **claims: Any) -> str:
    """The token with its payload changed and its signature kept."""
    head, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body = base64.urlsafe_b64encode(json.dumps({**data, **claims}).encode()).rstrip(b"=").decode()
    return f"{head}.{body}.{signature}"


def test_forged_expired_and_misused_tokens_are_refused(api: Api) -> None:
    """Each token below is refused (401 problem) on a write and a read, and the write changes nothing."""
    secret = api.client.app.state.jwt_secret  # type: ignore[attr-defined]
    admin, alpha, beta = api.ids["user_admin"], api.ids["root"], api.ids["other_root"]
    now = datetime.now(UTC)
    email = f"leaver{api.n()}@world.test"
    user = api.fresh_user(email)
    pair = api.client.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert pair.status_code == 200, pair.text
    deactivated = pair.json()["access_token"]
    api.admin("PATCH", f"/v1/users/{user}", {"is_active": False})
    tokens = {
        "expired": encode_token(secret, subject=admin, kind="access", ttl_s=-1, tid=alpha),
        "signed with another secret": encode_token(
            "another-secret-" + "y" * 32, subject=admin, kind="access", ttl_s=600, tid=alpha
        ),
        "unsigned (alg none)": jwt.encode(
            {"sub": str(admin), "typ": "access", "tid": alpha, "exp": now + timedelta(minutes=5)},
            key=None,
            algorithm="none",
        ),
        "the learner's, claiming to be the administrator": _tampered(api.world.tokens["learner"], sub=str(admin)),
        "an MFA challenge": encode_token(secret, subject=admin, kind="mfa", ttl_s=300, tid=alpha),
        "a refresh token": pair.json()["refresh_token"],
        "the administrator's, claiming another tenant": encode_token(
            secret, subject=admin, kind="access", ttl_s=600, tid=beta
        ),
        "of a deactivated user": deactivated,
        "without a subject": jwt.encode(
            {"typ": "access", "tid": alpha, "exp": now + timedelta(minutes=5)}, secret, algorithm="HS256"
        ),
    }
    target = api.ids["user_learner2"]
    before, shown = api.fingerprint(), api.admin("GET", f"/v1/users/{target}")
    for name, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        write = api.client.patch(f"/v1/users/{target}", json={"display_name": "Hijacked"}, headers=headers)
        read = api.client.get("/v1/users", headers=headers)
        for response in (write, read):
            _problem(response, 401)
            assert response.headers["www-authenticate"] == "Bearer", name
    assert changed(before, api.fingerprint()) == []
    assert api.admin("GET", f"/v1/users/{target}") == shown
    # the deactivated user cannot log in again either (as if the account did not exist), nor refresh
    _problem(api.client.post("/v1/auth/token", data={"username": email, "password": PASSWORD}), 401)
    assert api.client.post("/v1/auth/refresh", json={"refresh_token": tokens["a refresh token"]}).status_code == 401


# ---- the xAPI LRS: an organization's credentials speak for its own learners only ---------------------

XAPI = {"X-Experience-API-Version": "1.0.3"}


def _answer_about(actor: dict[str, Any], api: Api) -> dict[str, Any]:
    statement = answered_statement(1, api.ids["quiz_item"], api.ids["skill"], True)
    return {**statement, "actor": actor}


def test_lrs_credentials_write_only_about_their_own_organizations_learners(api: Api) -> None:
    """Learners hold no LRS credentials (only administrators issue them); their platform token writes statements about
    themselves only (tests/api/test_lrs_platform_token.py), never about anyone else. An organization's
    Basic credentials may not write statements naming another organization's learner, or a platform
    account that is no learner of theirs: 403, and nothing of the request is stored. An account on the
    client's own home page is its own user, stored but never read as the platform learner of that id."""
    _problem(api.call("learner", "POST", "/v1/lrs-credentials", {"name": "my own LMS"}), 403)
    learner, stranger, beta_admin = api.ids["user_learner"], api.ids["b_user"], api.ids["user_outsider"]
    own = _answer_about(learner_agent(learner), api)
    _problem(api.call("learner", "POST", "/xAPI/statements", own, headers=XAPI), 403)  # an answer: a grader's word
    about_stranger = {
        **own,
        "actor": learner_agent(stranger),
        "verb": {"id": "https://w3id.org/xapi/video/verbs/played"},
    }
    del about_stranger["result"]
    _problem(api.call("learner", "POST", "/xAPI/statements", about_stranger, headers=XAPI), 403)

    with transaction(make_session_factory(api.engine)) as session:
        alpha = create_credential(session, f"alpha LMS {api.n()}", tenant_id=api.ids["root"])
        beta = create_credential(session, f"beta LMS {api.n()}", tenant_id=api.ids["other_root"])

    def post(credential: Any, body: Any, method: str = "POST", **params: str) -> httpx.Response:
        headers = {**XAPI, "Authorization": credential.basic_header}
        return api.client.request(method, "/xAPI/statements", json=body, headers=headers, params=params)

    assert post(alpha, own).status_code == 200  # its own learner: stored
    before = api.fingerprint()
    for actor in (stranger, beta_admin, MAX_ID, "assistments:77"):
        theirs = _answer_about(learner_agent(actor), api)
        detail = _problem(post(alpha, theirs), 403)["detail"]
        assert "actor" in detail and str(actor) in detail, detail
        _problem(post(alpha, [_answer_about(learner_agent(learner), api), theirs]), 403)  # the whole batch
        _problem(post(alpha, theirs, "PUT", statementId=theirs["id"]), 403)
    _problem(post(beta, _answer_about(learner_agent(learner), api)), 403)  # and the other way round
    assert changed(before, api.fingerprint()) == []

    # the beta LMS's own user 'learner' (its home page, the same name) is stored for beta, and no reader
    # of the platform's statements takes it for the platform's learner of that id
    lms_user = {"objectType": "Agent", "account": {"homePage": "https://lms.beta.example", "name": str(learner)}}
    (stored_id,) = post(beta, _answer_about(lms_user, api)).json()
    with make_session_factory(api.engine)() as session:
        stored = session.scalar(select(Statement.payload).where(Statement.statement_id == stored_id))
    with pytest.raises(StatementError, match="homePage"):
        statement_to_interaction(stored)
    assert statement_to_interaction({**stored, "actor": learner_agent(learner)}).learner_id == str(learner)
