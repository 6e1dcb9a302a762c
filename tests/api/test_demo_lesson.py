"""The learner app's path through the seeded demo, end to end over the API, on SQLite and PostgreSQL.

A demo learner signs in with the browser session (cookie), opens the demo lesson (its media through
signed URLs, with Range for the video), reads home, answers the demo quiz offline through
``POST /v1/sync`` (a replay answers duplicate), and the answers travel the spine as statements the
learner loop reads. A submission edited against an old version lands in the instructor's review
queue; a guardian reads home but cannot sync.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from features.events import statement_to_interaction
from features.xapi_vocabulary import Verb
from platform_api.core.config import APISettings
from platform_api.core.db import make_engine, make_session_factory
from platform_api.core.migrate import upgrade
from platform_api.demo.lesson import LESSON_TITLE
from platform_api.demo.quiz import QUIZ_TITLE
from platform_api.demo.review import ensure_flagged_essay
from platform_api.demo.seed import DEMO_COHORT, DEMO_COHORT_SIZE, DEMO_PASSWORD, seed_demo
from platform_api.domain.learning.media import signed_url
from platform_api.domain.models import GuardianLink, Item, Statement, User
from tests.api.test_demo_quiz import RIGHT
from tests.api.world import make_client
from tests.conftest import DATABASES, fresh_pg_database, isolate_home

CSRF = {"X-Pathwise-CSRF": "1"}


@dataclass
class Demo:
    client: TestClient
    db_url: str
    learner_id: int
    learner_email: str
    guardian_id: int
    externals: dict[int, str]

    def bearer(self, email: str) -> dict[str, str]:
        response = self.client.post("/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module", params=DATABASES)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("demo-lesson")
    with pytest.MonkeyPatch.context() as patch:
        home = isolate_home(patch, folder / "home")
        if request.param == "sqlite":
            yield from _demo(f"sqlite:///{folder / 'demo.db'}", home)
        else:
            with fresh_pg_database() as url:
                yield from _demo(url, home)


def _demo(db_url: str, home: Path) -> Iterator[Demo]:
    upgrade(db_url)
    seed_demo(db_url, home=home)
    assert seed_demo(db_url, home=home).created is False  # idempotent, the lesson included
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        guardian_id, learner_id = s.execute(select(GuardianLink.guardian_id, GuardianLink.learner_id).limit(1)).one()
        learner = s.get(User, learner_id)
        assert learner is not None
        externals = dict(
            s.execute(select(Item.id, Item.external_id).where(Item.external_id.like("demo-frac-%"))).tuples().all()
        )
        email = learner.email
    engine.dispose()
    # no essay model here: essays go to review at once; serving is not running (mastery is null)
    with make_client(db_url, home=home, events_relay=False, essay_model_uri="file:///nonexistent/essay") as client:
        client.app.state.serving_client = httpx.Client(  # type: ignore[attr-defined]
            base_url="http://serving.test", transport=httpx.MockTransport(lambda request: httpx.Response(503))
        )
        yield Demo(client, db_url, learner_id, email, guardian_id, externals)


def _lesson(demo: Demo, headers: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
    course_id = demo.client.get("/v1/courses", headers=headers).json()["items"][0]["id"]
    tree = demo.client.get(f"/v1/courses/{course_id}/tree", headers=headers).json()
    lessons = [lesson for unit in tree["units"] for lesson in unit["lessons"] if lesson["title"] == LESSON_TITLE]
    assert len(lessons) == 1
    return course_id, lessons[0]["activities"]


def test_a_new_instructor_finds_one_flagged_essay_waiting_in_the_demo_queue(demo: Demo) -> None:
    """The set-up step grades a demo learner's essay with the real grader (here without an essay model,
    so it is flagged as unscored); the demo instructor finds it in the course's review queue."""
    settings = APISettings(database_url=demo.db_url, essay_model_uri="file:///nonexistent/essay")
    said = ensure_flagged_essay(settings)
    assert "submitted the lesson's essay" in said, said
    instructor = demo.bearer("instructor@demo.pathwise.local")
    course_id, activities = _lesson(demo, instructor)
    essay = activities[5]["metadata"]["assignment_id"]
    queue = demo.client.get(f"/v1/courses/{course_id}/review-queue", headers=instructor).json()["items"]
    waiting = [s for s in queue if s["assignment_id"] == essay]
    assert len(waiting) == 1 and waiting[0]["status"] == "review" and waiting[0]["flags"], queue
    assert waiting[0]["user_id"] != demo.learner_id  # not the guardian's learner the other stories follow
    assert "reused" in ensure_flagged_essay(settings)
    again = demo.client.get(f"/v1/courses/{course_id}/review-queue", headers=instructor).json()["items"]
    assert [s["id"] for s in again if s["assignment_id"] == essay] == [waiting[0]["id"]]


