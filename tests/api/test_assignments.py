"""The submission portal end to end on SQLite and PostgreSQL: deadlines, late policy, limits, storage.

Every refusal is checked to leave the learner's submissions, attempts and the file store
exactly as they were.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from features.events import statement_to_interaction
from features.transforms import LEARNER_SKILL, compute_feature_rows
from features.xapi_vocabulary import Extension, Verb
from pathwise.cli import build_cli
from platform_api.core.config import APISettings
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.errors import ProblemError
from platform_api.core.security import hash_password
from platform_api.demo.seed import _ensure_roles
from platform_api.domain.access.permissions import LEARNER
from platform_api.domain.exams.admissions import start_admission
from platform_api.domain.models import (
    ActivityItem,
    Assignment,
    Attempt,
    Course,
    Enrollment,
    ExamAdmission,
    Grant,
    Item,
    ScoreAudit,
    Statement,
    Submission,
    User,
)
from platform_api.main import create_app
from tests.api.world import PASSWORD, World, build_world, login
from tests.conftest import fresh_pg_database

LEARNER_IP = "10.0.0.5"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class Portal:
    client: TestClient
    world: World
    db_url: str
    home: Path

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.world.tokens[who]}"}

    def create(self, who: str = "instructor", **fields: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        body = {
            "item_id": self.world.ids["file_item"],
            "title": "Report",
            "due_at": (now + timedelta(days=3)).isoformat(),
        }
        body.update(fields)
        response = self.client.post(
            f"/v1/courses/{self.world.ids['course']}/assignments", json=body, headers=self.headers(who)
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def submit(self, assignment_id: int, name: str, content: bytes, who: str = "learner", **headers: str) -> Any:
        return self.client.post(
            f"/v1/assignments/{assignment_id}/submissions",
            files={"file": (name, content, "application/octet-stream")},
            headers={**self.headers(who), **headers},
        )

    def fetch(self, submission_id: int, who: str = "learner") -> dict[str, Any]:
        response = self.client.get(f"/v1/submissions/{submission_id}", headers=self.headers(who))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def counts(self) -> tuple[int, int, int]:
        """Submissions, attempts and stored files: what a refused request must not change."""
        engine = make_engine(self.db_url)
        with make_session_factory(engine)() as s:
            subs = s.scalar(select(func.count()).select_from(Submission)) or 0
            attempts = s.scalar(select(func.count()).select_from(Attempt)) or 0
        engine.dispose()
        files = sum(1 for p in (self.home / "submissions").rglob("*") if p.is_file())
        return subs, attempts, files


def make_portal(db_url: str, home: Path, ip: str = LEARNER_IP, **settings: Any) -> Iterator[Portal]:
    """A world with a file, an essay and a code item, and a client at ``ip``; no essay model unless given."""
    world = build_world(db_url)
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as s:
        root = world.ids["root"]
        file_item = Item(tenant_id=root, skill_id=world.ids["skill"], external_id="upload", kind="file")
        essay = Item(
            tenant_id=root, skill_id=world.ids["skill"], external_id="essay", kind="essay", answer_key={"essay_set": 1}
        )
        code = Item(
            tenant_id=root,
            skill_id=world.ids["skill"],
            external_id="code",
            kind="code",
            answer_key={"tests": "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"},
        )
        s.add_all([file_item, essay, code])
        s.flush()
        world.ids.update(file_item=file_item.id, essay_item=essay.id, code_item=code.id)
    engine.dispose()
    settings.setdefault("essay_model_uri", f"file://{home}/no-such-model")
    app_settings = APISettings(database_url=db_url, secret_key="test-secret-" + "x" * 32, **settings)
    with TestClient(create_app(app_settings), client=(ip, 50000)) as client:
        for name in ("admin", "instructor", "assistant", "learner", "learner2", "guardian"):
            world.tokens[name] = login(client, f"{name}@world.test")
        yield Portal(client, world, db_url, home)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """One world per backend for the whole module (building one costs seconds); tests use their own assignments."""
    home = tmp_path_factory.mktemp("portal-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATHWISE_HOME", str(home))
        if request.param == "sqlite":
            yield from make_portal(f"sqlite:///{home / 'portal.db'}", home)
            return
        with fresh_pg_database() as url:
            yield from make_portal(url, home)


def test_late_submission_is_stored_by_content_and_released_with_an_audited_score(portal: Portal) -> None:
    now = datetime.now(UTC)
    assignment = portal.create(
        due_at=(now - timedelta(days=1, hours=2)).isoformat(),
        opens_at=(now - timedelta(days=5)).isoformat(),
        cutoff_at=(now + timedelta(days=2)).isoformat(),
        late_penalty_per_day=0.1,
        grace_minutes=30,
        max_attempts=2,
        file_types=["pdf", "text"],
    )
    response = portal.submit(assignment["id"], "../../etc/passwd.pdf", PDF)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["late_days"], body["penalty"], body["file_type"]) == (2, 0.2, "pdf")
    assert body["filename"] == "passwd.pdf"  # display text only
    stored = portal.home / "submissions" / body["sha256"][:2] / body["sha256"][2:4] / body["sha256"]
    assert stored.read_bytes() == PDF
    assert not list(portal.home.rglob("passwd*"))
    assert body["status"] == "queued"  # answered before grading; the background task grades it
    body = portal.fetch(body["id"])
    # a file item has no automatic grader: it waits for an instructor, no score released
    assert body["status"] == "review" and body["score"] is None
    assert body["flags"] == ["manual: items of kind 'file' are graded by an instructor"]

    sid = body["id"]
    download = portal.client.get(f"/v1/submissions/{sid}/file", headers=portal.headers("learner"))
    assert download.content == PDF
    assert download.headers["content-disposition"] == f'attachment; filename="submission-{sid}.pdf"'
    assert download.headers["content-type"] == "application/octet-stream"

    no_reason = portal.client.post(
        f"/v1/submissions/{sid}/adjustments", json={"score": 0.8, "reason": "   "}, headers=portal.headers("instructor")
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    adjusted = portal.client.post(
        f"/v1/submissions/{sid}/adjustments",
        json={"score": 0.8, "reason": "good analysis, late"},
        headers=portal.headers("instructor"),
    )
    assert adjusted.status_code == 201, adjusted.text
    audit = adjusted.json()
    assert (audit["old_score"], audit["new_score"], audit["kind"]) == (None, 0.8, "manual")
    assert audit["actor_id"] == portal.world.ids["user_instructor"]
    after = portal.client.get(f"/v1/submissions/{sid}", headers=portal.headers("learner")).json()
    assert (after["status"], after["score"]) == ("graded", 0.8)

    again = portal.client.post(
        f"/v1/submissions/{sid}/adjustments",
        json={"score": 0.6, "reason": "rubric item 3 missed"},
        headers=portal.headers("assistant"),
    )
    assert again.status_code == 201
    trail = portal.client.get(f"/v1/submissions/{sid}/audit", headers=portal.headers("instructor")).json()
    assert [(a["old_score"], a["new_score"], a["reason"]) for a in trail] == [
        (None, 0.8, "good analysis, late"),
        (0.8, 0.6, "rubric item 3 missed"),
    ]

    # both releases went to the LRS as `scored` statements; the second revises the first
    engine = make_engine(portal.db_url)
    with make_session_factory(engine)() as s:
        stored = s.scalars(select(Statement.payload).where(Statement.verb_id == Verb.SCORED).order_by(Statement.stored))
        payloads = [p for p in stored if p["context"]["extensions"][Extension.ATTEMPT_ID] == str(after["attempt_id"])]
        audits = s.scalar(select(func.count()).where(ScoreAudit.attempt_id == after["attempt_id"]))
    engine.dispose()
    assert audits == 2
    assert [p["result"]["score"]["scaled"] for p in payloads] == [0.8, 0.6]
    assert payloads[1]["result"]["extensions"][Extension.REASON] == "rubric item 3 missed"
    assert Extension.REVISES not in payloads[0]["context"]["extensions"]
    assert payloads[1]["context"]["extensions"][Extension.REVISES] == {"scaled": 0.8, "success": True}
    first, revision = (statement_to_interaction(p) for p in payloads)
    skill, item = str(portal.world.ids["skill"]), str(portal.world.ids["file_item"])
    assert (first.kind, first.skill_id, first.item_id) == ("answer", skill, item)  # platform ids, as sittings use
    assert (revision.score, revision.correct, revision.previous_correct) == (0.6, True, True)
    # the KT features see one answer for the attempt, however often its score is adjusted
    rows = compute_feature_rows([first, revision])[LEARNER_SKILL]
    assert rows["attempts"].tolist() == [1, 1] and rows["corrects"].tolist() == [1, 1]


def test_every_refusal_leaves_attempts_and_files_unchanged(portal: Portal) -> None:
    now = datetime.now(UTC)
    open_one = portal.create(max_attempts=1, max_bytes=2048, file_types=["pdf"])
    before = portal.counts()

    def refused(response: Any, status: int, needle: str) -> None:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert needle in response.json()["detail"]
        assert portal.counts() == before

    refused(portal.submit(open_one["id"], "big.pdf", PDF + b"x" * 4096), 413, "at most 2048")
    refused(portal.submit(open_one["id"], "notes.txt", b"hello"), 415, "'.txt' is not accepted")
    refused(portal.submit(open_one["id"], "fake.pdf", b"just text pretending"), 415, "is not a pdf file")
    refused(portal.submit(open_one["id"], "empty.pdf", b""), 422, "empty")
    no_file = portal.client.post(
        f"/v1/assignments/{open_one['id']}/submissions", data={"other": "x"}, headers=portal.headers("learner")
    )
    refused(no_file, 422, "'file'")

    closed = portal.create(
        due_at=(now - timedelta(days=3)).isoformat(),
        cutoff_at=(now - timedelta(days=1)).isoformat(),
        file_types=["pdf"],
    )
    refused(portal.submit(closed["id"], "a.pdf", PDF), 409, "hard deadline")
    assert portal.submit(closed["id"], "a.pdf", PDF).json()["type"].endswith("/deadline-passed")
    # an extension reopens it; a PATCH that breaks the rules changes nothing
    extend = f"/v1/assignments/{closed['id']}"
    bad = portal.client.patch(
        extend, json={"cutoff_at": (now - timedelta(days=5)).isoformat()}, headers=portal.headers("instructor")
    )
    assert bad.status_code == 422 and "cutoff_at must not be before due_at" in bad.json()["detail"]
    assert (
        portal.client.patch(extend, json={"max_attempts": 0}, headers=portal.headers("instructor")).status_code == 422
    )
    assert portal.client.patch(extend, json={"title": "x"}, headers=portal.headers("learner")).status_code == 403
    assert portal.client.get(extend, headers=portal.headers("learner")).json()["cutoff_at"] == closed["cutoff_at"]
    extended = portal.client.patch(
        extend, json={"cutoff_at": (now + timedelta(days=1)).isoformat()}, headers=portal.headers("instructor")
    )
    assert extended.status_code == 200, extended.text
    late = portal.submit(closed["id"], "a.pdf", PDF)
    assert late.status_code == 202 and late.json()["late_days"] == 4  # 3 days and a moment: 4 started days
    before = portal.counts()
    future = portal.create(opens_at=(now + timedelta(days=1)).isoformat(), file_types=["pdf"])
    refused(portal.submit(future["id"], "a.pdf", PDF), 409, "opens at")

    assert portal.submit(open_one["id"], "a.pdf", PDF).status_code == 202
    before = portal.counts()
    second = portal.submit(open_one["id"], "b.pdf", PDF + b"%second")
    refused(second, 409, "all 1 attempt(s)")
    assert second.json()["type"].endswith("/attempt-limit")

    # learner2 may not see the learner's submission; the guardian of the learner may
    sid = portal.client.get(
        f"/v1/assignments/{open_one['id']}/submissions", headers=portal.headers("instructor")
    ).json()["items"][0]["id"]
    assert portal.client.get(f"/v1/submissions/{sid}", headers=portal.headers("learner2")).status_code == 403
    listing = f"/v1/assignments/{open_one['id']}/submissions"
    assert portal.client.get(listing, headers=portal.headers("learner2")).json()["total"] == 0
    assert [r["id"] for r in portal.client.get(listing, headers=portal.headers("learner")).json()["items"]] == [sid]
    assert portal.client.get(f"/v1/submissions/{sid}", headers=portal.headers("guardian")).status_code == 200


def test_uploads_without_a_length_or_a_form_are_refused(portal: Portal) -> None:
    """The size is known before the body is read: no Content-Length is a 411, a broken form a 422."""
    assignment = portal.create(file_types=["text"])
    url = f"/v1/assignments/{assignment['id']}/submissions"
    before = portal.counts()

    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n--b--\r\n'

    form = {"content-type": "multipart/form-data; boundary=b"}
    chunked = portal.client.post(url, content=chunks(), headers={**portal.headers("learner"), **form})
    assert chunked.status_code == 411 and chunked.headers["content-type"] == "application/problem+json"
    assert "Content-Length" in chunked.json()["detail"]
    broken = portal.client.post(url, content=b"--b\r\nnot a part", headers={**portal.headers("learner"), **form})
    assert broken.status_code == 422 and broken.headers["content-type"] == "application/problem+json"
    as_json = portal.client.post(url, json={"file": "hello"}, headers=portal.headers("learner"))
    assert as_json.status_code == 422 and "'file'" in as_json.json()["detail"]
    assert portal.counts() == before


INVALID_ASSIGNMENTS: list[tuple[dict[str, Any], str]] = [
    ({"file_types": ["exe"]}, "unknown file type"),
    ({"exam": True, "ip_allow": ["10.0.0.0/33"]}, "not an IP address or CIDR"),
    ({"ip_allow": ["10.0.0.0/24"]}, "apply to exams only"),
    ({"exam": True, "guards": {"nope": {}}}, "unknown exam guard 'nope'"),
    ({"exam": True, "guards": {"safe_exam_browser": {}}}, "config_keys"),
    ({"late_penalty_per_day": 1.5}, "late_penalty_per_day"),
    ({"cutoff_at": "2000-01-01T00:00:00+00:00"}, "cutoff_at must not be before due_at"),
    ({"due_at": "2030-01-01T00:00:00"}, "timezone"),
    ({"item_id": 999999}, "item 999999 not found"),
    ({"max_bytes": 10**9}, "max_bytes"),
]


def test_invalid_assignments_are_refused(portal: Portal) -> None:
    for fields, needle in INVALID_ASSIGNMENTS:
        body = {"item_id": portal.world.ids["file_item"], "title": "invalid", "due_at": "2030-01-01T00:00:00+00:00"}
        response = portal.client.post(
            f"/v1/courses/{portal.world.ids['course']}/assignments",
            json={**body, **fields},
            headers=portal.headers("instructor"),
        )
        assert response.status_code == 422, (fields, response.text)
        assert needle in response.text, (fields, response.text)
    listed = portal.client.get(
        f"/v1/courses/{portal.world.ids['course']}/assignments", headers=portal.headers("learner")
    ).json()
    assert "Essay one" in {a["title"] for a in listed["items"]}
    assert "invalid" not in {a["title"] for a in listed["items"]}


def test_code_and_essay_submissions_go_through_their_graders(portal: Portal) -> None:
    code = portal.create(item_id=portal.world.ids["code_item"], max_attempts=3)
    assert code["file_types"] == ["python"]
    binary = portal.submit(code["id"], "solution.py", b"\x00\x01binary")
    assert binary.status_code == 415 and "UTF-8 text" in binary.json()["detail"]
    accepted = portal.submit(code["id"], "solution.py", b"def add(a, b):\n    return a + b\n")
    assert accepted.status_code == 202
    graded = portal.fetch(accepted.json()["id"])
    if shutil.which("bwrap"):  # the real sandbox ran the item's tests: no fallback to a human
        assert not graded["flags"], graded["flags"]
        assert (graded["status"], graded["score"]) == ("graded", 1.0)
        assert [t["status"] for t in graded["report"]["tests"]] == ["passed"]
        wrong = portal.submit(code["id"], "solution.py", b"def add(a, b):\n    return a - b\n")
        failed = portal.fetch(wrong.json()["id"])
        assert (failed["status"], failed["score"], failed["flags"]) == ("graded", 0.0, [])
        assert [t["status"] for t in failed["report"]["tests"]] == ["failed"]
        assert "assert" in failed["report"]["tests"][0]["feedback"]
        hostile = portal.submit(code["id"], "solution.py", b"import os\nprint(open('/etc/shadow').read())\n")
        contained = portal.fetch(hostile.json()["id"])
        assert contained["status"] == "review" and contained["score"] is None  # an instructor looks
        assert contained["flags"], contained
    else:  # no sandbox on this machine: never run untrusted code outside it, ask a human instead
        assert graded["status"] == "review" and graded["score"] is None
        assert graded["flags"][0].startswith("grader_unavailable: bubblewrap")

    essay = portal.create(item_id=portal.world.ids["essay_item"])
    sent = portal.submit(essay["id"], "essay.txt", b"Fractions are parts of a whole. " * 20)
    queued = portal.fetch(sent.json()["id"])
    assert queued["status"] == "review"
    assert queued["flags"][0].startswith("grader_unavailable: essay model")
    queue = portal.client.get(
        f"/v1/courses/{portal.world.ids['course']}/review-queue", headers=portal.headers("assistant")
    ).json()
    assert queued["id"] in {row["id"] for row in queue["items"]}


HIDDEN_TESTS = (
    "from solution import add\nimport pytest\n\n"
    "def test_pair():\n    assert add(40, 2) == 42, 'hidden-marker'\n\n"
    "@pytest.mark.parametrize('x', [31337])\ndef test_offset(x):\n    assert add(x, 1) == x + 1\n"
)


def test_hidden_only_code_tests_stay_hidden_in_submission_results(portal: Portal) -> None:
    """The submission, as its learner (and their guardian) reads it, says which hidden test failed, never how."""
    item = portal.client.post(
        "/v1/items",
        json={"external_id": "hidden-only", "stem": "Write add", "key": {"kind": "code", "hidden_tests": HIDDEN_TESTS}},
        headers=portal.headers("instructor"),
    )
    assert item.status_code == 201, item.text
    assignment = portal.create(item_id=item.json()["id"], max_attempts=2)
    sent = portal.submit(assignment["id"], "solution.py", b"def add(a, b):\n    return a - b\n")
    assert sent.status_code == 202, sent.text
    listing = f"/v1/assignments/{assignment['id']}/submissions"
    views = [
        portal.fetch(sent.json()["id"]),
        portal.fetch(sent.json()["id"], who="guardian"),
        portal.client.get(listing, headers=portal.headers("learner")).json(),
    ]
    text = json.dumps(views)
    for secret in ("hidden-marker", "31337", "add(40", "== 42", "test_offset(x)"):
        assert secret not in text, secret
    if not shutil.which("bwrap"):
        assert views[0]["status"] == "review" and views[0]["flags"][0].startswith("grader_unavailable")
        return
    report = views[0]["report"]
    assert (views[0]["status"], views[0]["score"]) == ("graded", 0.0)
    assert [(t["suite"], t["name"], t["status"], t["feedback"]) for t in report["tests"]] == [
        ("hidden", "test_pair", "failed", "a hidden test case failed"),
        ("hidden", "test_offset", "failed", "a hidden test case failed"),
    ]
    right = portal.submit(assignment["id"], "solution.py", b"def add(a, b):\n    return a + b\n")
    assert portal.fetch(right.json()["id"])["score"] == 1.0
    plain = portal.client.post(
        f"/v1/attempts/{views[0]['attempt_id']}/grade", json={"score": 1.0}, headers=portal.headers("instructor")
    )
    assert plain.status_code == 409 and f"/v1/submissions/{views[0]['id']}/adjustments" in plain.json()["detail"]


# --- the task, as learners see it ---------------------------------------------------------------

MC_KEY = {
    "kind": "multiple_choice",
    "choices": [{"id": "half", "feedback": "distractor-note: that is the numerator"}, {"id": "quarter"}],
    "correct": "quarter",
    "hints": ["hint-note: count the parts"],
    "feedback_correct": "praise-note",
}
HIDDEN = "from solution import add\n\ndef test_secret_case():\n    assert add(40, 2) == 42  # hidden-note\n"
VISIBLE = "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"
KEY_NOTES = (
    "distractor-note",
    "hint-note",
    "praise-note",
    "hidden-note",
    "test_secret_case",
    '"correct"',
    "answer_key",
)


def _bank_item(portal: Portal, external_id: str, key: dict[str, Any]) -> int:
    body = {"external_id": external_id, "stem": f"Task {external_id}", "body": {"shown": "display"}, "key": key}
    made = portal.client.post("/v1/items", json=body, headers=portal.headers("instructor"))
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _other_course_learner(portal: Portal) -> str:
    """A learner of the same school enrolled in another course: may attempt nothing in the world's course."""
    engine = make_engine(portal.db_url)
    with transaction(make_session_factory(engine)) as s:
        if s.scalar(select(User).where(User.email == "stranger@world.test")) is None:
            course = Course(org_unit_id=portal.world.ids["dept"], code="C2", title="Another course", details={})
            stranger = User(
                tenant_id=portal.world.ids["root"],
                email="stranger@world.test",
                display_name="stranger",
                password_hash=hash_password(PASSWORD),
            )
            s.add_all([course, stranger])
            s.flush()
            s.add(Enrollment(user_id=stranger.id, course_id=course.id))
            s.add(
                Grant(user_id=stranger.id, role_id=_ensure_roles(s)[LEARNER], scope_type="course", scope_id=course.id)
            )
    engine.dispose()
    portal.world.tokens.setdefault("stranger", login(portal.client, "stranger@world.test"))
    return "stranger"


