"""What the review console reads beyond the queues: one answer of a sitting and its score history.

The queue lists an answer only while it waits; the review page keeps showing it (its report,
its new score, the audit) after an instructor has scored it, and refuses a reader their own answer.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.world import World
from tests.api.world import role_headers as _h


def _flagged_essay(client: TestClient, world: World) -> tuple[int, int]:
    """A learner's essay answer in a summative sitting; with no essay model here it waits for review."""
    item = client.post(
        "/v1/items",
        json={"external_id": "rc-essay", "skill_id": world.ids["skill"], "stem": "Why?", "key": {"kind": "essay"}},
        headers=_h(world, "instructor"),
    ).json()["id"]
    body = {"title": "Essay test", "kind": "summative", "item_ids": [item]}
    test = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    sitting = client.post(f"/v1/assessments/{test.json()['id']}/sittings", headers=_h(world, "learner")).json()["id"]
    answer = client.post(
        f"/v1/sittings/{sitting}/answers",
        json={"item_id": item, "answer": {"text": "Both cut the whole into the same share."}},
        headers=_h(world, "learner"),
    ).json()
    return sitting, answer["attempt_id"]


def test_an_answer_and_its_audit_stay_readable_after_the_review(api: tuple[TestClient, World, str]) -> None:
    client, world, _ = api
    sitting, attempt = _flagged_essay(client, world)
    url = f"/v1/sittings/{sitting}/answers/{attempt}"

    flagged = client.get(url, headers=_h(world, "assistant"))
    assert flagged.status_code == 200, flagged.text
    seen = flagged.json()
    assert (seen["status"], seen["score"], seen["user_id"]) == ("review", None, world.ids["user_learner"])
    assert seen["answer"] == {"text": "Both cut the whole into the same share."}
    assert any(flag.startswith("grader_unavailable: essay model") for flag in seen["flags"])
    assert client.get(f"{url}/audit", headers=_h(world, "assistant")).json() == []

    empty = client.post(f"{url}/adjustments", json={"score": 0.75, "reason": ""}, headers=_h(world, "assistant"))
    assert empty.status_code == 422 and empty.headers["content-type"] == "application/problem+json"
    assert "reason" in empty.json()["detail"]
    done = client.post(
        f"{url}/adjustments", json={"score": 0.75, "reason": "clear and correct"}, headers=_h(world, "assistant")
    )
    assert done.status_code == 201, done.text

    after = client.get(url, headers=_h(world, "instructor")).json()
    assert (after["status"], after["score"]) == ("graded", 0.75)
    trail = client.get(f"{url}/audit", headers=_h(world, "instructor")).json()
    assert [(a["kind"], a["old_score"], a["new_score"], a["reason"]) for a in trail] == [
        ("manual", None, 0.75, "clear and correct")
    ]
    assert trail[0]["actor_id"] == world.ids["user_assistant"]


def test_an_answer_is_not_found_through_another_sitting_and_hidden_from_learners(
    api: tuple[TestClient, World, str],
) -> None:
    client, world, _ = api
    sitting, attempt = _flagged_essay(client, world)
    for path in (f"/v1/sittings/{sitting}/answers/{world.ids['attempt']}", f"/v1/sittings/{sitting}/answers/999999"):
        missing = client.get(path, headers=_h(world, "instructor"))
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    for suffix in ("", "/audit"):
        refused = client.get(f"/v1/sittings/{sitting}/answers/{attempt}{suffix}", headers=_h(world, "learner"))
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
