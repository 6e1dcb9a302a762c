"""The question bank and assessment sittings through the API, on SQLite and PostgreSQL.

Each answer must leave exactly one attempt and one ``answered`` statement (plus its outbox
event) behind; each rejected answer must leave nothing.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from analytics.catchup import catch_up
from analytics.store import AnalyticsStore
from features.events import statement_to_interaction
from features.transforms import LEARNER_SKILL, compute_feature_rows
from features.xapi_vocabulary import Extension, Verb
from pathwise.cli import build_cli
from pipelines.lrs_history import answer_labels
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.domain.assessment.written import grade_all_queued_answers, requeue_for_regrade
from platform_api.domain.assignments.autograde import Outcome
from platform_api.domain.models import Attempt, Item, OutboxEvent, ScoreAudit, Statement
from tests.api.world import World
from tests.api.world import role_headers as _h

FRACTION_ITEMS: list[dict[str, Any]] = [
    {
        "kind": "multiple_choice",
        "choices": [{"id": "a", "feedback": "That adds the denominators too."}, {"id": "b"}, {"id": "c"}],
        "correct": "b",
        "hints": ["Use a common denominator.", "1/2 = 2/4."],
    },
    {
        "kind": "multiple_response",
        "choices": [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}],
        "correct": ["a", "b", "d"],
    },
    {"kind": "numeric", "value": 0.4167, "tolerance": 0.005},
    {"kind": "short_text", "accepted": ["denominator"], "wrong_answers": {"numerator": "That is the top number."}},
    {"kind": "ordering", "order": ["a", "b", "c", "d"]},
    {"kind": "matching", "pairs": {"p1": "1/2", "p2": "2/3"}, "distractors": ["2/8"]},
]
RIGHT = [
    {"choice": "b"},
    {"choices": ["a", "b", "d"]},
    {"value": "0,417"},
    {"text": " Denominator. "},
    {"order": ["a", "b", "c", "d"]},
    {"pairs": {"p1": "1/2", "p2": "2/3"}},
]


def _counts(db_url: str) -> tuple[int, int, int]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        out = (
            s.scalar(select(func.count()).select_from(Attempt)) or 0,
            s.scalar(select(func.count()).select_from(Statement)) or 0,
            s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "xapi.statement")) or 0,
        )
    engine.dispose()
    return out


def _statements(db_url: str) -> list[dict[str, Any]]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        rows = list(s.scalars(select(Statement.payload).order_by(Statement.seq)))
    engine.dispose()
    return rows


def _bank(client: TestClient, world: World, keys: list[dict[str, Any]], prefix: str, **extra: Any) -> list[int]:
    ids = []
    for n, key in enumerate(keys):
        body = {"external_id": f"{prefix}-{n}", "skill_id": world.ids["skill"], "stem": f"Q{n}", "key": key, **extra}
        response = client.post("/v1/items", json=body, headers=_h(world, "instructor"))
        assert response.status_code == 201, response.text
        assert response.json()["kind"] == key["kind"]
        ids.append(response.json()["id"])
    return ids


def test_bank_crud_and_bad_input(api: tuple[TestClient, World, str]) -> None:
    client, world, _ = api
    ids = _bank(client, world, [*FRACTION_ITEMS, {"kind": "essay", "prompt_set": 1}], "bank")
    bad = client.post(
        "/v1/items", json={"external_id": "x", "stem": "?", "key": {"kind": "hotspot"}}, headers=_h(world, "admin")
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["field"] == "key.kind" and "unknown item kind 'hotspot'" in bad.json()["detail"]
    malformed = {"external_id": "y", "stem": "?", "key": {"kind": "numeric", "value": "many"}}
    assert client.post("/v1/items", json=malformed, headers=_h(world, "admin")).json()["field"] == "key.value"
    duplicate = {"external_id": "bank-0", "stem": "?", "key": FRACTION_ITEMS[0]}
    assert client.post("/v1/items", json=duplicate, headers=_h(world, "admin")).status_code == 409
    foreign = {"external_id": "z", "stem": "?", "key": FRACTION_ITEMS[0], "skill_id": 10_000}
    assert client.post("/v1/items", json=foreign, headers=_h(world, "admin")).status_code == 422

    page = client.get("/v1/items", params={"limit": 3, "skill_id": world.ids["skill"]}, headers=_h(world, "assistant"))
    assert page.status_code == 200
    assert page.json()["total"] == len(ids) + 2 and len(page.json()["items"]) == 3  # + the world's two items
    essays = client.get("/v1/items", params={"kind": "essay"}, headers=_h(world, "assistant")).json()
    assert [i["id"] for i in essays["items"]] == [ids[-1]]
    assert client.get("/v1/items", params={"kind": "hotspot"}, headers=_h(world, "admin")).status_code == 422
    assert client.get("/v1/items", headers=_h(world, "learner")).status_code == 403
    outsider = client.get("/v1/items", headers=_h(world, "outsider")).json()
    assert outsider["total"] == 0

    changed = client.patch(
        f"/v1/items/{ids[0]}", json={"key": {"kind": "numeric", "value": 0.75}}, headers=_h(world, "instructor")
    )
    assert changed.status_code == 200 and changed.json()["kind"] == "numeric"
    unchanged = client.patch(f"/v1/items/{ids[0]}", json={"key": {"kind": "numeric"}}, headers=_h(world, "instructor"))
    assert unchanged.status_code == 422
    assert client.get(f"/v1/items/{ids[0]}", headers=_h(world, "admin")).json()["answer_key"]["value"] == 0.75
    assert client.get(f"/v1/items/{ids[0]}", headers=_h(world, "outsider")).status_code == 404
    assert client.delete(f"/v1/items/{ids[-1]}", headers=_h(world, "instructor")).status_code == 204
    assert client.get(f"/v1/items/{ids[-1]}", headers=_h(world, "admin")).status_code == 404
    used = client.delete(f"/v1/items/{world.ids['item']}", headers=_h(world, "instructor"))
    assert used.status_code == 409 and "attempt" in used.json()["detail"]

    # assessments refuse what they cannot sit
    course = f"/v1/courses/{world.ids['course']}/assessments"
    cat = {
        "title": "CAT",
        "kind": "summative",
        "selection": "adaptive",
        "adaptive": {"skill_ids": [world.ids["skill"]]},
    }
    response = client.post(course, json=cat, headers=_h(world, "admin"))
    assert response.status_code == 422 and "calibrate" in response.json()["detail"]
    formative = {"title": "q", "kind": "formative", "item_ids": [world.ids["quiz_item"]]}
    missing = client.post(course, json=formative, headers=_h(world, "admin"))
    assert missing.status_code == 422 and "activity_id" in missing.json()["detail"]
    keyless = {"title": "q", "kind": "summative", "item_ids": [world.ids["item"]]}
    unusable = client.post(course, json=keyless, headers=_h(world, "admin"))
    assert unusable.status_code == 422 and "no usable answer key" in unusable.json()["detail"]
    listed = client.delete(f"/v1/items/{world.ids['quiz_item']}", headers=_h(world, "admin"))
    assert listed.status_code == 409 and "assessment" in listed.json()["detail"]  # no sitting can lose an item


def test_formative_quiz_grades_with_hints_partial_credit_and_statements(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    ids = _bank(client, world, FRACTION_ITEMS, "fq")
    body = {
        "title": "Fractions quiz",
        "kind": "formative",
        "activity_id": world.ids["activity"],
        "item_ids": ids,
        "pass_mark": 0.8,
    }
    created = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    assert created.status_code == 201, created.text
    assert created.json()["max_tries"] == 3
    quiz = created.json()["id"]

    started = client.post(f"/v1/assessments/{quiz}/sittings", headers=_h(world, "learner"))
    assert started.status_code == 201
    sitting = started.json()
    assert [i["id"] for i in sitting["items"]] == ids
    assert "answer_key" not in sitting["items"][0] and sitting["items"][0]["options"] == {"choices": ["a", "b", "c"]}
    resumed = client.post(f"/v1/assessments/{quiz}/sittings", headers=_h(world, "learner"))
    assert resumed.status_code == 200 and resumed.json()["id"] == sitting["id"]
    answers = f"/v1/sittings/{sitting['id']}/answers"
    before = _counts(db_url)

    # Bad input changes nothing: wrong shape, unknown choice, an item not in the sitting, someone else's sitting.
    for payload, status in [
        ({"item_id": ids[0], "answer": {"choice": 2}}, 422),
        ({"item_id": ids[0], "answer": {"choice": "z"}}, 422),
        ({"item_id": ids[1], "answer": {"choice": "a"}}, 422),
        ({"item_id": world.ids["item"], "answer": {"choice": "a"}}, 422),
    ]:
        response = client.post(answers, json=payload, headers=_h(world, "learner"))
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert (
        client.post(
            answers, json={"item_id": ids[0], "answer": {"choice": "b"}}, headers=_h(world, "admin")
        ).status_code
        == 403
    )
    assert client.get(f"/v1/sittings/{sitting['id']}", headers=_h(world, "learner2")).status_code == 403
    assert _counts(db_url) == before

    wrong = client.post(
        answers, json={"item_id": ids[0], "answer": {"choice": "a"}}, headers=_h(world, "learner")
    ).json()
    assert wrong["score"] == 0.0 and wrong["tries_left"] == 2
    assert "That adds the denominators too." in wrong["feedback"]
    assert wrong["hint"] == "Use a common denominator." and wrong["hints_remaining"] == 1
    again = client.post(
        answers, json={"item_id": ids[0], "answer": {"choice": "c"}}, headers=_h(world, "learner")
    ).json()
    assert again["hint"] == "1/2 = 2/4." and again["try_number"] == 2
    right = client.post(
        answers, json={"item_id": ids[0], "answer": {"choice": "b"}}, headers=_h(world, "learner")
    ).json()
    assert right["correct"] is True and right["hint"] is None
    done = client.post(answers, json={"item_id": ids[0], "answer": {"choice": "b"}}, headers=_h(world, "learner"))
    assert done.status_code == 409

    partial = client.post(
        answers, json={"item_id": ids[1], "answer": {"choices": ["a", "d"]}}, headers=_h(world, "learner")
    )
    assert partial.json()["score"] == pytest.approx(2 / 3)
    for item_id, answer in zip(ids[2:], RIGHT[2:], strict=True):
        graded = client.post(answers, json={"item_id": item_id, "answer": answer}, headers=_h(world, "learner")).json()
        assert graded["correct"] is True, graded
    nxt = client.get(f"/v1/sittings/{sitting['id']}/next", headers=_h(world, "learner"))
    assert nxt.json()["id"] == ids[1]  # the partly right item may still be retried

    finished = client.post(f"/v1/sittings/{sitting['id']}/finish", headers=_h(world, "learner")).json()
    assert finished["status"] == "finished"
    assert finished["score"] == pytest.approx((5 + 2 / 3) / 6, abs=1e-6) and finished["passed"] is True
    assert [r["tries"] for r in finished["results"]] == [3, 1, 1, 1, 1, 1]
    assert client.post(f"/v1/sittings/{sitting['id']}/finish", headers=_h(world, "learner")).status_code == 409
    seen_by_guardian = client.get(f"/v1/sittings/{sitting['id']}", headers=_h(world, "guardian"))
    assert seen_by_guardian.status_code == 200 and seen_by_guardian.json()["score"] == finished["score"]

    # 8 graded answers: 8 attempts and 8 answered statements; one closing statement; each with an outbox event.
    attempts, statements, events = _counts(db_url)
    assert (attempts - before[0], statements - before[1], events - before[2]) == (8, 9, 9)
    new = _statements(db_url)[-9:]
    answered = [s for s in new if s["verb"]["id"] == Verb.ANSWERED]
    assert len(answered) == 8
    assert [s["result"]["score"]["scaled"] for s in answered[:4]] == [0.0, 0.0, 1.0, pytest.approx(2 / 3)]
    first = answered[0]
    assert first["actor"]["account"]["name"] == str(world.ids["user_learner"])
    assert first["context"]["registration"] == sitting["registration"]
    assert first["context"]["extensions"][Extension.TRY_NUMBER] == 1
    assert first["context"]["extensions"][Extension.ITEM_KIND] == "multiple_choice"
    assert answered[3]["result"]["extensions"][Extension.PARTIAL_CREDIT] == pytest.approx(2 / 3)
    interaction = statement_to_interaction(answered[3])  # what the KT feature stream reads
    # the platform's ids, as Feast, the models and serving key skills and items
    assert (interaction.kind, interaction.skill_id, interaction.item_id) == (
        "answer",
        str(world.ids["skill"]),
        str(ids[1]),
    )
    assert interaction.correct is False and interaction.score == pytest.approx(2 / 3)
    closing = new[-1]
    assert closing["verb"]["id"] == Verb.PASSED and closing["result"]["score"]["scaled"] == finished["score"]


def test_summative_blueprint_draws_reproducibly_and_withholds_feedback(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    keys = [{"kind": "numeric", "value": n} for n in range(8)]
    ids = _bank(client, world, keys, "bp", difficulty=-1.0)
    blueprint = [{"skill_id": world.ids["skill"], "band": "easy", "count": 4}]
    body = {"title": "Unit test", "kind": "summative", "selection": "blueprint", "blueprint": blueprint}
    url = f"/v1/courses/{world.ids['course']}/assessments"
    short = client.post(
        url, json={**body, "blueprint": [{**blueprint[0], "count": 9}]}, headers=_h(world, "instructor")
    )
    assert short.status_code == 422 and short.json()["shortfall"][0]["available"] == 8
    hard = client.post(
        url, json={**body, "blueprint": [{**blueprint[0], "band": "hard"}]}, headers=_h(world, "instructor")
    )
    assert hard.status_code == 422
    retries = client.post(url, json={**body, "max_tries": 2}, headers=_h(world, "instructor"))
    assert retries.status_code == 422
    test = client.post(url, json=body, headers=_h(world, "instructor")).json()["id"]

    mine = client.post(f"/v1/assessments/{test}/sittings", headers=_h(world, "learner")).json()
    drawn = [i["id"] for i in mine["items"]]
    resumed = client.post(f"/v1/assessments/{test}/sittings", headers=_h(world, "learner"))
    assert resumed.status_code == 200 and [i["id"] for i in resumed.json()["items"]] == drawn  # same sitting, same form
    assert len(drawn) == 4 and set(drawn) <= set(ids)
    first = drawn[0]
    value = ids.index(first)
    graded = client.post(
        f"/v1/sittings/{mine['id']}/answers",
        json={"item_id": first, "answer": {"value": value}},
        headers=_h(world, "learner"),
    ).json()
    assert graded["status"] == "graded" and graded["score"] is None and graded["feedback"] == []
    again = client.post(
        f"/v1/sittings/{mine['id']}/answers",
        json={"item_id": first, "answer": {"value": value}},
        headers=_h(world, "learner"),
    )
    assert again.status_code == 409  # one try per item
    result = client.post(f"/v1/sittings/{mine['id']}/finish", headers=_h(world, "learner")).json()
    assert result["score"] == 0.25 and [r["status"] for r in result["results"]].count("unanswered") == 3
    retake = client.post(f"/v1/assessments/{test}/sittings", headers=_h(world, "learner"))
    assert retake.status_code == 409  # one attempt unless the test allows more
    forms = {tuple(i["id"] for i in mine["items"])}
    other = client.post(f"/v1/assessments/{test}/sittings", headers=_h(world, "learner2")).json()
    forms.add(tuple(i["id"] for i in other["items"]))
    assert all(len(f) == 4 for f in forms)
    assert _counts(db_url)[1] >= 2


def test_adaptive_test_runs_to_the_standard_error_rule(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    ids = []
    for n in range(30):
        difficulty = -2.5 + n * 5 / 29
        body = {
            "external_id": f"cat-{n}",
            "skill_id": world.ids["skill"],
            "stem": f"Is {n} even?",
            "key": {"kind": "multiple_choice", "choices": [{"id": "yes"}, {"id": "no"}], "correct": "yes"},
            "difficulty": difficulty,
            "discrimination": 1.7,
        }
        ids.append(client.post("/v1/items", json=body, headers=_h(world, "instructor")).json()["id"])
    settings = {"skill_ids": [world.ids["skill"]], "max_se": 0.55, "min_items": 3, "max_items": 15, "bin_size": 2}
    body = {"title": "Placement", "kind": "summative", "selection": "adaptive", "adaptive": settings}
    created = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    assert created.status_code == 201, created.text
    sitting = client.post(f"/v1/assessments/{created.json()['id']}/sittings", headers=_h(world, "learner")).json()
    assert len(sitting["items"]) == 1 and sitting["theta"] is None  # the learner's, withheld until the end
    assert client.get(f"/v1/sittings/{sitting['id']}", headers=_h(world, "instructor")).json()["theta"] == 0.0
    current = sitting["items"][0]["id"]
    url = f"/v1/sittings/{sitting['id']}/answers"
    given = []
    for _ in range(15):
        answer = "yes" if ids.index(current) < 15 else "no"  # a learner of about middle ability
        out = client.post(url, json={"item_id": current, "answer": {"choice": answer}}, headers=_h(world, "learner"))
        assert out.status_code == 201, out.text
        given.append(current)
        if out.json()["finished"]:
            break
        stale = client.post(url, json={"item_id": given[0], "answer": {"choice": "yes"}}, headers=_h(world, "learner"))
        assert stale.status_code == 409
        current = out.json()["next_item"]["id"]
        assert client.get(f"/v1/sittings/{sitting['id']}/next", headers=_h(world, "learner")).json()["id"] == current
    view = client.get(f"/v1/sittings/{sitting['id']}", headers=_h(world, "instructor")).json()
    assert view["status"] == "finished" and 3 <= len(given) <= 15
    assert len(set(given)) == len(given)
    assert view["standard_error"] is not None and (view["standard_error"] < 0.55 or len(given) == 15)
    assert -1.5 < view["theta"] < 1.5
    answered = [s for s in _statements(db_url) if s["verb"]["id"] == Verb.ANSWERED]
    assert len(answered) == len(given)

    # A key change replays the ability estimate from the rescored answers; changing it back
    # restores the estimate the sitting reached while it ran (the replay follows the same path).
    missed = next(i for i in given if ids.index(i) >= 15)
    key = {"kind": "multiple_choice", "choices": [{"id": "yes"}, {"id": "no"}], "correct": "yes"}
    flipped = client.patch(
        f"/v1/items/{missed}", json={"key": {**key, "correct": "no"}}, headers=_h(world, "instructor")
    )
    assert flipped.status_code == 200, flipped.text
    higher = client.get(f"/v1/sittings/{sitting['id']}", headers=_h(world, "instructor")).json()
    assert higher["theta"] > view["theta"] and higher["score"] > view["score"]
    client.patch(f"/v1/items/{missed}", json={"key": key}, headers=_h(world, "instructor"))
    back = client.get(f"/v1/sittings/{sitting['id']}", headers=_h(world, "instructor")).json()
    assert back["theta"] == pytest.approx(view["theta"], abs=1e-9)
    assert back["standard_error"] == pytest.approx(view["standard_error"], abs=1e-9)
    assert back["score"] == pytest.approx(view["score"], abs=1e-9)


ADD_TESTS = "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"
NEG_TESTS = "from solution import add\n\ndef test_negative():\n    assert add(-1, 1) == 0\n"


def _one_item_sitting(client: TestClient, world: World, key: dict[str, Any], prefix: str) -> tuple[int, Any]:
    """A summative test of one new item, and the learner's open sitting of it."""
    [item_id] = _bank(client, world, [key], prefix)
    body = {"title": f"One {key['kind']} item", "kind": "summative", "item_ids": [item_id]}
    test = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    sitting = client.post(f"/v1/assessments/{test.json()['id']}/sittings", headers=_h(world, "learner")).json()
    return item_id, sitting