def _task(portal: Portal, assignment_id: int, who: str = "learner", **headers: str) -> Any:
    return portal.client.get(f"/v1/assignments/{assignment_id}/items", headers={**portal.headers(who), **headers})


def test_learners_see_an_assignments_task_but_never_its_key(portal: Portal) -> None:
    mc = portal.create(item_id=_bank_item(portal, "task-mc", MC_KEY), file_types=["text"])
    code_key = {"kind": "code", "visible_tests": VISIBLE, "hidden_tests": HIDDEN}
    code = portal.create(item_id=_bank_item(portal, "task-code", code_key))
    upload = portal.create(file_types=["pdf"])  # an item with no bank key at all

    for who in ("learner", "learner2"):  # both enrolled in the course
        shown = _task(portal, mc["id"], who)
        assert shown.status_code == 200, shown.text
        [item] = shown.json()
        assert (item["kind"], item["stem"], item["body"]) == ("multiple_choice", "Task task-mc", {"shown": "display"})
        assert item["options"] == {"choices": ["half", "quarter"]}  # ids to answer with, in the author's order
        assert not [note for note in KEY_NOTES if note in shown.text], shown.text
    [code_item] = _task(portal, code["id"]).json()
    assert code_item["options"] == {"visible_tests": VISIBLE}
    assert not [note for note in KEY_NOTES if note in json.dumps(code_item)]
    [file_item] = _task(portal, upload["id"]).json()
    assert (file_item["id"], file_item["kind"], file_item["options"]) == (portal.world.ids["file_item"], "file", {})
    # staff read the full item from the bank; this view is the learner's
    staff = portal.client.get(f"/v1/items/{mc['item_id']}", headers=portal.headers("instructor")).json()
    assert staff["answer_key"]["correct"] == "quarter"


