"""The item-analysis report: figures checked against hand arithmetic, flags with reasons, rights and bad input."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow.parquet
import pytest
from fastapi.testclient import TestClient

from analytics.config import store_of
from features.xapi_vocabulary import Extension, answered_statement, learner_account
from tests.api.world import World

# Six learners' first answers to three multiple-choice items (1 = right). Hand arithmetic:
#   facility: 5/6, 3/6, 2/6.
#   item 3 against the rest (items 1 + 2): deviations x = (2, -1, 2, -1, -1, -1)/3, r = (2, 2, -1, -1, -1, -1)/3,
#     sum xr = 3/9, sum x^2 = sum r^2 = 12/9, so r = 0.25 ("likely needs checking": below 0.30).
#   item 1 against the rest: sum xr = -1/6, sum x^2 = 5/6, sum r^2 = 102/36, r = -0.1085 ("dubious").
#   item 2 against the rest: sum xr = -1/2, sum x^2 = 3/2, sum r^2 = 102/36, r = -0.2425 ("dubious").
#   alpha: item variances 5/36 + 9/36 + 8/36 = 22/36; totals (3, 2, 2, 1, 1, 1) have variance 30/54;
#     alpha = 3/2 * (1 - (22/36) / (30/54)) = -0.15 (unsatisfactory: below 0.64).
ANSWERS = {
    "L1": (1, 1, 1),
    "L2": (1, 1, 0),
    "L3": (1, 0, 1),
    "L4": (1, 0, 0),
    "L5": (0, 1, 0),
    "L6": (1, 0, 0),
}
CHOICES = [{"id": "a"}, {"id": "b"}, {"id": "c"}]


def _h(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def _assessment(client: TestClient, world: World) -> tuple[int, list[int]]:
    items = []
    for n in range(3):
        key = {"kind": "multiple_choice", "choices": CHOICES, "correct": "b"}
        body = {"external_id": f"ia-{n}", "skill_id": world.ids["skill"], "stem": f"Item {n + 1}", "key": key}
        made = client.post("/v1/items", json=body, headers=_h(world, "instructor"))
        assert made.status_code == 201, made.text
        items.append(made.json()["id"])
    body = {"title": "Fractions check", "kind": "summative", "item_ids": items}
    made = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=body, headers=_h(world, "instructor"))
    assert made.status_code == 201, made.text
    return made.json()["id"], items


def _record(client: TestClient, assessment: int, items: list[int], extra_answer: bool = False) -> None:
    statements = []
    for n, (learner, marks) in enumerate(sorted(ANSWERS.items())):
        for item, right in zip(items, marks, strict=True):
            chosen = "b" if right else "a"
            statements.append(
                answered_statement(
                    learner_account(1000 + n),
                    item,
                    7,
                    bool(right),
                    response=chosen,
                    extra={Extension.ASSESSMENT_ID: str(assessment), Extension.ATTEMPT_ID: f"{learner}-{item}"},
                )
            )
    if extra_answer:  # practice outside the assessment: read with source=all only
        statements.append(answered_statement(learner_account(1999), items[0], 7, False, response="c"))
    store_of(client.app.state.settings).apply(statements)  # type: ignore[attr-defined]


def _report(client: TestClient, world: World, assessment: int, role: str = "instructor", **params: Any) -> Any:
    return client.get(f"/v1/analytics/assessments/{assessment}/item-analysis", params=params, headers=_h(world, role))


def test_the_report_matches_the_hand_arithmetic_and_says_why_it_flags(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    assessment, items = _assessment(client, world)
    empty = _report(client, world, assessment)
    assert empty.status_code == 200 and (empty.json()["answers"], empty.json()["items"]) == (0, [])
    _record(client, assessment, items, extra_answer=True)

    answer = _report(client, world, assessment)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["answers"], report["learners"], report["complete"]) == (18, 6, 6)
    assert report["alpha"] == pytest.approx(-0.15, abs=1e-4) and report["kr20"] == pytest.approx(-0.15, abs=1e-4)
    assert [f["code"] for f in report["flags"]] == ["alpha_unsatisfactory"]
    first, second, third = report["items"]
    assert [i["item_id"] for i in report["items"]] == items and first["stem"] == "Item 1"
    assert [i["facility"] for i in report["items"]] == pytest.approx([5 / 6, 0.5, 1 / 3], abs=1e-4)
    assert first["discrimination"] == pytest.approx(-0.1085, abs=1e-4)
    assert second["discrimination"] == pytest.approx(-0.2425, abs=1e-4)
    assert third["discrimination"] == pytest.approx(0.25, abs=1e-4)
    assert "dubious" in {f["code"] for f in first["flags"]} and "dubious" in {f["code"] for f in second["flags"]}
    checking = next(f for f in third["flags"] if f["code"] == "likely_needs_checking")
    assert checking["reason"] == "discrimination 0.25 is below 0.30"
    # distractors: nobody chose c on item 1 (non-functional); a was the wrong answer chosen
    options = {o["option"]: o for o in first["options"]}
    assert (options["b"]["is_key"], options["b"]["count"], options["a"]["count"], options["c"]["count"]) == (
        True,
        5,
        1,
        0,
    )
    assert "non_functional_distractor" in {f["code"] for f in first["flags"]}

    everywhere = _report(client, world, assessment, source="all").json()
    assert everywhere["answers"] == 19 and everywhere["items"][0]["answered"] == 7


def test_only_staff_with_analytics_rights_on_the_course_read_it(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    assessment, items = _assessment(client, world)
    _record(client, assessment, items)
    assert _report(client, world, assessment, role="admin").status_code == 200
    for role in ("learner", "guardian"):
        refused = _report(client, world, assessment, role=role)
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    anonymous = client.get(f"/v1/analytics/assessments/{assessment}/item-analysis")
    assert anonymous.status_code == 401


def test_bad_parameters_are_problems(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    missing = _report(client, world, 987654)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    wrong = _report(client, world, world.ids["assessment"], source="everything")
    assert wrong.status_code == 422 and "source" in wrong.text


def test_an_answer_reaches_the_report_without_a_refresh_command(world_client: tuple[TestClient, World]) -> None:
    """The embedded event bus refreshes the analytics store after each batch of statements."""
    client, world = world_client
    sitting, item = world.ids["sitting"], world.ids["quiz_item"]
    answered = client.post(
        f"/v1/sittings/{sitting}/answers",
        json={"item_id": item, "answer": {"choice": "a"}},
        headers=_h(world, "learner"),
    )
    assert answered.status_code in (200, 201), answered.text
    deadline = time.monotonic() + 10
    while True:
        report = _report(client, world, world.ids["assessment"]).json()
        if (report["answers"] and not report["behind"]) or time.monotonic() > deadline:  # every statement taken
            break
        time.sleep(0.1)
    assert (report["answers"], report["behind"], report["items"]) == (1, 0, [])
    assert report["note"] == (
        "Item analysis needs first answers from at least 2 learners; the store holds 1 answer for these items."
    )
    with store_of(client.app.state.settings).connect() as db:  # type: ignore[attr-defined]
        assert db.execute("SELECT item_id, response, score FROM answers").fetchall() == [(str(item), "a", 0.0)]


def test_the_heatmap_names_learners_and_skills_and_narrows_to_a_cohort(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    course, skill = world.ids["course"], world.ids["skill"]
    learner, other = world.ids["user_learner"], world.ids["user_learner2"]

    def answer(who: int, right: bool, day: int) -> dict[str, Any]:
        when = datetime(2026, 11, 2, tzinfo=UTC) + timedelta(days=day)  # a Monday
        return answered_statement(learner_account(who), 9, skill, right, course_id=course, timestamp=when)

    store_of(client.app.state.settings).apply(  # type: ignore[attr-defined]
        [answer(learner, True, 0), answer(learner, False, 8), answer(other, False, 1)]
    )
    url = f"/v1/analytics/courses/{course}/heatmap"
    whole = client.get(url, params={"weeks": 2}, headers=_h(world, "instructor"))
    assert whole.status_code == 200, whole.text
    body = whole.json()
    assert [(p["id"], p["name"]) for p in body["learners"]] == [(learner, "learner"), (other, "learner2")]
    assert [s["id"] for s in body["skills"]] == [skill] and body["skills"][0]["name"]
    assert body["proficiency"] == [[0.5], [0.0]] and body["answers"] == [[2], [1]]
    # weeks of Nov 2 (learner right, other wrong: 0.5) and Nov 9 (learner wrong: 0.0)
    assert body["weeks"] == ["2026-11-02", "2026-11-09"] and body["trend"] == [
        {"skill_id": skill, "weekly_mean": [0.5, 0.0]}
    ]

    cohort = client.get(url, params={"cohort_id": world.ids["cohort"]}, headers=_h(world, "assistant")).json()
    assert [p["id"] for p in cohort["learners"]] == [learner]  # the world's cohort holds the first learner only

    assert client.get(url, headers=_h(world, "learner")).status_code == 403
    bad = client.get(url, params={"cohort_id": 987654}, headers=_h(world, "instructor"))
    assert bad.status_code == 404 and bad.headers["content-type"] == "application/problem+json"
    assert client.get(url, params={"weeks": 0}, headers=_h(world, "instructor")).status_code == 422
    elsewhere = client.get(
        f"/v1/analytics/courses/{world.ids['other_course']}/heatmap", headers=_h(world, "instructor")
    )
    assert elsewhere.status_code in (403, 404)


def test_engagement_names_the_items_and_counts_the_hours(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    course, quiz_item = world.ids["course"], world.ids["quiz_item"]
    tuesday = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    store_of(client.app.state.settings).apply(  # type: ignore[attr-defined]
        [
            answered_statement(learner_account(n), quiz_item, 1, n == 0, course_id=course, timestamp=tuesday)
            for n in range(5)
        ]
    )
    answer = client.get(f"/v1/analytics/courses/{course}/engagement", headers=_h(world, "assistant"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(i["item_id"], i["stem"], i["answers"]) for i in body["most_answered"]] == [(quiz_item, "1/2 + 1/4 = ?", 5)]
    assert body["most_failed"][0]["failed"] == 0.8  # four of five wrong
    assert body["activity"][1][14] == 5 and sum(map(sum, body["activity"])) == 5
    assert client.get(f"/v1/analytics/courses/{course}/engagement", headers=_h(world, "guardian")).status_code == 403


def test_a_learner_reads_their_own_analytics_and_nobody_elses(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    course, other_course, skill = world.ids["course"], world.ids["other_course"], world.ids["skill"]
    learner, other = world.ids["user_learner"], world.ids["user_learner2"]
    monday = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

    def answer(who: int, day: int, right: bool, where: int) -> dict[str, Any]:
        when = monday + timedelta(days=day)
        return answered_statement(
            learner_account(who), 9, skill, right, course_id=where, timestamp=when, duration_s=120
        )

    store_of(client.app.state.settings).apply(  # type: ignore[attr-defined]
        [answer(learner, 0, True, course), answer(learner, 1, False, course), answer(learner, 2, True, other_course)]
    )
    url = f"/v1/analytics/learners/{learner}"
    own = client.get(url, headers=_h(world, "learner"))
    assert own.status_code == 200, own.text
    body = own.json()
    assert [(s["skill_id"], s["week"], s["mean_score"], s["answers"]) for s in body["skills"]] == [
        (skill, "2026-11-02", round(2 / 3, 4), 3)
    ]
    assert [(t["course_id"], t["seconds"]) for t in body["time"]] == [(course, 240.0), (other_course, 120.0)]
    assert (body["active_days"], body["longest_streak"], body["last_active"]) == (3, 3, "2026-11-04")
    guardian = client.get(url, headers=_h(world, "guardian")).json()
    assert guardian["time"] == body["time"]  # a linked guardian follows the learner everywhere
    staff = client.get(url, headers=_h(world, "instructor")).json()
    assert [t["course_id"] for t in staff["time"]] == [course]  # staff see their own courses only
    mine_only = client.get(url, params={"course_id": other_course}, headers=_h(world, "instructor"))
    assert mine_only.status_code == 404 and mine_only.headers["content-type"] == "application/problem+json"
    assert client.get(f"/v1/analytics/learners/{other}", headers=_h(world, "learner")).status_code == 403


def test_at_risk_lists_the_idle_learners_of_the_course_with_reasons(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    course, learner, other = world.ids["course"], world.ids["user_learner"], world.ids["user_learner2"]
    as_of = datetime(2026, 11, 20, tzinfo=UTC)
    store_of(client.app.state.settings).apply(  # type: ignore[attr-defined]
        [
            answered_statement(
                learner_account(learner), 9, 1, True, course_id=course, timestamp=as_of - timedelta(days=9)
            ),
            answered_statement(
                learner_account(other), 9, 1, True, course_id=course, timestamp=as_of - timedelta(days=2)
            ),
        ]
    )
    url = f"/v1/analytics/courses/{course}/at-risk"
    answer = client.get(url, params={"as_of": as_of.isoformat()}, headers=_h(world, "instructor"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["enrolled"], body["inactive_days"]) == (2, 7)
    assert [(r["learner"]["id"], r["learner"]["name"], r["reasons"]) for r in body["at_risk"]] == [
        (learner, "learner", ["no activity for 9 days"])
    ]
    looser = client.get(url, params={"as_of": as_of.isoformat(), "inactive_days": 10}, headers=_h(world, "assistant"))
    assert looser.json()["at_risk"] == []
    assert client.get(url, params={"inactive_days": 0}, headers=_h(world, "instructor")).status_code == 422
    assert client.get(url, params={"as_of": "yesterday"}, headers=_h(world, "instructor")).status_code == 422
    assert client.get(url, headers=_h(world, "learner")).status_code == 403


def test_a_course_mart_exports_as_csv_json_lines_and_parquet(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    course, skill, learner = world.ids["course"], world.ids["skill"], world.ids["user_learner"]
    when = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    store_of(client.app.state.settings).apply(  # type: ignore[attr-defined]
        [
            answered_statement(learner_account(learner), 9, skill, True, course_id=course, timestamp=when),
            answered_statement(learner_account(learner), 9, skill, True, course_id=world.ids["other_course"]),
        ]
    )
    url = f"/v1/analytics/courses/{course}/export"
    csv_file = client.get(url, params={"mart": "answers"}, headers=_h(world, "instructor"))
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv"), csv_file.text
    assert f'filename="course-{course}-answers.csv"' in csv_file.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(csv_file.text)))
    assert [(r["learner_id"], r["skill_id"], r["course_id"], r["score"]) for r in rows] == [
        (str(learner), str(skill), str(course), "1")
    ]  # the other course's answer stays out
    lines = client.get(
        url, params={"mart": "cells", "format": "json"}, headers=_h(world, "assistant")
    ).text.splitlines()
    assert [json.loads(line)["proficiency"] for line in lines] == [1.0]
    parquet = client.get(url, params={"mart": "answers", "format": "parquet"}, headers=_h(world, "instructor"))
    table = pyarrow.parquet.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 1 and table.column("learner_id").to_pylist() == [str(learner)]

    for wrong in ({"mart": "interactions"}, {"mart": "answers", "format": "xlsx"}, {}):
        refused = client.get(url, params=wrong, headers=_h(world, "instructor"))
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert client.get(url, params={"mart": "answers"}, headers=_h(world, "learner")).status_code == 403