def test_the_demo_lesson_plays_with_signed_media(demo: Demo) -> None:
    client = demo.client
    signed_in = client.post("/v1/auth/session", data={"username": demo.learner_email, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 200 and "refresh_token" not in signed_in.json()
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    _, activities = _lesson(demo, headers)
    assert [a["kind"] for a in activities] == ["reading", "video", "notebook", "quiz", "practice", "practice"]
    # the lesson's quiz reuses the course's demo quiz through its metadata, and says so where a player looks
    quiz = activities[3]
    assert quiz["title"] != QUIZ_TITLE and quiz["assessment_ids"] == [quiz["metadata"]["assessment_id"]]
    assert (
        client.get(f"/v1/activities/{quiz['id']}", headers=headers).json()["assessment_ids"] == quiz["assessment_ids"]
    )
    page, video, notebook = activities[0], activities[1], activities[2]
    assert 'src="demo-fraction-bars.png"' in page["content"] and "demo-fraction-bars.png" in page["media_urls"]
    assert notebook["media_urls"]

    activity = client.get(f"/v1/activities/{video['id']}", headers=headers).json()
    url = activity["media_url"]
    assert url.startswith("/v1/media/demo-fractions-intro.webm?")
    whole = client.get(url)  # no header: the signature is the credential
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/webm"
    assert 10_000 < len(whole.content) < 100_000 and whole.content[:4] == b"\x1a\x45\xdf\xa3"  # EBML (WebM)
    part = client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100 and part.content == whole.content[:100]
    assert part.headers["content-range"].startswith("bytes 0-99/")
    notebook_file = client.get(client.get(f"/v1/activities/{notebook['id']}", headers=headers).json()["media_url"])
    assert notebook_file.json()["nbformat"] == 4
    cells = notebook_file.json()["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "markdown"]
    assert {"text/plain", "image/png"} <= {k for o in cells[1]["outputs"] for k in o.get("data", {})}

    path = "/v1/media/demo-fractions-intro.webm"
    assert client.get(path, headers=headers).status_code == 200  # Bearer works too
    assert client.get(path).status_code == 401
    assert client.get(url.replace("sig=", "sig=0")).status_code == 401
    assert client.get(url.split("&sig=")[0] + "&sig=%C3%A9").status_code == 401  # a non-ASCII signature too
    assert client.get(url.split("&sig=")[0]).status_code == 401
    secret = client.app.state.jwt_secret  # type: ignore[attr-defined]
    expired = signed_url(secret, "demo-fractions-intro.webm", demo.learner_id, ttl_s=-1)
    assert "expired" in client.get(expired).json()["detail"]
    # a guardian reads no course content: neither token nor a URL signed for them fetches it
    guardian = signed_url(secret, "demo-fractions-intro.webm", demo.guardian_id, ttl_s=60)
    assert client.get(guardian).status_code == 403
    guardian_email = client.get("/v1/auth/me", headers=_guardian(demo)).json()["email"]
    assert guardian_email.startswith("guardian")
    assert client.get(path, headers=_guardian(demo)).status_code == 403
    assert client.get("/v1/media/no-such-file.png", headers=headers).status_code == 404


def _guardian(demo: Demo) -> dict[str, str]:
    return demo.bearer("guardian@demo.pathwise.local")


def test_home_then_an_offline_quiz_through_sync_reaches_the_spine(demo: Demo) -> None:
    client = demo.client
    headers = demo.bearer(demo.learner_email)
    course_id, activities = _lesson(demo, headers)
    progress = {"position": 1.0, "status": "completed", "client_updated_at": datetime.now(UTC).isoformat()}
    video = activities[1]["id"]
    assert client.put(f"/v1/learners/{demo.learner_id}/progress/{video}", json=progress, headers=headers).json()[
        "applied"
    ]
    home = client.get(f"/v1/learners/{demo.learner_id}/home", headers=headers)
    assert home.status_code == 200, home.text
    entry = next(e for e in home.json()["continue"] if e["course_id"] == course_id)
    assert entry["activity_title"] == "Fractions in five seconds" and entry["activities_completed"] == 1
    assert home.json()["mastery"] is None  # serving is down here: nothing is made up
    assert {d["title"] for d in home.json()["deadlines"]} >= {"Add two fractions", "Equivalent fractions"}

    quiz = next(
        a
        for a in client.get(f"/v1/courses/{course_id}/assessments", headers=headers).json()["items"]
        if a["title"] == QUIZ_TITLE
    )
    items = list(quiz["spec"]["item_ids"]) if "spec" in quiz else list(demo.externals)
    changes = [
        {
            "id": str(uuid.uuid4()),
            "type": "answer",
            "assessment_id": quiz["id"],
            "item_id": item,
            "answer": RIGHT[demo.externals[item]],
            "duration_ms": 5000,
            "answered_at": datetime.now(UTC).isoformat(),
        }
        for item in items
        if demo.externals.get(item) in RIGHT
    ]
    batch = {"batch_id": str(uuid.uuid4()), "changes": changes}
    first = client.post("/v1/sync", json=batch, headers=headers).json()
    assert [o["outcome"] for o in first["outcomes"]] == ["applied"] * len(changes), first
    assert all(o["result"]["correct"] is True for o in first["outcomes"])
    replay = client.post("/v1/sync", json=batch, headers=headers).json()
    assert [o["outcome"] for o in replay["outcomes"]] == ["duplicate"] * len(changes)

    # the answers travel the spine: answered statements about this learner and the quiz's skill, which
    # the learner loop (serving) and the features read as answers
    engine = make_engine(demo.db_url)
    with make_session_factory(engine)() as s:
        payloads = s.scalars(select(Statement.payload).where(Statement.verb_id == Verb.ANSWERED)).all()
    engine.dispose()
    mine = [statement_to_interaction(p) for p in payloads if p["actor"]["account"]["name"] == str(demo.learner_id)]
    assert len([i for i in mine if i.kind == "answer" and i.correct]) == len(changes)
    assert len({i.skill_id for i in mine}) == 1

    later = client.get(f"/v1/learners/{demo.learner_id}/home", headers=headers).json()
    assert later["progress"]["badges"][0]["earned"] is True  # first answer
    assert sum(day["minutes"] for day in later["time_usage"]) >= len(changes) * 5 / 60


def test_a_submission_conflict_reaches_the_instructor_and_guardians_cannot_sync(demo: Demo) -> None:
    client = demo.client
    headers = demo.bearer(demo.learner_email)
    course_id, activities = _lesson(demo, headers)
    essay = activities[5]["metadata"]["assignment_id"]
    first = {
        "id": str(uuid.uuid4()),
        "type": "submission",
        "assignment_id": essay,
        "base_version": 0,
        "text": "Two quarters fill the same length as one half.",
    }
    laptop = client.post("/v1/sync", json={"batch_id": str(uuid.uuid4()), "changes": [first]}, headers=headers)
    assert laptop.json()["outcomes"][0]["outcome"] == "applied", laptop.text
    phone_edit = {**first, "id": str(uuid.uuid4()), "text": "Cut a half in two and you get two quarters."}
    phone = client.post("/v1/sync", json={"batch_id": str(uuid.uuid4()), "changes": [phone_edit]}, headers=headers)
    outcome = phone.json()["outcomes"][0]
    assert outcome["outcome"] == "conflict"
    kept = outcome["result"]["submission"]["id"]
    instructor = demo.bearer("instructor@demo.pathwise.local")
    queue = client.get(f"/v1/courses/{course_id}/review-queue", headers=instructor).json()["items"]
    flagged = next(s for s in queue if s["id"] == kept)
    assert any("sync conflict" in flag for flag in flagged["flags"])
    assert flagged["report"]["sync_conflict"]["base_version"] == 0

    guardian = _guardian(demo)
    assert client.get(f"/v1/learners/{demo.learner_id}/home", headers=guardian).status_code == 200
    refused = client.post("/v1/sync", json={"batch_id": str(uuid.uuid4()), "changes": [first]}, headers=guardian)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"


def test_the_demo_instructor_can_preview_a_rule_on_the_demo_cohort_at_once(demo: Demo) -> None:
    client = demo.client
    token = client.post(
        "/v1/auth/token", data={"username": "instructor@demo.pathwise.local", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    cohorts = client.get("/v1/cohorts", headers=headers).json()["items"]
    cohort = next(c for c in cohorts if c["name"] == DEMO_COHORT)
    members = client.get(f"/v1/cohorts/{cohort['id']}/members", params={"limit": 100}, headers=headers).json()
    assert members["total"] == DEMO_COHORT_SIZE
    _, activities = _lesson(demo, headers)
    rule = f'if attempts() >= 0 then recommend "{activities[0]["title"]}"'
    preview = client.post(f"/v1/cohorts/{cohort['id']}/rules/preview", json={"source": rule}, headers=headers)
    assert preview.status_code == 200, preview.text
    assert preview.json()["learners"] == DEMO_COHORT_SIZE