def _results(db_url: str, registration: str) -> list[dict[str, Any]]:
    """The result statements (completed / passed / failed) of one sitting, oldest first."""
    verbs = (Verb.COMPLETED, Verb.PASSED, Verb.FAILED)
    return [
        p
        for p in _statements(db_url)
        if p["verb"]["id"] in verbs and p.get("context", {}).get("registration") == registration
    ]


def _outbox(db_url: str, type_: str) -> list[dict[str, Any]]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        rows = list(s.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == type_).order_by(OutboxEvent.id)))
    engine.dispose()
    return rows


def _book_cell(client: TestClient, world: World, test_id: int) -> Any:
    """The learner's grade-book cell for a summative test, as staff read it."""
    book = client.get(f"/v1/courses/{world.ids['course']}/gradebook", headers=_h(world, "assistant")).json()
    assert test_id in [t["id"] for t in book["tests"]]
    row = next(r for r in book["rows"] if r["user_id"] == world.ids["user_learner"])
    return row["tests"][str(test_id)]


def _adjust(client: TestClient, world: World, sitting_id: int, attempt_id: int, **body: Any) -> Any:
    url = f"/v1/sittings/{sitting_id}/answers/{attempt_id}/adjustments"
    return client.post(url, json=body, headers=_h(world, "instructor"))


