"""A program that loops forever, or runs out of memory, is scored 0 with feedback through the API.

Finding 9 of the platform's rough-edges issue: an infinite loop used to be sent to manual review
after the sandbox stopped it. A limit the program runs into by itself (time, memory, processes)
is a verdict on that test; only what the sandbox cannot read as a verdict goes to an instructor.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from platform_api.domain.assignments.autograde import Graders
from tests.api.world import World, build_world, login, make_client

pytestmark = pytest.mark.skipif(not shutil.which("bwrap"), reason="the code sandbox needs bubblewrap")

TESTS = (
    "from solution import add\n\n"
    "def test_small():\n    assert add(2, 3) == 5\n\n"
    "def test_large():\n    assert add(10**6, 1) == 10**6 + 1\n"
)
LOOPS = "def add(a, b):\n    while True:\n        pass\n"
LOOPS_ON_LARGE = "def add(a, b):\n    while a > 1000:\n        pass\n    return a + b\n"
HOGS_MEMORY = "def add(a, b):\n    hog = []\n    while True:\n        hog.append(' ' * 10**7)\n"
LOOPS_AT_IMPORT = "while True:\n    pass\n\ndef add(a, b):\n    return a + b\n"
READS_SECRETS = "def add(a, b):\n    open('/etc/shadow').read()\n    return a + b\n"


@pytest.fixture
def api(db_url: str) -> Iterator[tuple[TestClient, World]]:
    world = build_world(db_url)
    with make_client(db_url, essay_model_uri="file:///nonexistent/essay-model") as client:
        for name in ("instructor", "learner"):
            world.tokens[name] = login(client, f"{name}@world.test")
        yield client, world


def _h(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def _answer(client: TestClient, world: World, source: str, limit: float = 1.5) -> dict[str, Any]:
    """A summative test of one code item (``limit`` seconds per test), answered with ``source`` and finished."""
    key = {
        "kind": "code",
        "visible_tests": TESTS,
        "hidden_tests": TESTS.replace("test_", "test_h_"),
        "time_limit_s": limit,
    }
    body = {
        "external_id": f"add-{time.monotonic_ns()}",
        "skill_id": world.ids["skill"],
        "stem": "Write add",
        "key": key,
    }
    item = client.post("/v1/items", json=body, headers=_h(world, "instructor"))
    assert item.status_code == 201, item.text
    test = client.post(
        f"/v1/courses/{world.ids['course']}/assessments",
        json={"title": "Add", "kind": "summative", "item_ids": [item.json()["id"]]},
        headers=_h(world, "instructor"),
    )
    assert test.status_code == 201, test.text
    sitting = client.post(f"/v1/assessments/{test.json()['id']}/sittings", headers=_h(world, "learner")).json()
    sent = client.post(
        f"/v1/sittings/{sitting['id']}/answers",
        json={"item_id": item.json()["id"], "answer": {"source": source}},
        headers=_h(world, "learner"),
    )
    assert sent.status_code == 201, sent.text  # graded after the response (the TestClient runs it before returning)
    finished = client.post(f"/v1/sittings/{sitting['id']}/finish", headers=_h(world, "learner"))
    assert finished.status_code == 200, finished.text
    return dict(finished.json())


def test_a_program_that_loops_forever_scores_zero_with_feedback(api: tuple[TestClient, World]) -> None:
    client, world = api
    started = time.monotonic()
    result = _answer(client, world, LOOPS)
    [outcome] = result["results"]
    assert (outcome["status"], outcome["score"]) == ("graded", 0.0), outcome
    assert result["score"] == 0.0  # final: nothing waits for an instructor
    assert outcome["feedback"], outcome
    assert all("loop that never ends" in line for line in outcome["feedback"]), outcome["feedback"]
    assert any(line.startswith("test_small: ") for line in outcome["feedback"])
    assert time.monotonic() - started < 60
    queue = client.get(f"/v1/courses/{world.ids['course']}/review-queue/answers", headers=_h(world, "instructor"))
    assert queue.json()["total"] == 0, queue.json()


def test_only_the_tests_that_loop_lose_their_points(api: tuple[TestClient, World]) -> None:
    client, world = api
    [outcome] = _answer(client, world, LOOPS_ON_LARGE)["results"]
    assert (outcome["status"], outcome["score"]) == ("graded", 0.5), outcome
    assert [line.split(":")[0] for line in outcome["feedback"]] == ["test_large", "hidden test test_h_large"]


@pytest.mark.parametrize(
    ("source", "hint"),
    [
        (HOGS_MEMORY, "ran out of memory"),
        (LOOPS_AT_IMPORT, "loop that never ends"),
    ],
    ids=["memory", "loop-at-import"],
)
def test_other_limits_score_zero_with_feedback(api: tuple[TestClient, World], source: str, hint: str) -> None:
    client, world = api
    [outcome] = _answer(client, world, source)["results"]
    assert (outcome["status"], outcome["score"]) == ("graded", 0.0), outcome
    assert any(hint in line for line in outcome["feedback"]), outcome["feedback"]


def test_reading_outside_the_sandbox_still_goes_to_review(api: tuple[TestClient, World]) -> None:
    client, world = api
    result = _answer(client, world, READS_SECRETS)
    [outcome] = result["results"]
    assert outcome["status"] == "pending_review" and result["score"] is None
    queue = client.get(f"/v1/courses/{world.ids['course']}/review-queue/answers", headers=_h(world, "instructor"))
    [row] = queue.json()["items"]
    assert any("file_access_denied" in flag for flag in row["flags"]), row["flags"]


def test_a_grading_that_runs_out_of_time_is_not_a_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole grading's budget running out says nothing about the program: an instructor looks."""
    import models.code.grader as grader
    from models.code.report import SandboxLimits

    real = grader.grade_submission

    def short_budget(source: str, tests: Any, hidden: Any, limits: SandboxLimits | None = None) -> Any:
        return real(source, tests, hidden, SandboxLimits(test_timeout_s=5.0, total_wall_s=2.0))

    monkeypatch.setattr(grader, "grade_submission", short_budget)
    outcome = Graders("file:///nonexistent").grade_code({"tests": TESTS}, LOOPS)
    assert any(flag.startswith("containment: grading_budget") for flag in outcome.flags), outcome.flags
