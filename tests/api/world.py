"""A small two-tenant world for API tests: every role, a course tree, a cohort, a guardian link.

Building a world (and hashing its password) costs a second or more, so it is built once per
database kind and session into a template; each fixture gets a copy of the template (a file copy
on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL) and logs its users in.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from platform_api.core.config import APISettings
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.migrate import upgrade
from platform_api.core.security import hash_password
from platform_api.demo.seed import _ensure_roles
from platform_api.domain.assignments.storage import BlobStore
from platform_api.domain.models import (
    Activity,
    ActivityItem,
    ActivitySkill,
    Assessment,
    AssessmentSitting,
    Assignment,
    Attempt,
    Cohort,
    CohortMember,
    Course,
    Enrollment,
    ExamAdmission,
    Grant,
    GuardianLink,
    Item,
    Lesson,
    OrgUnit,
    Skill,
    Submission,
    Unit,
    User,
)
from platform_api.main import create_app
from tests.conftest import DATABASES, fresh_pg_database, isolate_home

PASSWORD = "world-password-1"
ROLE_USERS = ("admin", "instructor", "assistant", "learner", "guardian")
#: Everyone who can log in: the roles, a second learner of the course, and another tenant's administrator.
WORLD_USERS = (*ROLE_USERS, "learner2", "outsider")
#: The file behind the world's one submission (kept in the blob store of the API's home).
SUBMISSION_CONTENT = b"My essay about fractions."


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    db_url: str = ""

    def copy(self, db_url: str) -> World:
        """The same ids in a copy of this world's database, with no one logged in yet."""
        return World(ids=dict(self.ids), db_url=db_url)


def _tenant(session, slug: str) -> tuple[OrgUnit, OrgUnit, OrgUnit]:  # type: ignore[no-untyped-def]
    root = OrgUnit(slug=slug, name=slug.title(), kind="district")
    session.add(root)
    session.flush()
    root.tenant_id, root.path = root.id, f"/{root.id}/"
    school = OrgUnit(parent_id=root.id, tenant_id=root.id, slug="school", name="School", kind="school")
    session.add(school)
    session.flush()
    school.path = f"{root.path}{school.id}/"
    dept = OrgUnit(parent_id=school.id, tenant_id=root.id, slug="dept", name="Dept", kind="department")
    session.add(dept)
    session.flush()
    dept.path = f"{school.path}{dept.id}/"
    return root, school, dept