def test_the_task_is_refused_to_those_who_cannot_attempt_it(portal: Portal) -> None:
    mc = portal.create(item_id=_bank_item(portal, "task-private", MC_KEY), file_types=["text"])

    def refused(response: Any, status: int, needle: str) -> None:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert needle in response.json()["detail"]
        assert not [note for note in KEY_NOTES if note in response.text]

    refused(_task(portal, mc["id"], _other_course_learner(portal)), 403, "attempts:write")
    for who in ("guardian", "instructor", "assistant"):
        refused(_task(portal, mc["id"], who), 403, "attempts:write")
    other_tenant = TestClient(portal.client.app, client=(LEARNER_IP, 50000))
    outsider = {"Authorization": f"Bearer {login(other_tenant, 'outsider@world.test')}"}
    refused(other_tenant.get(f"/v1/assignments/{mc['id']}/items", headers=outsider), 404, "not found")
    refused(_task(portal, 2**31 - 1), 404, "not found")
    assert portal.client.get(f"/v1/assignments/{mc['id']}/items").status_code == 401

    later = portal.create(
        item_id=mc["item_id"], file_types=["text"], opens_at=(datetime.now(UTC) + timedelta(hours=2)).isoformat()
    )
    early = _task(portal, later["id"])
    refused(early, 409, "opens at")
    assert early.json()["type"].endswith("/not-open")