def _audit_kinds(db_url: str, attempt_id: int) -> list[tuple[str, float | None, float | None, str]]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        rows = s.scalars(select(ScoreAudit).where(ScoreAudit.attempt_id == attempt_id).order_by(ScoreAudit.id))
        out = [(a.kind, a.old_score, a.new_score, a.reason) for a in rows]
    engine.dispose()
    return out


def test_essay_and_code_answers_are_graded_like_submissions(api: tuple[TestClient, World, str]) -> None:
    """Code runs in the sandbox with the item's tests, the essay goes to the (here absent) model
    and so to review; the sitting's score is final, and emitted, once the essay is scored."""
    client, world, db_url = api
    keys = [
        {"kind": "essay", "prompt_set": 1},
        {"kind": "code", "visible_tests": ADD_TESTS, "hidden_tests": NEG_TESTS},
        {"kind": "numeric", "value": 2},
    ]
    ids = _bank(client, world, keys, "rv")
    body = {"title": "Written test", "kind": "summative", "item_ids": ids}
    test = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    sitting = client.post(f"/v1/assessments/{test.json()['id']}/sittings", headers=_h(world, "learner")).json()
    url = f"/v1/sittings/{sitting['id']}/answers"
    before = _counts(db_url)
    empty = client.post(url, json={"item_id": ids[0], "answer": {"text": ""}}, headers=_h(world, "learner"))
    assert empty.status_code == 422 and empty.json()["field"] == "answer.text"
    wrong_shape = client.post(url, json={"item_id": ids[1], "answer": {"text": "x"}}, headers=_h(world, "learner"))
    assert wrong_shape.status_code == 422 and wrong_shape.json()["field"] == "answer.source"
    assert _counts(db_url) == before
    essay = client.post(url, json={"item_id": ids[0], "answer": {"text": "Fractions..."}}, headers=_h(world, "learner"))
    code = client.post(
        url,
        json={"item_id": ids[1], "answer": {"source": "def add(a, b):\n    return a + b\n"}},
        headers=_h(world, "learner"),
    )
    assert essay.json()["status"] == code.json()["status"] == "pending_review"  # scored after the response
    numeric = client.post(url, json={"item_id": ids[2], "answer": {"value": 2}}, headers=_h(world, "learner"))
    assert numeric.json()["status"] == "graded"
    essay_id, code_id = essay.json()["attempt_id"], code.json()["attempt_id"]

    queue = client.get(f"/v1/courses/{world.ids['course']}/review-queue/answers", headers=_h(world, "assistant")).json()
    flagged = {row["attempt_id"]: row for row in queue["items"]}
    assert flagged[essay_id]["flags"][0].startswith("grader_unavailable: essay model")
    assert flagged[essay_id]["answer"] == {"text": "Fractions..."}
    if shutil.which("bwrap"):  # the sandbox ran both suites: released like any graded submission
        assert code_id not in flagged
        assert _audit_kinds(db_url, code_id) == [("auto", None, 1.0, "auto-graded")]
        scored = [p for p in _statements(db_url) if p["verb"]["id"] == Verb.SCORED]
        assert scored[-1]["context"]["extensions"][Extension.ATTEMPT_ID] == str(code_id)
        assert Extension.REVISES not in scored[-1]["context"]["extensions"]
    else:  # no sandbox: never run untrusted code outside it, an instructor decides
        assert flagged[code_id]["flags"][0].startswith("grader_unavailable: bubblewrap")

    finished = client.post(f"/v1/sittings/{sitting['id']}/finish", headers=_h(world, "learner")).json()
    assert finished["score"] is None  # not final while the essay waits
    assert finished["results"][0]["status"] == "pending_review"
    closing = [p for p in _statements(db_url) if p["verb"]["id"] in (Verb.COMPLETED, Verb.PASSED, Verb.FAILED)]

    assert _adjust(client, world, sitting["id"], essay_id, score=0.5, reason=" ").status_code == 422
    assert _adjust(client, world, sitting["id"], world.ids["attempt"], score=0.5, reason="x").status_code == 404
    learner_try = client.post(
        f"/v1/sittings/{sitting['id']}/answers/{essay_id}/adjustments",
        json={"score": 1.0, "reason": "mine"},
        headers=_h(world, "learner"),
    )
    assert learner_try.status_code == 403
    if not shutil.which("bwrap"):
        assert _adjust(client, world, sitting["id"], code_id, score=1.0, reason="ran it by hand").status_code == 201
    assert _counts(db_url)[1] == before[1] + 2 + int(not shutil.which("bwrap"))  # no closing statement yet
    adjusted = _adjust(client, world, sitting["id"], essay_id, score=0.5, reason="thin argument")
    assert adjusted.status_code == 201, adjusted.text
    audit = adjusted.json()
    assert (audit["old_score"], audit["new_score"], audit["kind"]) == (None, 0.5, "manual")

    final = client.get(f"/v1/sittings/{sitting['id']}", headers=_h(world, "learner")).json()
    assert final["score"] == pytest.approx((0.5 + 1.0 + 1.0) / 3, abs=1e-6)
    assert [r["status"] for r in final["results"]] == ["graded", "graded", "graded"]
    closing_now = [p for p in _statements(db_url) if p["verb"]["id"] in (Verb.COMPLETED, Verb.PASSED, Verb.FAILED)]
    assert len(closing_now) == len(closing) + 1
    assert closing_now[-1]["result"]["score"]["scaled"] == final["score"]
    queue = client.get(f"/v1/courses/{world.ids['course']}/review-queue/answers", headers=_h(world, "assistant"))
    assert essay_id not in {row["attempt_id"] for row in queue.json()["items"]}

    # a new key for the code item sends the answer back through the sandbox (a regrade, audited)
    patched = client.patch(
        f"/v1/items/{ids[1]}",
        json={"key": {**keys[1], "hidden_tests": NEG_TESTS.replace("== 0", "== 1")}, "regrade_reason": "typo"},
        headers=_h(world, "instructor"),
    )
    assert patched.status_code == 200, patched.text
    trail = _audit_kinds(db_url, code_id)
    if shutil.which("bwrap"):
        assert trail[-1] == ("regrade", 1.0, 0.5, "regraded: typo")  # the hidden test fails now
        revision = [p for p in _statements(db_url) if p["verb"]["id"] == Verb.SCORED][-1]
        assert revision["context"]["extensions"][Extension.REVISES] == {"scaled": 1.0, "success": True}
        assert statement_to_interaction(revision).is_revision
        # the finished sitting's total follows its regraded answer, as a revision of its result
        rescored = client.get(f"/v1/sittings/{sitting['id']}", headers=_h(world, "learner")).json()
        assert rescored["score"] == pytest.approx((0.5 + 0.5 + 1.0) / 3, abs=1e-6)
        assert [r["score"] for r in rescored["results"]] == [0.5, 0.5, 1.0]
        results = _results(db_url, sitting["registration"])
        assert [r["result"]["score"]["scaled"] for r in results] == [final["score"], rescored["score"]]
        assert results[-1]["context"]["extensions"][Extension.REVISES] == {"scaled": final["score"]}