def build_world(db_url: str, home: Path | None = None) -> World:
    """Build the world in ``db_url``; the submission's file goes to the blob store under ``home``
    (default: the API settings' home)."""
    upgrade(db_url)
    engine = make_engine(db_url)
    world = World(db_url=db_url)
    pw = hash_password(PASSWORD)
    with transaction(make_session_factory(engine)) as s:
        roles = _ensure_roles(s)
        root, school, dept = _tenant(s, "alpha")
        other_root, _, other_dept = _tenant(s, "beta")
        course = Course(org_unit_id=dept.id, code="C1", title="Fractions and ratios", details={})
        other_course = Course(org_unit_id=other_dept.id, code="C9", title="Other tenant course", details={})
        s.add_all([course, other_course])
        s.flush()
        unit = Unit(course_id=course.id, position=0, title="Unit one")
        s.add(unit)
        s.flush()
        lesson = Lesson(unit_id=unit.id, position=0, title="Lesson one")
        s.add(lesson)
        s.flush()
        activity = Activity(lesson_id=lesson.id, position=0, title="Practice", content="<p>Add fractions</p>")
        skill = Skill(tenant_id=root.id, code="frac", name="Fractions")
        s.add_all([activity, skill])
        s.flush()
        item = Item(tenant_id=root.id, skill_id=skill.id, external_id="i1")
        s.add(item)
        s.flush()
        s.add_all(
            [
                ActivitySkill(activity_id=activity.id, skill_id=skill.id),
                ActivityItem(activity_id=activity.id, item_id=item.id),
            ]
        )
        users: dict[str, User] = {}
        for name in (*ROLE_USERS, "learner2", "outsider"):
            tenant = other_root if name == "outsider" else root
            users[name] = User(tenant_id=tenant.id, email=f"{name}@world.test", display_name=name, password_hash=pw)
        s.add_all(users.values())
        s.flush()
        cohort = Cohort(tenant_id=root.id, org_unit_id=dept.id, course_id=course.id, name="Period 1")
        s.add(cohort)
        s.flush()
        grants = [
            ("admin", "Administrator", "org_unit", root.id),
            ("instructor", "Instructor", "org_unit", dept.id),
            ("assistant", "Assistant Instructor", "course", course.id),
            ("learner", "Learner", "course", course.id),
            ("learner2", "Learner", "course", course.id),
            ("guardian", "Guardian", "org_unit", root.id),
            ("outsider", "Administrator", "org_unit", other_root.id),
        ]
        s.add_all(Grant(user_id=users[u].id, role_id=roles[r], scope_type=t, scope_id=i) for u, r, t, i in grants)
        s.add_all(Enrollment(user_id=users[u].id, course_id=course.id) for u in ("learner", "learner2"))
        s.add(CohortMember(cohort_id=cohort.id, user_id=users["learner"].id))
        link = GuardianLink(guardian_id=users["guardian"].id, learner_id=users["learner"].id)
        s.add(link)
        s.flush()
        attempt = Attempt(
            user_id=users["learner"].id, item_id=item.id, activity_id=activity.id, seq=1, correct=True, response={}
        )
        s.add(attempt)
        quiz_item = Item(
            tenant_id=root.id,
            skill_id=skill.id,
            external_id="quiz-1",
            kind="multiple_choice",
            stem="1/2 + 1/4 = ?",
            answer_key={"kind": "multiple_choice", "choices": [{"id": "a"}, {"id": "b"}], "correct": "b"},
        )
        s.add(quiz_item)
        s.flush()
        s.add(ActivityItem(activity_id=activity.id, item_id=quiz_item.id))  # practice answers go through the grader
        assessment = Assessment(
            tenant_id=root.id,
            course_id=course.id,
            activity_id=activity.id,
            kind="formative",
            selection="fixed",
            title="Quiz",
            spec={"item_ids": [quiz_item.id]},
            max_tries=3,
        )
        s.add(assessment)
        s.flush()
        sitting = AssessmentSitting(
            assessment_id=assessment.id,
            user_id=users["learner"].id,
            registration="00000000-0000-4000-8000-000000000001",
            seed=1,
            item_ids=[quiz_item.id],
        )
        s.add(sitting)
        s.flush()
        submission_id, exam_admission_id, assignment_id = _assignment_world(s, course.id, item.id, users["learner"].id)
        store_submission_file(home or APISettings().home)
        world.ids.update(
            assignment=assignment_id,
            submission=submission_id,
            exam_admission=exam_admission_id,
            root=root.id,
            school=school.id,
            dept=dept.id,
            other_root=other_root.id,
            other_dept=other_dept.id,
            course=course.id,
            other_course=other_course.id,
            unit=unit.id,
            lesson=lesson.id,
            activity=activity.id,
            skill=skill.id,
            item=item.id,
            cohort=cohort.id,
            link=link.id,
            attempt=attempt.id,
            quiz_item=quiz_item.id,
            assessment=assessment.id,
            sitting=sitting.id,
            **{f"user_{k}": v.id for k, v in users.items()},
        )
    engine.dispose()
    return world


def _assignment_world(s, course_id: int, item_id: int, learner_id: int) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """An assignment with one submission under review (its file in the blob store) and a live exam admission."""
    due = datetime.now(UTC) + timedelta(days=7)
    assignment = Assignment(course_id=course_id, item_id=item_id, title="Essay one", due_at=due, file_types=["text"])
    s.add(assignment)
    s.flush()
    attempt = Attempt(user_id=learner_id, item_id=item_id, seq=2, response={"assignment_id": assignment.id})
    s.add(attempt)
    s.flush()
    content = SUBMISSION_CONTENT
    sha = hashlib.sha256(content).hexdigest()
    submission = Submission(
        assignment_id=assignment.id,
        user_id=learner_id,
        attempt_id=attempt.id,
        attempt_no=1,
        status="review",
        sha256=sha,
        size=len(content),
        file_type="text",
        filename="essay.txt",
        flags=["manual: graded by an instructor"],
    )
    exam_admission = ExamAdmission(
        assignment_id=assignment.id,
        user_id=learner_id,
        token_sha256="0" * 64,
        active_key=f"{assignment.id}:{learner_id}",
        client_ip="127.0.0.1",
        expires_at=due,
    )
    s.add_all([submission, exam_admission])
    s.flush()
    return submission.id, exam_admission.id, assignment.id