def test_an_exams_task_is_shown_only_in_a_live_exam_admission(portal: Portal) -> None:
    exam = portal.create(item_id=_bank_item(portal, "task-exam", MC_KEY), file_types=["text"], exam=True)
    without = _task(portal, exam["id"])
    assert without.status_code == 403 and without.json()["type"].endswith("/no-admission")
    assert "quarter" not in without.text
    started = portal.client.post(f"/v1/assignments/{exam['id']}/admissions", headers=portal.headers("learner"))
    assert started.status_code == 201, started.text
    token = started.json()["token"]
    assert _task(portal, exam["id"], "learner2", **{"X-Exam-Admission": token}).status_code == 403  # not theirs
    shown = _task(portal, exam["id"], **{"X-Exam-Admission": token})
    assert shown.status_code == 200 and shown.json()[0]["options"] == {"choices": ["half", "quarter"]}
    ended = portal.client.post(f"/v1/exam-admissions/{started.json()['id']}/end", headers=portal.headers("learner"))
    assert ended.status_code == 200
    assert _task(portal, exam["id"], **{"X-Exam-Admission": token}).status_code == 403


# --- exams ------------------------------------------------------------------------------------


def test_exam_admissions_allow_lists_windows_and_guards(portal: Portal) -> None:
    now = datetime.now(UTC)
    exam = portal.create(
        exam=True,
        ip_allow=["10.0.0.0/24", "2001:db8::/32"],
        admission_minutes=30,
        file_types=["text"],
        max_attempts=2,
        cutoff_at=(now + timedelta(days=4)).isoformat(),
    )
    start = f"/v1/assignments/{exam['id']}/admissions"
    no_admission = portal.submit(exam["id"], "a.txt", b"answer")
    assert no_admission.status_code == 403 and no_admission.json()["type"].endswith("/no-admission")

    elsewhere = TestClient(portal.client.app, client=("192.168.7.9", 50000))
    outside = elsewhere.post(start, headers=portal.headers("learner"))
    assert outside.status_code == 403 and "192.168.7.9 is not on the allow-list" in outside.json()["detail"]

    first = portal.client.post(start, headers=portal.headers("learner"))
    assert first.status_code == 201, first.text
    token = first.json()["token"]
    second = portal.client.post(start, headers=portal.headers("learner"))
    assert second.status_code == 409 and second.json()["active_admission_id"] == first.json()["id"]

    stolen = portal.submit(exam["id"], "a.txt", b"answer", who="learner2", **{"X-Exam-Admission": token})
    assert stolen.status_code == 403 and "not a live admission of yours" in stolen.json()["detail"]
    before = portal.counts()
    from_elsewhere = elsewhere.post(
        f"/v1/assignments/{exam['id']}/submissions",
        files={"file": ("a.txt", b"answer", "text/plain")},
        headers={**portal.headers("learner"), "X-Exam-Admission": token},
    )
    assert from_elsewhere.status_code == 403 and portal.counts() == before

    # the first admission stayed valid through the refused second start
    accepted = portal.submit(exam["id"], "a.txt", b"answer", **{"X-Exam-Admission": token})
    assert accepted.status_code == 202, accepted.text
    reused = portal.submit(exam["id"], "a.txt", b"answer 2", **{"X-Exam-Admission": token})
    assert reused.status_code == 403  # the admission ended with its submission

    again = portal.client.post(start, headers=portal.headers("learner")).json()
    end = f"/v1/exam-admissions/{again['id']}/end"
    assert portal.client.post(end, headers=portal.headers("learner2")).status_code == 404
    ended = portal.client.post(end, headers=portal.headers("learner"))
    assert ended.status_code == 200 and ended.json()["end_reason"] == "ended"
    assert portal.client.post(end, headers=portal.headers("learner")).status_code == 409

    plain = portal.create(file_types=["text"])
    not_exam = portal.client.post(f"/v1/assignments/{plain['id']}/admissions", headers=portal.headers("learner"))
    assert not_exam.status_code == 409 and not_exam.json()["type"].endswith("/not-exam")
    later = portal.create(exam=True, file_types=["text"], opens_at=(now + timedelta(hours=2)).isoformat())
    too_early = portal.client.post(f"/v1/assignments/{later['id']}/admissions", headers=portal.headers("learner"))
    assert too_early.status_code == 409 and too_early.json()["type"].endswith("/not-open")