def test_a_changed_key_regrades_earlier_answers_and_features_count_each_once(
    api: tuple[TestClient, World, str],
) -> None:
    client, world, db_url = api
    item_id, sitting = _one_item_sitting(client, world, {"kind": "numeric", "value": 2}, "key")
    answered = client.post(
        f"/v1/sittings/{sitting['id']}/answers",
        json={"item_id": item_id, "answer": {"value": 3}},
        headers=_h(world, "learner"),
    ).json()
    attempt_id = answered["attempt_id"]
    path = f"/v1/items/{item_id}"
    before = _counts(db_url)
    bad = client.patch(path, json={"key": {"kind": "numeric", "value": "x"}}, headers=_h(world, "instructor"))
    assert bad.status_code == 422
    stem_only = client.patch(path, json={"stem": "Two?"}, headers=_h(world, "instructor"))
    assert stem_only.status_code == 200 and _counts(db_url) == before and _audit_kinds(db_url, attempt_id) == []
    same_key = client.patch(path, json={"key": {"kind": "numeric", "value": 2}}, headers=_h(world, "instructor"))
    assert same_key.status_code == 200 and _audit_kinds(db_url, attempt_id) == []

    fixed = client.patch(path, json={"key": {"kind": "numeric", "value": 3}}, headers=_h(world, "instructor"))
    assert fixed.status_code == 200 and fixed.json()["answer_key"]["value"] == 3
    assert _audit_kinds(db_url, attempt_id) == [("regrade", 0.0, 1.0, f"answer key of item {item_id} changed")]
    adjusted = _adjust(client, world, sitting["id"], attempt_id, score=0.25, reason="sign error")
    assert adjusted.status_code == 201

    mine = [
        p
        for p in _statements(db_url)
        if p["context"].get("extensions", {}).get(Extension.ATTEMPT_ID) == str(attempt_id)
    ]
    assert [p["verb"]["id"] for p in mine] == [Verb.ANSWERED, Verb.SCORED, Verb.SCORED]
    assert [p["context"]["extensions"].get(Extension.REVISES) for p in mine] == [
        None,
        {"scaled": 0.0, "success": False},
        {"scaled": 1.0, "success": True},
    ]
    events = [statement_to_interaction(p) for p in mine]
    rows = compute_feature_rows(events)[LEARNER_SKILL]
    assert rows["attempts"].tolist() == [1, 1, 1]  # one answer, corrected twice
    assert rows["corrects"].tolist() == [0, 1, 0]  # 0.25 is below the pass mark
    labels = answer_labels(mine)
    assert len(labels) == 1 and labels["correct"].tolist() == [0]