def store_submission_file(home: Path) -> None:
    """Put the world submission's file in the blob store of an API whose home is ``home``."""
    BlobStore(home / "submissions").put(SUBMISSION_CONTENT)


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    response = client.post("/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def make_client(db_url: str, **overrides: object) -> TestClient:
    settings = APISettings(database_url=db_url, secret_key="test-secret-" + "x" * 32, **overrides)  # type: ignore[arg-type]
    return TestClient(create_app(settings))


@pytest.fixture(scope="session")
def _world_sqlite(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> tuple[Path, World]:
    """The world built once per session in a SQLite file; tests get copies of the file."""
    folder = tmp_path_factory.mktemp("world-template")
    path = folder / "world.db"
    shutil.copyfile(_sqlite_template, path)
    return path, build_world(f"sqlite:///{path}", home=folder)


@pytest.fixture(scope="session")
def _world_pg(_pg_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    """The world built once per session in a PostgreSQL database that copies are made from."""
    with fresh_pg_database(template=_pg_template) as url:
        world = build_world(url, home=tmp_path_factory.mktemp("world-template"))
        yield url.rsplit("/", 1)[1], world


@contextmanager
def world_copy(request: pytest.FixtureRequest, kind: str, folder: Path) -> Iterator[World]:
    """A private copy of the world on ``kind`` ("sqlite" in ``folder``, or "postgresql"), dropped afterwards."""
    if kind == "sqlite":
        template, world = request.getfixturevalue("_world_sqlite")
        path = folder / "world.db"
        shutil.copyfile(template, path)
        yield world.copy(f"sqlite:///{path}")
        return
    name, world = request.getfixturevalue("_world_pg")
    with fresh_pg_database(template=name) as url:
        yield world.copy(url)


@contextmanager
def world_api(world: World, home: Path, **overrides: Any) -> Iterator[TestClient]:
    """The API over ``world``'s database with its home at ``home``, every world user logged in."""
    store_submission_file(home)
    with make_client(world.db_url, home=home, **overrides) as client:
        for name in WORLD_USERS:
            world.tokens[name] = login(client, f"{name}@world.test")
        yield client


@contextmanager
def module_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, **overrides: Any
) -> Iterator[tuple[TestClient, World]]:
    """One world per database kind (``request.param``) for a whole module, with its own home.

    Only for tests that do not change what the module's other tests assert on: they share it.
    """
    folder = tmp_path_factory.mktemp("world")
    with pytest.MonkeyPatch.context() as patch:
        home = isolate_home(patch, folder / "pathwise-home")
        with world_copy(request, request.param, folder) as world, world_api(world, home, **overrides) as client:
            yield client, world


@pytest.fixture
def world_client(
    migrated_sqlite_url: str, _world_sqlite: tuple[Path, World], _isolated_home: Path
) -> Iterator[tuple[TestClient, World]]:
    """A fresh world on SQLite (in ``migrated_sqlite_url``'s file), every user logged in."""
    template, built = _world_sqlite
    shutil.copyfile(template, migrated_sqlite_url.removeprefix("sqlite:///"))
    world = built.copy(migrated_sqlite_url)
    with world_api(world, _isolated_home) as client:
        yield client, world


@pytest.fixture(params=DATABASES)
def world_client_any(
    request: pytest.FixtureRequest, tmp_path: Path, _isolated_home: Path
) -> Iterator[tuple[TestClient, World]]:
    """Like ``world_client``, once on SQLite and once on PostgreSQL: a fresh copy for each test."""
    with world_copy(request, request.param, tmp_path) as world, world_api(world, _isolated_home) as client:
        yield client, world


@pytest.fixture(scope="module", params=DATABASES)
def world_module_any(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, World]]:
    """One world per database kind shared by a module's tests that only read (or change nothing)."""
    with module_world(request, tmp_path_factory) as shared:
        yield shared


def publish_course(db_url: str, course_id: int) -> int:
    """Publish the course's draft as its next version, as ``POST /v1/courses/{id}/versions`` does."""
    from platform_api.domain.content.service import publish

    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as s:
        course = s.get(Course, course_id)
        assert course is not None
        number = publish(s, course, None).version
    engine.dispose()
    return number


#: Logging in hashes a password (slow by design), so each role logs in only when a test needs it.
CLIENTS: dict[int, TestClient] = {}


@pytest.fixture
def api(db_url: str) -> Iterator[tuple[TestClient, World, str]]:
    """The world on each database, nobody logged in until :func:`role_headers` asks; the outbox rows
    stay for the checks, and there is no essay model, so essays go to review at once."""
    world = build_world(db_url)
    with make_client(db_url, events_relay=False, essay_model_uri="file:///nonexistent/essay-model") as client:
        CLIENTS[id(world)] = client
        yield client, world, db_url
        CLIENTS.pop(id(world))


def role_headers(world: World, role: str) -> dict[str, str]:
    """A bearer header for ``role`` in a world made by :func:`api`, logging in on first use."""
    if role not in world.tokens:
        world.tokens[role] = login(CLIENTS[id(world)], f"{role}@world.test")
    return {"Authorization": f"Bearer {world.tokens[role]}"}
