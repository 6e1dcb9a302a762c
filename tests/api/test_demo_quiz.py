"""The seeded demo course quiz, end to end: a demo learner takes it and the LRS holds the result."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from features.xapi_vocabulary import Extension, Verb
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.migrate import upgrade
from platform_api.demo.quiz import QUIZ_TITLE, UNIT_TEST_TITLE
from platform_api.demo.seed import DEMO_PASSWORD, seed_demo
from platform_api.domain.models import Item, Skill, User
from platform_api.lrs.credentials import create_credential
from tests.api.world import login, make_client

#: The right answer per demo item, and one wrong first try for the multiple-choice item.
RIGHT: dict[str, dict[str, Any]] = {
    "demo-frac-mc": {"choice": "b"},
    "demo-frac-mr": {"choices": ["a", "b", "d"]},
    "demo-frac-num": {"value": 0.42},
    "demo-frac-text": {"text": "Denominator"},
    "demo-frac-order": {"order": ["a", "b", "c", "d"]},
    "demo-frac-match": {"pairs": {"p1": "1/2", "p2": "2/3", "p3": "3/5"}},
}


def test_demo_quiz_grades_end_to_end(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    report = seed_demo(sqlite_url)
    assert report.calibrated_items > 100  # 2PL difficulties from the sample attempts
    seed_demo(sqlite_url)  # idempotent: nothing is added twice
    engine = make_engine(sqlite_url)
    with transaction(make_session_factory(engine)) as s:
        assert s.scalar(select(func.count()).select_from(Item).where(Item.external_id.like("demo-frac-%"))) == 6
        learner = s.scalar(select(User).where(User.email.like("learner%")).order_by(User.id))
        assert learner is not None
        email, learner_id = learner.email, learner.id
        ids_to_external = dict(
            s.execute(select(Item.id, Item.external_id).where(Item.external_id.like("demo-frac-%"))).tuples().all()
        )
        skill_id = s.scalar(select(Skill.id).where(Skill.tenant_id == report.tenant_id, Skill.code == "71"))
        lrs = create_credential(s, "demo check", tenant_id=report.tenant_id)
    engine.dispose()

    with make_client(sqlite_url, events_relay=False) as client:
        headers = {"Authorization": f"Bearer {login(client, email, DEMO_PASSWORD)}"}
        courses = client.get("/v1/courses", headers=headers).json()["items"]
        course_id = courses[0]["id"]
        listed = client.get(f"/v1/courses/{course_id}/assessments", headers=headers).json()["items"]
        assert {a["title"] for a in listed} == {QUIZ_TITLE, UNIT_TEST_TITLE}
        quiz = next(a for a in listed if a["title"] == QUIZ_TITLE)
        assert quiz["kind"] == "formative" and quiz["activity_id"] is not None
        in_lesson = client.get(
            f"/v1/courses/{course_id}/assessments", params={"activity_id": quiz["activity_id"]}, headers=headers
        )
        assert [a["id"] for a in in_lesson.json()["items"]] == [quiz["id"]]

        sitting = client.post(f"/v1/assessments/{quiz['id']}/sittings", headers=headers).json()
        answers = f"/v1/sittings/{sitting['id']}/answers"
        assert all(item["stem"] and "answer_key" not in item for item in sitting["items"])
        externals = {item["id"]: ids_to_external[item["id"]] for item in sitting["items"]}
        mc = next(i for i in sitting["items"] if externals[i["id"]] == "demo-frac-mc")
        wrong = client.post(answers, json={"item_id": mc["id"], "answer": {"choice": "c"}}, headers=headers).json()
        assert wrong["score"] == 0 and wrong["feedback"][-1] == "That is the product, not the sum."
        assert wrong["hint"] == "Write both fractions with denominator 4."
        for item in sitting["items"]:
            body = {"item_id": item["id"], "answer": RIGHT[externals[item["id"]]]}
            graded = client.post(answers, json=body, headers=headers)
            assert graded.status_code == 201 and graded.json()["correct"] is True, graded.text
        result = client.post(f"/v1/sittings/{sitting['id']}/finish", headers=headers).json()
        assert result["score"] == 1.0 and result["passed"] is True

        unit_test = next(a for a in listed if a["title"] == UNIT_TEST_TITLE)
        first = client.post(f"/v1/assessments/{unit_test['id']}/sittings", headers=headers).json()
        drawn = {i["id"] for i in first["items"]}
        assert len(drawn) == 4 and not drawn & set(externals)  # its own items, never the practised quiz's
        failed = client.post(f"/v1/sittings/{first['id']}/finish", headers=headers).json()
        assert failed["passed"] is False and failed["attempts_left"] == 1
        retake = client.post(f"/v1/assessments/{unit_test['id']}/sittings", headers=headers).json()
        redrawn = {i["id"] for i in retake["items"]}
        assert len(redrawn) == 4 and not redrawn & drawn and not redrawn & set(externals)  # a new form
        client.post(f"/v1/sittings/{retake['id']}/finish", headers=headers)
        assert client.post(f"/v1/assessments/{unit_test['id']}/sittings", headers=headers).status_code == 409
        assert client.get(f"/v1/courses/{course_id}/versions", headers=headers).json()["total"] == 1  # published

        admin = {"Authorization": f"Bearer {login(client, 'admin@demo.pathwise.local', DEMO_PASSWORD)}"}
        bands = {
            band: client.get("/v1/items", params={"band": band, "limit": 1}, headers=admin).json()["total"]
            for band in ("easy", "medium", "hard", "uncalibrated")
        }
        assert bands["easy"] + bands["medium"] + bands["hard"] == report.calibrated_items
        assert min(bands.values()) > 0

        xapi = {"Authorization": lrs.basic_header, "X-Experience-API-Version": "1.0.3"}
        stored = client.get("/xAPI/statements", params={"registration": sitting["registration"]}, headers=xapi)
        assert stored.status_code == 200, stored.text
        statements = stored.json()["statements"]
    answered = [s for s in statements if s["verb"]["id"] == Verb.ANSWERED]
    assert len(answered) == 7  # one wrong try + six right answers
    # statements name skills and items by their platform ids, as Feast, the models and serving do
    assert {s["context"]["extensions"][Extension.SKILL_ID] for s in answered} == {str(skill_id)}
    assert {ids_to_external[int(s["object"]["id"].rsplit("/", 1)[1])] for s in answered} == set(RIGHT)
    assert all(s["actor"]["account"]["name"] == str(learner_id) for s in statements)
    assert sorted(s["result"]["score"]["scaled"] for s in answered) == [0.0] + [1.0] * 6
    closing = [s for s in statements if s["verb"]["id"] == Verb.PASSED]
    assert len(closing) == 1 and closing[0]["result"]["score"]["scaled"] == 1.0