def test_the_analytics_marts_follow_an_answer_its_regrade_and_its_adjustment(
    api: tuple[TestClient, World, str], tmp_path: Path
) -> None:
    client, world, db_url = api
    store = AnalyticsStore(tmp_path / "analytics.duckdb")
    engine = make_engine(db_url)

    def mart() -> list[tuple[Any, ...]]:
        catch_up(engine, store)
        with store.connect() as db:
            return db.execute(
                "SELECT item_id, score, revisions FROM answers WHERE item_id = ?", [str(item_id)]
            ).fetchall()

    item_id, sitting = _one_item_sitting(client, world, {"kind": "numeric", "value": 2}, "marts")
    answered = client.post(
        f"/v1/sittings/{sitting['id']}/answers",
        json={"item_id": item_id, "answer": {"value": 3}},
        headers=_h(world, "learner"),
    ).json()
    assert mart() == [(str(item_id), 0.0, 0)]
    fixed = client.patch(
        f"/v1/items/{item_id}", json={"key": {"kind": "numeric", "value": 3}}, headers=_h(world, "instructor")
    )
    assert fixed.status_code == 200
    assert mart() == [(str(item_id), 1.0, 1)]  # the regrade replaced the score; still one answer
    assert (
        _adjust(client, world, sitting["id"], answered["attempt_id"], score=0.25, reason="sign error").status_code
        == 201
    )
    assert mart() == [(str(item_id), 0.25, 2)]
    assert catch_up(engine, store).report.applied == 0  # nothing new: each statement went in once