def test_safe_exam_browser_guard(portal: Portal) -> None:
    exam = portal.create(exam=True, file_types=["text"], guards={"safe_exam_browser": {"config_keys": ["key-1"]}})
    path = f"/v1/assignments/{exam['id']}/admissions"
    refused = portal.client.post(path, headers=portal.headers("learner"))
    assert refused.status_code == 403 and "'safe_exam_browser' refused" in refused.json()["detail"]
    wrong = hashlib.sha256(b"http://testserver" + path.encode() + b"other-key").hexdigest()
    mismatch = portal.client.post(path, headers={**portal.headers("learner"), "X-SafeExamBrowser-ConfigKeyHash": wrong})
    assert mismatch.status_code == 403 and "does not match" in mismatch.json()["detail"]
    right = hashlib.sha256(b"http://testserver" + path.encode() + b"key-1").hexdigest()
    ok = portal.client.post(path, headers={**portal.headers("learner"), "X-SafeExamBrowser-ConfigKeyHash": right})
    assert ok.status_code == 201, ok.text
    # the exam's task is read in the locked browser too, even with a live admission's token
    task = f"/v1/assignments/{exam['id']}/items"
    admission_token = {**portal.headers("learner"), "X-Exam-Admission": ok.json()["token"]}
    unlocked = portal.client.get(task, headers=admission_token)
    assert unlocked.status_code == 403 and "'safe_exam_browser' refused" in unlocked.json()["detail"]
    task_hash = hashlib.sha256(b"http://testserver" + task.encode() + b"key-1").hexdigest()
    locked = portal.client.get(task, headers={**admission_token, "X-SafeExamBrowser-ConfigKeyHash": task_hash})
    assert locked.status_code == 200, locked.text


