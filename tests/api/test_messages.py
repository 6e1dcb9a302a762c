"""Messages a user sees are sentences about their request; answers say what to do next."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.world import World

MC = {"kind": "multiple_choice", "choices": [{"id": "a"}, {"id": "b"}], "correct": "b"}


def _h(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def _answer(client: TestClient, world: World, role: str, sitting: int, item: int, choice: str) -> Any:
    body = {"item_id": item, "answer": {"choice": choice}}
    return client.post(f"/v1/sittings/{sitting}/answers", json=body, headers=_h(world, role))


def test_answering_someone_elses_sitting_says_whose_it_is(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    sitting, item = world.ids["sitting"], world.ids["quiz_item"]
    for role in ("admin", "instructor", "learner2"):
        response = _answer(client, world, role, sitting, item, "b")
        assert response.status_code in (403, 404), response.text
        detail = response.json()["detail"]
        assert "permission" not in detail, (role, detail)
        if response.status_code == 403:
            assert detail == f"Sitting {sitting} belongs to another learner; only the learner taking it may work in it."


def test_no_tries_left_is_a_sentence(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    sitting, item = world.ids["sitting"], world.ids["quiz_item"]
    for _ in range(3):
        assert _answer(client, world, "learner", sitting, item, "a").status_code == 201
    refused = _answer(client, world, "learner", sitting, item, "b")
    assert refused.status_code == 409
    assert refused.json()["detail"] == f"You have used all 3 tries on item {item}; this quiz allows 3 tries per item."


def test_a_fixed_quiz_names_the_next_item(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    ids = []
    for n in range(2):
        body = {"external_id": f"next-{n}", "skill_id": world.ids["skill"], "stem": f"Q{n}", "key": MC}
        ids.append(client.post("/v1/items", json=body, headers=_h(world, "instructor")).json()["id"])
    quiz = {"title": "Two", "kind": "formative", "activity_id": world.ids["activity"], "item_ids": ids}
    made = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=quiz, headers=_h(world, "instructor"))
    assert made.status_code == 201, made.text
    started = client.post(f"/v1/assessments/{made.json()['id']}/sittings", headers=_h(world, "learner2")).json()
    sitting = started["id"]
    assert started["next_item"]["id"] == ids[0]

    def looked_up() -> tuple[int | None, int | None]:
        """The next item as the sitting and GET /next name it: the same, at every step."""
        view = client.get(f"/v1/sittings/{sitting}", headers=_h(world, "learner2"))
        following = client.get(f"/v1/sittings/{sitting}/next", headers=_h(world, "learner2"))
        assert view.status_code == following.status_code == 200, (view.text, following.text)
        named, item = view.json()["next_item"], following.json()
        assert named is None or "answer_key" not in named
        return (named and named["id"]), (item and item["id"])

    assert looked_up() == (ids[0], ids[0])
    wrong = _answer(client, world, "learner2", sitting, ids[0], "a").json()
    assert wrong["next_item"]["id"] == ids[0]  # a try is left: the same item first, as GET /next says
    assert looked_up() == (ids[0], ids[0])
    right = _answer(client, world, "learner2", sitting, ids[0], "b").json()
    assert right["next_item"]["id"] == ids[1] and "answer_key" not in right["next_item"]
    assert looked_up() == (ids[1], ids[1])
    last = _answer(client, world, "learner2", sitting, ids[1], "b").json()
    assert last["next_item"] is None
    assert looked_up() == (None, None)
    finished = client.post(f"/v1/sittings/{sitting}/finish", headers=_h(world, "learner2"))
    assert finished.status_code == 200 and finished.json()["next_item"] is None
    staff = client.get(f"/v1/sittings/{sitting}", headers=_h(world, "instructor"))  # staff may look, not answer
    assert staff.status_code == 200 and staff.json()["next_item"] is None
    stranger = client.get(f"/v1/sittings/{sitting}", headers=_h(world, "guardian"))  # not this learner's guardian
    assert stranger.status_code in (403, 404) and "next_item" not in stranger.json()


def test_the_grade_book_shows_no_mean_for_a_learner_with_no_work(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    book = client.get(f"/v1/courses/{world.ids['course']}/gradebook", headers=_h(world, "instructor"))
    assert book.status_code == 200, book.text
    rows = {row["user_id"]: row for row in book.json()["rows"]}
    idle = rows[world.ids["user_learner2"]]
    assert all(cell["score"] is None for cell in idle["cells"].values())
    assert idle["mean"] is None  # nothing submitted: no mean, not 0.0
    csv = client.get(f"/v1/courses/{world.ids['course']}/gradebook.csv", headers=_h(world, "instructor"))
    if csv.status_code == 200:
        line = next(r for r in csv.text.splitlines() if "learner2@world.test" in r)
        assert not line.rstrip().endswith(",0.0")