def test_cli_grades_written_answers_a_stopped_server_left_behind(
    api: tuple[TestClient, World, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client, world, db_url = api
    item_id, sitting = _one_item_sitting(client, world, {"kind": "essay", "prompt_set": 1}, "left")
    sent = client.post(
        f"/v1/sittings/{sitting['id']}/answers",
        json={"item_id": item_id, "answer": {"text": "Ratios compare."}},
        headers=_h(world, "learner"),
    ).json()
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as s:
        attempt = s.get(Attempt, sent["attempt_id"])
        attempt.response = {**attempt.response, "status": "grading"}  # the server stopped while grading it
    monkeypatch.setenv("PATHWISE_DATABASE_URL", db_url)
    monkeypatch.setenv("PATHWISE_HOME", str(tmp_path))
    monkeypatch.setenv("PATHWISE_ESSAY_MODEL_URI", "file:///nonexistent/essay-model")
    cli = build_cli()
    untouched = CliRunner().invoke(cli, ["submissions", "grade"])
    assert untouched.exit_code == 0 and json.loads(untouched.output) == {}, untouched.output
    recovered = CliRunner().invoke(cli, ["submissions", "grade", "--stuck"])
    last_line = recovered.output.strip().splitlines()[-1]  # the grader logs its warning before the counts
    assert recovered.exit_code == 0 and json.loads(last_line) == {"answers:review": 1}, recovered.output
    with make_session_factory(engine)() as s:
        assert s.get(Attempt, sent["attempt_id"]).response["status"] == "review"
    engine.dispose()


def test_a_regrade_after_the_final_sitting_revises_its_score(api: tuple[TestClient, World, str]) -> None:
    """A key change, an instructor's regrade and a manual adjustment after a sitting was scored each
    recompute its total in the same transaction; the LRS gets a revision of the sitting's result."""
    client, world, db_url = api
    keys = [{"kind": "numeric", "value": 2}, {"kind": "numeric", "value": 5}]
    ids = _bank(client, world, keys, "final")
    body = {"title": "Unit test", "kind": "summative", "item_ids": ids, "pass_mark": 0.75}
    test = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    sitting = client.post(f"/v1/assessments/{test.json()['id']}/sittings", headers=_h(world, "learner")).json()
    url = f"/v1/sittings/{sitting['id']}/answers"
    attempt_ids = [
        client.post(url, json={"item_id": i, "answer": {"value": 3}}, headers=_h(world, "learner")).json()["attempt_id"]
        for i in ids
    ]
    finished = client.post(f"/v1/sittings/{sitting['id']}/finish", headers=_h(world, "learner")).json()
    assert (finished["score"], finished["passed"]) == (0.0, False)
    view = f"/v1/sittings/{sitting['id']}"
    test_id = test.json()["id"]
    assert _book_cell(client, world, test_id) == {"score": 0.0, "attempts": 1, "pending": 0}

    # the author fixes the first key (PATCH regrades at once): 3 was right
    fixed = client.patch(
        f"/v1/items/{ids[0]}", json={"key": {"kind": "numeric", "value": 3}}, headers=_h(world, "instructor")
    )
    assert fixed.status_code == 200, fixed.text
    after_patch = client.get(view, headers=_h(world, "learner")).json()
    assert (after_patch["score"], after_patch["passed"]) == (0.5, False)
    assert _book_cell(client, world, test_id)["score"] == 0.5
    assert [r["score"] for r in after_patch["results"]] == [1.0, 0.0]

    # an instructor's regrade of the second item after its key was corrected in the bank
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as s:
        second = s.get(Item, ids[1])
        assert second is not None
        second.answer_key = {"kind": "numeric", "value": 3, "tolerance": 0.5}
    engine.dispose()
    regraded = client.post(f"/v1/items/{ids[1]}/regrade", json={"reason": "tolerance"}, headers=_h(world, "instructor"))
    assert regraded.status_code == 200 and regraded.json()["attempts_rescored"] == 1
    after_regrade = client.get(view, headers=_h(world, "learner")).json()
    assert (after_regrade["score"], after_regrade["passed"]) == (1.0, True)
    assert _book_cell(client, world, test_id)["score"] == 1.0

    # a regrade that moves nothing revises nothing
    same = client.post(f"/v1/items/{ids[1]}/regrade", json={"reason": "again"}, headers=_h(world, "instructor"))
    assert same.json()["attempts_unchanged"] == 1

    # a manual adjustment of a final sitting's answer revises it too
    assert _adjust(client, world, sitting["id"], attempt_ids[1], score=0.25, reason="units missing").status_code == 201
    adjusted = client.get(view, headers=_h(world, "learner")).json()
    assert (adjusted["score"], adjusted["passed"]) == (0.625, False)
    assert _book_cell(client, world, test_id)["score"] == 0.625
    exported = client.get(f"/v1/courses/{world.ids['course']}/gradebook.csv", headers=_h(world, "instructor"))
    table = list(csv.reader(io.StringIO(exported.text)))
    column = table[0].index(f"Unit test [test {test_id}]")
    assert next(r for r in table if r[0] == str(world.ids["user_learner"]))[column] == "0.625"

    # the plain attempt grade would bypass the audit and the total: it points to the adjustment
    plain = client.post(f"/v1/attempts/{attempt_ids[0]}/grade", json={"score": 0.1}, headers=_h(world, "instructor"))
    assert plain.status_code == 409 and plain.headers["content-type"] == "application/problem+json"
    assert f"/answers/{attempt_ids[0]}/adjustments" in plain.json()["detail"]
    assert client.get(view, headers=_h(world, "learner")).json()["score"] == 0.625

    results = _results(db_url, sitting["registration"])
    assert [(r["verb"]["id"], r["result"]["score"]["scaled"], r["result"]["success"]) for r in results] == [
        (Verb.FAILED, 0.0, False),
        (Verb.FAILED, 0.5, False),
        (Verb.PASSED, 1.0, True),
        (Verb.FAILED, 0.625, False),
    ]
    assert [r["context"]["extensions"].get(Extension.REVISES) for r in results] == [
        None,
        {"scaled": 0.0, "success": False},
        {"scaled": 0.5, "success": False},
        {"scaled": 1.0, "success": True},
    ]
    assert len({r["object"]["id"] for r in results}) == 1
    # the feature stream reads the revisions (no error) and counts each answer once
    events = [
        statement_to_interaction(p)
        for p in _statements(db_url)
        if p["actor"]["account"]["name"] == str(world.ids["user_learner"])
    ]
    assert [e.is_revision for e in events if e.kind == "activity"] == [False, True, True, True]
    rows = compute_feature_rows(events)[LEARNER_SKILL]
    assert rows["attempts"].tolist()[-1] == 2
    rescored = _outbox(db_url, "assessment.rescored")
    assert [(e["data"]["old_score"], e["data"]["score"]) for e in rescored] == [(0.0, 0.5), (0.5, 1.0), (1.0, 0.625)]


def test_one_regrade_revises_a_sitting_once_however_many_tries_it_rescored(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    [item_id] = _bank(client, world, [{"kind": "numeric", "value": 2}], "tries")
    body = {"title": "Quiz", "kind": "formative", "activity_id": world.ids["activity"], "item_ids": [item_id]}
    quiz = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    sitting = client.post(f"/v1/assessments/{quiz.json()['id']}/sittings", headers=_h(world, "learner")).json()
    for value in (3, 4):
        client.post(
            f"/v1/sittings/{sitting['id']}/answers",
            json={"item_id": item_id, "answer": {"value": value}},
            headers=_h(world, "learner"),
        )
    assert client.post(f"/v1/sittings/{sitting['id']}/finish", headers=_h(world, "learner")).json()["score"] == 0.0
    patched = client.patch(
        f"/v1/items/{item_id}",
        json={"key": {"kind": "numeric", "value": 3.5, "tolerance": 0.5}},
        headers=_h(world, "instructor"),
    )
    assert patched.status_code == 200
    results = _results(db_url, sitting["registration"])
    assert [r["result"]["score"]["scaled"] for r in results] == [0.0, 1.0]  # one revision, not one per try


class RubricGrader:
    """Stands in for the essay model: a fixed score per (rubric, essay), so a regrade's outcome is known."""

    def __init__(self, scores: dict[tuple[str, str], float | None]) -> None:
        self.scores = scores
        self.calls = 0

    def grade(self, kind: str, key: dict[str, Any], content: bytes, scored: Any = None) -> Outcome:
        self.calls += 1
        score = self.scores[(key["rubric"], content.decode())]
        return Outcome(None, ["manual: unsure"]) if score is None else Outcome(score)


#: Two tries at one essay: rubric v1 scores 0.2 and 0.1 (best 0.2), v2 0.3 and 0.45 (best 0.45),
#: v3 0.6 and a flag for an instructor (the flagged answer keeps its 0.45: best 0.6).
ESSAY_SCORES: dict[tuple[str, str], float | None] = {
    ("v1", "first"): 0.2,
    ("v1", "second"): 0.1,
    ("v2", "first"): 0.3,
    ("v2", "second"): 0.45,
    ("v3", "first"): 0.6,
    ("v3", "second"): None,
}


def _two_essay_tries(client: TestClient, world: World) -> tuple[int, dict[str, Any], RubricGrader]:
    """A formative quiz of one essay item answered twice and finished (score 0.2), graded by a RubricGrader."""
    [item_id] = _bank(client, world, [{"kind": "essay", "rubric": "v1"}], "twice")
    body = {"title": "Essay quiz", "kind": "formative", "activity_id": world.ids["activity"], "item_ids": [item_id]}
    quiz = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    sitting = client.post(f"/v1/assessments/{quiz.json()['id']}/sittings", headers=_h(world, "learner")).json()
    grader = RubricGrader(ESSAY_SCORES)
    client.app.state.graders = grader  # type: ignore[attr-defined]
    for text in ("first", "second"):  # each is graded after its response, below the pass mark: a retry is allowed
        sent = client.post(
            f"/v1/sittings/{sitting['id']}/answers",
            json={"item_id": item_id, "answer": {"text": text}},
            headers=_h(world, "learner"),
        )
        assert sent.status_code == 201 and sent.json()["status"] == "pending_review", sent.text
    finished = client.post(f"/v1/sittings/{sitting['id']}/finish", headers=_h(world, "learner")).json()
    assert finished["score"] == 0.2 and grader.calls == 2
    return item_id, sitting, grader


def test_a_regrade_of_several_written_answers_revises_their_sitting_once(api: tuple[TestClient, World, str]) -> None:
    """Each regraded essay gets its own revised ``scored`` statement, but the sitting's total is
    recomputed (and its result revised) once, after the last of them, never from a mix of old
    and new scores."""
    client, world, db_url = api
    item_id, sitting, grader = _two_essay_tries(client, world)
    scored_before = len([p for p in _statements(db_url) if p["verb"]["id"] == Verb.SCORED])
    patched = client.patch(
        f"/v1/items/{item_id}", json={"key": {"kind": "essay", "rubric": "v2"}}, headers=_h(world, "instructor")
    )
    assert patched.status_code == 200, patched.text
    assert grader.calls == 4  # both answers went back through the grader after the response

    results = _results(db_url, sitting["registration"])
    assert [r["result"]["score"]["scaled"] for r in results] == [0.2, 0.45]  # not 0.2, 0.3, 0.45
    assert results[-1]["context"]["extensions"][Extension.REVISES] == {"scaled": 0.2}
    assert [(e["data"]["old_score"], e["data"]["score"]) for e in _outbox(db_url, "assessment.rescored")] == [
        (0.2, 0.45)
    ]
    revisions = [p for p in _statements(db_url) if p["verb"]["id"] == Verb.SCORED][scored_before:]
    assert [p["context"]["extensions"][Extension.REVISES]["scaled"] for p in revisions] == [0.2, 0.1]
    view = client.get(f"/v1/sittings/{sitting['id']}", headers=_h(world, "learner")).json()
    assert view["score"] == 0.45 and view["results"][0]["tries"] == 2

    # the last answer of the batch flagged for an instructor still ends the batch: one revision
    flagged = client.patch(
        f"/v1/items/{item_id}", json={"key": {"kind": "essay", "rubric": "v3"}}, headers=_h(world, "instructor")
    )
    assert flagged.status_code == 200 and grader.calls == 6
    results = _results(db_url, sitting["registration"])
    assert [r["result"]["score"]["scaled"] for r in results] == [0.2, 0.45, 0.6]
    view = client.get(f"/v1/sittings/{sitting['id']}", headers=_h(world, "learner")).json()
    assert view["score"] == 0.6
    # the flagged regrade waits in the review queue with its earlier score
    queue = client.get(f"/v1/courses/{world.ids['course']}/review-queue/answers", headers=_h(world, "assistant"))
    assert [row["answer"] for row in queue.json()["items"]] == [{"text": "second"}]


def test_a_regrade_left_in_the_queue_is_finished_by_the_cli_and_revises_once(
    api: tuple[TestClient, World, str],
) -> None:
    """A server that stopped after queueing a regrade: the recovery path grades the queued answers
    (they still carry their old scores) and the sitting is revised once, after the last one."""
    client, world, db_url = api
    item_id, sitting, grader = _two_essay_tries(client, world)
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        item = s.get(Item, item_id)
        assert item is not None
        item.answer_key = {**item.answer_key, "rubric": "v2"}
        assert len(requeue_for_regrade(s, item_id, "new rubric")) == 2  # committed; nothing graded it
    assert grade_all_queued_answers(factory, grader) == {"graded": 2}
    assert grade_all_queued_answers(factory, grader) == {}  # nothing left behind
    engine.dispose()
    results = _results(db_url, sitting["registration"])
    assert [r["result"]["score"]["scaled"] for r in results] == [0.2, 0.45]
    assert _audit_kinds(db_url, sitting_attempts(db_url, sitting["id"])[0])[-1] == (
        "regrade",
        0.2,
        0.3,
        "regraded: new rubric",
    )


def sitting_attempts(db_url: str, sitting_id: int) -> list[int]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        ids = list(s.scalars(select(Attempt.id).where(Attempt.sitting_id == sitting_id).order_by(Attempt.id)))
    engine.dispose()
    return ids


HIDDEN_TESTS = (
    "from solution import add\nimport pytest\n\n"
    "def test_pair():\n    assert add(40, 2) == 42, 'hidden-marker'\n\n"
    "@pytest.mark.parametrize('x', [31337])\ndef test_offset(x):\n    assert add(x, 1) == x + 1\n"
)
SECRETS = ("hidden-marker", "31337", "add(40", "test_offset(x)", "== 42")


def _no_secrets(payload: Any) -> None:
    text = json.dumps(payload)
    for secret in SECRETS:
        assert secret not in text, (secret, text[:2000])


def test_hidden_code_tests_never_reach_learners(api: tuple[TestClient, World, str]) -> None:
    """A code item whose tests are all hidden: the item payload, the answer, the sitting's
    results and the review of it show learners no test source, input or expected value."""
    client, world, db_url = api
    keys = [
        {"kind": "code", "hidden_tests": HIDDEN_TESTS},
        {"kind": "code", "visible_tests": ADD_TESTS, "hidden_tests": HIDDEN_TESTS},
    ]
    ids = _bank(client, world, keys, "hid")
    assert client.get(f"/v1/items/{ids[0]}", headers=_h(world, "learner")).status_code == 403  # the key is staff's
    staff = client.get(f"/v1/items/{ids[0]}", headers=_h(world, "instructor")).json()
    assert staff["answer_key"]["hidden_tests"] == HIDDEN_TESTS and staff["answer_key"]["visible_tests"] == ""
    body = {"title": "Code test", "kind": "summative", "item_ids": ids}
    test = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    sitting = client.post(f"/v1/assessments/{test.json()['id']}/sittings", headers=_h(world, "learner")).json()
    assert [item["options"] for item in sitting["items"]] == [{}, {"visible_tests": ADD_TESTS}]
    _no_secrets(sitting)
    _no_secrets(client.get(f"/v1/sittings/{sitting['id']}/next", headers=_h(world, "learner")).json())

    url = f"/v1/sittings/{sitting['id']}/answers"
    wrong = {"source": "def add(a, b):\n    return a - b\n"}
    answers = [client.post(url, json={"item_id": i, "answer": wrong}, headers=_h(world, "learner")) for i in ids]
    assert [a.status_code for a in answers] == [201, 201]
    _no_secrets([a.json() for a in answers])
    finished = client.post(f"/v1/sittings/{sitting['id']}/finish", headers=_h(world, "learner")).json()
    for who in ("learner", "guardian"):
        _no_secrets(client.get(f"/v1/sittings/{sitting['id']}", headers=_h(world, who)).json())
    _no_secrets(finished)
    if not shutil.which("bwrap"):
        pytest.skip("no bubblewrap here: the code answers wait for an instructor, nothing was run")
    assert finished["score"] == 0.0
    hidden_only, both = finished["results"]
    assert hidden_only["feedback"] == ["hidden test test_pair: failed", "hidden test test_offset: failed"]
    assert both["feedback"][0].startswith("test_add: ")  # a visible test explains itself
    assert "assert" in both["feedback"][0] and both["feedback"][1:] == hidden_only["feedback"]
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        report = s.get(Attempt, answers[0].json()["attempt_id"]).response["report"]  # type: ignore[union-attr]
    engine.dispose()
    assert {t["suite"] for t in report["tests"]} == {"hidden"}  # never run as the visible suite
    _no_secrets(report)


def test_graphql_exposes_no_items_or_keys() -> None:
    from platform_api.api.gql.schema import build_schema

    sdl = build_schema(max_depth=10, max_cost=1000).as_str()
    for name in ("type Item", "answerKey", "hiddenTests", "visibleTests", "report"):
        assert name not in sdl


def test_bad_answers_are_problems_and_leave_the_sitting_unchanged(api: tuple[TestClient, World, str]) -> None:
    """Issue #8's bad input for sittings: malformed, oversize, unknown-kind and one-too-many answers
    each get a problem+json 4xx and write nothing (no attempt, statement or event)."""
    client, world, db_url = api
    keys = [{"kind": "numeric", "value": 2}, {"kind": "code", "visible_tests": ADD_TESTS, "hidden_tests": NEG_TESTS}]
    ids = _bank(client, world, keys, "bad")
    body = {"title": "Checked", "kind": "summative", "item_ids": ids}
    test = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    sitting = client.post(f"/v1/assessments/{test.json()['id']}/sittings", headers=_h(world, "learner")).json()
    url = f"/v1/sittings/{sitting['id']}/answers"
    view = f"/v1/sittings/{sitting['id']}"
    learner = _h(world, "learner")

    def refused(response: Any, status: int, needle: str) -> None:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert needle in response.text, response.text
        assert _counts(db_url) == before
        assert client.get(view, headers=learner).json() == seen

    before, seen = _counts(db_url), client.get(view, headers=learner).json()
    not_json = client.post(
        url, content=b'{"item_id": 1, "answer": ', headers={**learner, "content-type": "application/json"}
    )
    refused(not_json, 422, "JSON")
    refused(client.post(url, json={"item_id": ids[0], "answer": [2]}, headers=learner), 422, "answer")
    refused(client.post(url, json={"item_id": ids[0]}, headers=learner), 422, "answer")
    refused(
        client.post(url, json={"item_id": ids[0], "answer": {"value": 2, "unit": "cm"}}, headers=learner),
        422,
        "answer.unit",
    )
    refused(
        client.post(url, json={"item_id": ids[0], "answer": {"value": "9" * 101}}, headers=learner), 422, "at most 100"
    )
    oversize = {"item_id": ids[1], "answer": {"source": "x = 1\n" * 40_000}}
    refused(client.post(url, json=oversize, headers=learner), 422, "answer.source")
    refused(
        client.post(url, json={"item_id": world.ids["item"], "answer": {"choice": "a"}}, headers=learner),
        422,
        "not part of",
    )

    # an item whose stored kind is unknown (a legacy import) is refused when answered, not graded
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as s:
        legacy = s.get(Item, ids[0])
        assert legacy is not None
        legacy.answer_key, legacy.kind = {"kind": "hotspot", "area": [0, 0, 1, 1]}, "hotspot"
    unknown = client.post(url, json={"item_id": ids[0], "answer": {"value": 2}}, headers=learner)
    assert unknown.status_code == 422 and unknown.headers["content-type"] == "application/problem+json"
    assert "unknown item kind 'hotspot'" in unknown.json()["detail"] and _counts(db_url) == before
    with transaction(make_session_factory(engine)) as s:
        legacy = s.get(Item, ids[0])
        assert legacy is not None
        legacy.answer_key, legacy.kind = keys[0], "numeric"
    engine.dispose()

    assert client.post(url, json={"item_id": ids[0], "answer": {"value": 3}}, headers=learner).status_code == 201
    before, seen = _counts(db_url), client.get(view, headers=learner).json()
    beyond = client.post(url, json={"item_id": ids[0], "answer": {"value": 2}}, headers=learner)
    refused(beyond, 409, "You have used your only try on item")
    client.post(f"/v1/sittings/{sitting['id']}/finish", headers=learner)
    before, seen = _counts(db_url), client.get(view, headers=learner).json()
    refused(
        client.post(url, json={"item_id": ids[1], "answer": {"source": "x = 1\n"}}, headers=learner), 409, "is finished"
    )