# --- instructor workflows ---------------------------------------------------------------------


def _db(portal: Portal) -> Any:
    return make_session_factory(make_engine(portal.db_url))


def test_review_queue_comments_and_grade_book(portal: Portal) -> None:
    with transaction(_db(portal)) as s:
        learner2 = s.get(User, portal.world.ids["user_learner2"])
        learner2.display_name = "=HYPERLINK(evil)"
    assignment = portal.create(title="Lab report", file_types=["text"])
    mine = portal.submit(assignment["id"], "r.txt", b"my report").json()["id"]
    theirs = portal.submit(assignment["id"], "r.txt", b"their report", who="learner2").json()["id"]
    queue = portal.client.get(
        f"/v1/courses/{portal.world.ids['course']}/review-queue", headers=portal.headers("instructor")
    ).json()
    assert {mine, theirs} <= {row["id"] for row in queue["items"]}

    comments = f"/v1/submissions/{mine}/comments"
    posted = portal.client.post(comments, json={"body": "Cite your sources."}, headers=portal.headers("assistant"))
    assert posted.status_code == 201
    assert portal.client.post(comments, json={"body": ""}, headers=portal.headers("instructor")).status_code == 422
    assert portal.client.post(comments, json={"body": "mine"}, headers=portal.headers("learner")).status_code == 403
    listed = portal.client.get(comments, headers=portal.headers("learner")).json()
    assert [c["body"] for c in listed["items"]] == ["Cite your sources."]

    adjusted = portal.client.post(
        f"/v1/submissions/{mine}/adjustments",
        json={"score": 0.9, "reason": "rubric"},
        headers=portal.headers("instructor"),
    )
    assert adjusted.status_code == 201
    queue = portal.client.get(
        f"/v1/courses/{portal.world.ids['course']}/review-queue", headers=portal.headers("instructor")
    ).json()
    assert mine not in {row["id"] for row in queue["items"]} and theirs in {row["id"] for row in queue["items"]}

    book = portal.client.get(f"/v1/courses/{portal.world.ids['course']}/gradebook", headers=portal.headers("assistant"))
    assert book.status_code == 200, book.text
    rows = {row["user_id"]: row for row in book.json()["rows"]}
    cell = str(assignment["id"])
    assert rows[portal.world.ids["user_learner"]]["cells"][cell] == {"score": 0.9, "attempts": 1, "pending": 0}
    assert rows[portal.world.ids["user_learner2"]]["cells"][cell] == {"score": None, "attempts": 1, "pending": 1}

    exported = portal.client.get(
        f"/v1/courses/{portal.world.ids['course']}/gradebook.csv", headers=portal.headers("instructor")
    )
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.text)))
    column = table[0].index(f"Lab report [{assignment['id']}]")
    by_user = {row[0]: row for row in table[1:]}
    assert by_user[str(portal.world.ids["user_learner"])][column] == "0.9"
    assert by_user[str(portal.world.ids["user_learner2"])][2] == "'=HYPERLINK(evil)"  # not a formula
    assert by_user[str(portal.world.ids["user_learner2"])][column] == ""


