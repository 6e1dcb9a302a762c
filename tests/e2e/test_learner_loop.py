"""The learner loop, as a person meets it: ``pathwise up``, log in, answer, see the recommendations change.

One stack per database (SQLite with the in-process bus; PostgreSQL with Redis Streams), started the
way the README says, on a fresh home. Everything goes through the platform API with the learner's
own token: serving is never called directly, except to check that it refuses anonymous callers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from experiments.loop_bench import Stack, answer_quiz, answer_xapi, mastery, running_stack


@pytest.fixture(scope="module", params=["embedded", pytest.param("postgres", marks=pytest.mark.integration)], ids=str)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home: Path = tmp_path_factory.mktemp(f"loop-{request.param}") / "home"
    with running_stack(home, request.param) as running:
        yield running


def _learners_by_history(stack: Stack) -> tuple[list[int], int]:
    """Seeded learners with a short, mixed history on the quiz's skill, and one with none on it.

    Short and mixed, because BKT (no forgetting) holds a learner it considers certain of a skill at the
    top whatever they answer next: a learner with a long run of right answers would show no drop.
    """
    counts = stack.query(
        "SELECT a.user_id, count(*), sum(CASE WHEN a.correct THEN 1 ELSE 0 END) FROM attempts a "
        "JOIN items i ON i.id = a.item_id WHERE i.skill_id = ? GROUP BY a.user_id ORDER BY a.user_id",
        int(stack.skill),
    )
    practised = {int(user) for user, *_ in counts}
    mixed = [int(user) for user, n, right in counts if 3 <= n <= 8 and 0 < right < n]
    fresh = next(learner for learner in stack.learners if learner not in practised)
    return mixed, fresh


def _ranked_on_the_skill(client: httpx.Client, stack: Stack, candidates: list[int]) -> int:
    """The first candidate whose ranking offers an activity of the quiz's skill (not locked for them)."""
    for learner in candidates[:20]:
        _, body = mastery(client, stack, learner, stack.login(client, learner), k=50)
        if any(item["skill"] == stack.skill for item in body["items"]):
            return learner
    raise AssertionError("no candidate learner has the quiz's skill unlocked")


def _until(check: Any, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _ranking(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["activity_id"], item["reason"]) for item in body["items"]]


def test_an_answer_anywhere_reaches_the_learners_recommendations(stack: Stack) -> None:
    candidates, fresh = _learners_by_history(stack)
    with httpx.Client(timeout=30) as client:
        practised = _ranked_on_the_skill(client, stack, candidates)
        headers = stack.login(client, practised)
        start, body = mastery(client, stack, practised, headers, k=50)  # the whole ranking
        assert body["model_versions"]["kt"].startswith("pathwise-bkt/") and body["variant"] == {"kt": "champion"}
        assert body["fallback"] is None and body["items"] and all(item["reason"] for item in body["items"])
        prior, _ = mastery(client, stack, fresh, stack.login(client, fresh))
        assert abs(start - prior) > 0.01, "the practised learner is served their history, not the prior"

        # three wrong answers through the quiz API: within 2 s the skill's mastery drops and the ranking moves
        sitting = client.post(f"{stack.api}/v1/assessments/{stack.quiz}/sittings", headers=headers)
        assert sitting.status_code == 201, sitting.text
        for _ in range(3):
            assert answer_quiz(client, stack, headers, int(sitting.json()["id"]))
        after_quiz = _until(lambda: (m := mastery(client, stack, practised, headers, 50)) and m[0] < start and m, 2.0)
        assert after_quiz, "mastery did not drop within 2 s of three wrong quiz answers"
        quiz_mastery, quiz_body = after_quiz
        assert _ranking(quiz_body) != _ranking(body)
        assert quiz_body["model_versions"]["kt"] and quiz_body["variant"]["kt"] == "champion"

        # one statement from an xAPI client moves it the same way
        answer_xapi(client, stack, practised, 1)
        after_xapi = _until(lambda: mastery(client, stack, practised, headers)[0] < quiz_mastery, 2.0)
        assert after_xapi, "mastery did not drop within 2 s of a wrong answer posted to /xAPI"
        # the response counts the answers the estimate rests on: the history plus these four
        counted = _until(lambda: mastery(client, stack, practised, headers)[1]["answers"], 2.0)
        assert counted[stack.skill] == body["answers"][stack.skill] + 4 > 4


def test_only_the_learner_and_those_responsible_read_recommendations(stack: Stack) -> None:
    practised, other = stack.learners[0], stack.learners[1]
    path = f"{stack.api}/v1/learners/{practised}/recommendations"
    with httpx.Client(timeout=30) as client:
        assert client.get(path, params={"course": stack.course}).status_code == 401
        assert client.get(path, params={"course": stack.course}, headers=stack.login(client, other)).status_code == 403
        staff = client.post(
            f"{stack.api}/v1/auth/token",
            data={"username": "instructor@demo.pathwise.local", "password": "pathwise-demo"},
        )
        instructor = {"Authorization": f"Bearer {staff.json()['access_token']}"}
        assert client.get(path, params={"course": stack.course}, headers=instructor).status_code == 200
        # serving's own port answers nobody without the platform's service token
        direct = client.get(f"{stack.serving}/v1/learners/{practised}/recommendations", params={"course": stack.course})
        assert direct.status_code == 401
        assert direct.headers["content-type"] == "application/problem+json"
        assert client.get(f"{stack.serving}/healthz").status_code == 200


def test_a_learners_chosen_focus_moves_their_ranking(stack: Stack) -> None:
    """Preferences set through the API reach serving through the outbox and move the served ranking."""
    learner = stack.learners[2]
    with httpx.Client(timeout=30) as client:
        headers = stack.login(client, learner)
        _, before = mastery(client, stack, learner, headers, k=50)
        order = [item["activity_id"] for item in before["items"]]
        last = before["items"][-1]
        assert last["skill"] != before["items"][0]["skill"], "the ranking must offer more than one skill"
        chosen = client.put(
            f"{stack.api}/v1/learners/{learner}/preferences",
            json={"focus_skills": [int(last["skill"])]},
            headers=headers,
        )
        assert chosen.status_code == 200, chosen.text

        def focused() -> dict[str, Any] | None:
            _, body = mastery(client, stack, learner, headers, k=50)
            now = next(item for item in body["items"] if item["activity_id"] == last["activity_id"])
            return body if "you chose to focus on" in now["reason"] else None

        after = _until(focused, 2.0)
        assert after, "the chosen focus did not reach the served ranking within 2 s"
        moved = [item["activity_id"] for item in after["items"]]
        assert moved.index(last["activity_id"]) < order.index(last["activity_id"])  # it moved up
        assert after["variant"]["kt"] == "champion" and after["model_versions"]["kt"]