def test_audit_rows_are_immutable(portal: Portal) -> None:
    assignment = portal.create(file_types=["text"])
    sid = portal.submit(assignment["id"], "r.txt", b"audited").json()["id"]
    portal.client.post(
        f"/v1/submissions/{sid}/adjustments",
        json={"score": 0.5, "reason": "half"},
        headers=portal.headers("instructor"),
    )
    engine = make_engine(portal.db_url)
    for statement in ("UPDATE score_audit SET new_score = 1.0", "DELETE FROM score_audit"):
        with pytest.raises(DBAPIError, match="immutable"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM score_audit WHERE reason = 'half'")).scalar() == 1
    engine.dispose()


def test_regrade_after_a_key_change(portal: Portal) -> None:
    ids = portal.world.ids
    key = {"kind": "multiple_choice", "choices": [{"id": "a"}, {"id": "b"}], "correct": "a"}
    with transaction(_db(portal)) as s:
        item = Item(
            tenant_id=ids["root"],
            skill_id=ids["skill"],
            external_id="mc-regrade",
            kind="multiple_choice",
            answer_key=key,
        )
        s.add(item)
        s.flush()
        item_id = item.id
        s.add(ActivityItem(activity_id=ids["activity"], item_id=item.id))
        picked_b = Attempt(
            user_id=ids["user_learner"], item_id=item.id, response={"answer": {"choice": "b"}}, score=0.0
        )
        picked_a = Attempt(
            user_id=ids["user_learner2"], item_id=item.id, response={"answer": {"choice": "a"}}, score=1.0
        )
        no_answer = Attempt(user_id=ids["user_learner2"], item_id=item.id, response={}, score=1.0)
        s.add_all([picked_b, picked_a, no_answer])
        s.flush()
        item_id, attempt_ids = item.id, (picked_b.id, picked_a.id, no_answer.id)
    path = f"/v1/items/{item_id}/regrade"
    assert portal.client.post(path, json={"reason": " "}, headers=portal.headers("instructor")).status_code == 422
    assert portal.client.post(path, json={"reason": "x"}, headers=portal.headers("learner")).status_code == 403

    with transaction(_db(portal)) as s:
        s.get(Item, item_id).answer_key = {**key, "correct": "b"}
    done = portal.client.post(path, json={"reason": "key fixed: b is right"}, headers=portal.headers("instructor"))
    assert done.status_code == 200, done.text
    assert done.json() == {
        "item_id": item_id,
        "attempts_rescored": 2,
        "attempts_unchanged": 0,
        "attempts_skipped": [attempt_ids[2]],
        "submissions_queued": [],
        "answers_queued": [],
    }
    with _db(portal)() as s:
        scores = [s.get(Attempt, i).score for i in attempt_ids]
        audits = s.scalars(
            select(ScoreAudit).where(ScoreAudit.attempt_id.in_(attempt_ids)).order_by(ScoreAudit.id)
        ).all()
        statements = s.scalar(
            select(func.count())
            .select_from(Statement)
            .where(Statement.verb_id == Verb.SCORED, Statement.object_key.endswith(f"/items/{item_id}"))
        )
    assert scores == [1.0, 0.0, 1.0]
    assert [(a.kind, a.old_score, a.new_score, a.actor_id) for a in audits] == [
        ("regrade", 0.0, 1.0, ids["user_instructor"]),
        ("regrade", 1.0, 0.0, ids["user_instructor"]),
    ]
    assert statements == 2
    unchanged = portal.client.post(path, json={"reason": "again"}, headers=portal.headers("instructor")).json()
    assert (unchanged["attempts_rescored"], unchanged["attempts_unchanged"]) == (0, 2)

    with transaction(_db(portal)) as s:
        s.get(Item, item_id).answer_key = {"kind": "multiple_choice", "choices": [{"id": "a"}], "correct": "z"}
    broken = portal.client.post(path, json={"reason": "oops"}, headers=portal.headers("instructor"))
    assert broken.status_code == 422 and "not usable" in broken.json()["detail"]
    with _db(portal)() as s:
        assert s.scalar(select(func.count()).select_from(ScoreAudit).where(ScoreAudit.attempt_id.in_(attempt_ids))) == 2

    essay = portal.create(item_id=ids["essay_item"], file_types=["text"])
    sid = portal.submit(essay["id"], "e.txt", b"An essay. " * 30).json()["id"]
    requeued = portal.client.post(
        f"/v1/items/{ids['essay_item']}/regrade", json={"reason": "new rubric"}, headers=portal.headers("instructor")
    ).json()
    assert sid in requeued["submissions_queued"]
    assert portal.fetch(sid)["status"] == "review"  # graded again in the background; still no model here


def test_cli_grades_what_a_stopped_server_left_behind(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    assignment = portal.create(file_types=["text"])
    sid = portal.submit(assignment["id"], "r.txt", b"left behind").json()["id"]
    with transaction(_db(portal)) as s:
        s.get(Submission, sid).status = "grading"  # the server stopped while grading it
    monkeypatch.setenv("PATHWISE_DATABASE_URL", portal.db_url)
    monkeypatch.setenv("PATHWISE_HOME", str(portal.home))
    cli = build_cli()
    untouched = CliRunner().invoke(cli, ["submissions", "grade"])
    assert untouched.exit_code == 0, untouched.output
    assert json.loads(untouched.output) == {}
    assert portal.fetch(sid)["status"] == "grading"
    recovered = CliRunner().invoke(cli, ["submissions", "grade", "--stuck"])
    assert recovered.exit_code == 0, recovered.output
    assert json.loads(recovered.output) == {"review": 1}
    assert portal.fetch(sid)["status"] == "review"


def test_concurrent_admission_starts_leave_exactly_one_live(portal: Portal) -> None:
    """Two starts racing: whichever way they interleave, one admission is live and the other start gets 409."""
    if portal.db_url.startswith("sqlite"):
        pytest.skip("SQLite has a single writer; the race needs PostgreSQL")
    exam = portal.create(exam=True, file_types=["text"])
    factory, learner = _db(portal), portal.world.ids["user_learner2"]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def start() -> None:
        with factory() as s:
            assignment = s.get(Assignment, exam["id"])
            barrier.wait()
            try:
                start_admission(s, assignment, learner, LEARNER_IP)
                s.commit()
                outcomes.append("started")
            except ProblemError as error:
                outcomes.append(error.status)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes, key=str) == [409, "started"]
    with factory() as s:
        live = s.scalar(
            select(func.count()).where(ExamAdmission.assignment_id == exam["id"], ExamAdmission.active_key.is_not(None))
        )
    assert live == 1


@pytest.mark.slow
def test_essay_scored_by_the_registered_champion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Train a tiny essay model into a throw-away registry; the portal scores an essay with its champion."""
    from pipelines.essay.run import train
    from tests.model.test_essay import small_config, synthetic_essays, write_asap

    monkeypatch.setenv("PATHWISE_HOME", str(tmp_path))
    data = tmp_path / "asap"
    data.mkdir()
    frame = synthetic_essays(n_per_prompt=24, seed=3)
    for fold in range(2):
        write_asap(frame.iloc[fold::2], data / f"part{fold}.tsv")
    registry = f"sqlite:///{tmp_path / 'mlflow.db'}"
    train(data, tmp_path, small_config(), registry, tmp_path / "artifacts")
    for portal in make_portal(
        f"sqlite:///{tmp_path / 'essay.db'}",
        tmp_path,
        essay_model_uri="models:/pathwise-essay@champion",
        mlflow_tracking_uri=registry,
    ):
        essay = portal.create(item_id=portal.world.ids["essay_item"])
        text_ = frame[frame["essay_set"] == 1].iloc[0]["essay"]
        sid = portal.submit(essay["id"], "essay.txt", text_.encode()).json()["id"]
        result = portal.fetch(sid)
        assert result["report"]["model"] == "models:/pathwise-essay@champion"
        # prompt 1's model (its rubric is 2-12), reported on the item's own scale (max_score, 4 by default)
        assert result["report"]["model_range"] == [2, 12] and 2 <= result["report"]["model_score"] <= 12
        assert 0 <= result["report"]["rubric_score"] <= result["report"]["max_score"] == 4
        assert 0.0 <= result["report"]["confidence"] <= 1.0
        assert not any(f.startswith("grader_unavailable") for f in result["flags"])
        if result["flags"]:  # the model was unsure: an instructor decides, nothing released
            assert result["status"] == "review" and result["score"] is None
            assert all(f.startswith("essay: ") for f in result["flags"])
        else:
            assert result["status"] == "graded"
            assert result["score"] == pytest.approx(result["report"]["rubric_score"] / 4)
