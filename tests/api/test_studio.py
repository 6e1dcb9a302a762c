"""The course studio's API: reordering and moving nodes of the draft tree, and metadata validation."""

from __future__ import annotations

from typing import Any

from tests.api.world import build_world, login, make_client


def test_reorder_and_move_nodes_within_a_course(db_url: str) -> None:
    world = build_world(db_url)
    course, unit, lesson = world.ids["course"], world.ids["unit"], world.ids["lesson"]
    with make_client(db_url) as client:
        me = login(client, "instructor@world.test")
        assistant = login(client, "assistant@world.test")

        def call(method: str, path: str, body: Any = None, token: str = me) -> Any:
            return client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})

        unit2 = call("POST", f"/v1/courses/{course}/units", {"title": "Unit two"}).json()["id"]
        lesson2 = call("POST", f"/v1/units/{unit2}/lessons", {"title": "Lesson two"}).json()["id"]
        made = [call("POST", f"/v1/lessons/{lesson}/activities", {"title": t}).json()["id"] for t in ("B", "C")]

        def titles() -> list[Any]:
            tree = call("GET", f"/v1/courses/{course}/tree").json()
            return [
                (u["title"], [(ls["title"], [a["title"] for a in ls["activities"]]) for ls in u["lessons"]])
                for u in tree["units"]
            ]

        assert titles() == [("Unit one", [("Lesson one", ["Practice", "B", "C"])]), ("Unit two", [("Lesson two", [])])]
        # move C to the front of its lesson, then B into the other unit's lesson
        assert call("PATCH", f"/v1/activities/{made[1]}", {"position": 0}).status_code == 200
        moved = call("PATCH", f"/v1/activities/{made[0]}", {"lesson_id": lesson2})
        assert moved.status_code == 200 and moved.json()["lesson_id"] == lesson2
        # unit two goes first; lesson two moves into unit one, after Lesson one
        assert call("PATCH", f"/v1/units/{unit2}", {"position": 0}).status_code == 200
        assert call("PATCH", f"/v1/lessons/{lesson2}", {"unit_id": unit, "position": 5}).json()["unit_id"] == unit
        assert titles() == [
            ("Unit two", []),
            ("Unit one", [("Lesson one", ["C", "Practice"]), ("Lesson two", ["B"])]),
        ]
        # a move never leaves the course; the assistant instructor cannot reorder at all
        other = call("POST", "/v1/courses", {"org_unit_id": world.ids["dept"], "code": "C2", "title": "Other"}).json()
        other_unit = call("POST", f"/v1/courses/{other['id']}/units", {"title": "Elsewhere"}).json()["id"]
        refused = call("PATCH", f"/v1/lessons/{lesson}", {"unit_id": other_unit})
        assert refused.status_code == 422 and "another course" in refused.json()["detail"]
        assert call("PATCH", f"/v1/units/{unit}", {"position": 0}, token=assistant).status_code == 403
        assert titles()[0][0] == "Unit two"


def test_metadata_is_validated_with_a_precise_problem(db_url: str) -> None:
    world = build_world(db_url)
    with make_client(db_url) as client:
        me = login(client, "instructor@world.test")
        headers = {"Authorization": f"Bearer {me}"}
        path = f"/v1/lessons/{world.ids['lesson']}"
        bad = client.patch(
            path, json={"metadata": {"standards": [{"framework": "CCSS.MATH", "code": "6.RP.1"}]}}, headers=headers
        )
        assert bad.status_code == 422 and "not a Common Core code" in bad.json()["detail"]
        negative = client.patch(path, json={"metadata": {"duration_minutes": -5}}, headers=headers)
        assert negative.status_code == 422 and "duration_minutes" in negative.json()["detail"]
        good = {
            "objectives": ["Compare ratios"],
            "duration_minutes": 45,
            "standards": [{"framework": "CCSS.MATH", "code": "CCSS.MATH.CONTENT.6.RP.A.1"}],
            "skills": ["frac"],
            "lom": {"educational.difficulty": "medium"},
        }
        saved = client.patch(path, json={"metadata": good}, headers=headers)
        assert saved.status_code == 200, saved.text
        assert saved.json()["metadata"]["standards"][0]["code"] == "CCSS.MATH.CONTENT.6.RP.A.1"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NOTEBOOK = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "markdown", "source": "Hi"}]}'


def test_media_upload_is_sniffed_limited_and_attached(db_url: str) -> None:
    world = build_world(db_url)
    course, activity = world.ids["course"], world.ids["activity"]
    with make_client(db_url, media_max_bytes=2048) as client:
        me = login(client, "instructor@world.test")
        assistant = login(client, "assistant@world.test")
        headers = {"Authorization": f"Bearer {me}"}

        def upload(name: str, content: bytes, token: str = me) -> Any:
            files = {"file": (name, content, "application/octet-stream")}
            return client.post(f"/v1/courses/{course}/media", files=files, headers={"Authorization": f"Bearer {token}"})

        image = upload("Fraction Bars.PNG", PNG)
        assert image.status_code == 201, image.text
        key = image.json()["key"]
        assert key.startswith("fraction-bars-") and image.json()["content_type"] == "image/png"
        assert client.get(image.json()["url"]).content == PNG
        # the same file again is the same media; in another course it is that course's own copy
        assert upload("Fraction Bars.PNG", PNG).json()["key"] == key
        other = client.post(
            "/v1/courses", json={"org_unit_id": world.ids["dept"], "code": "C2", "title": "Other"}, headers=headers
        ).json()["id"]
        files = {"file": ("Fraction Bars.PNG", PNG, "image/png")}
        copied = client.post(f"/v1/courses/{other}/media", files=files, headers=headers)
        assert copied.status_code == 201, copied.text
        assert copied.json()["key"] != key and copied.json()["course_id"] == other
        # a renamed file, an unknown type, an oversized one, a notebook that is not v4, a reader's attempt
        renamed = upload("photo.png", b"GIF89a" + b"\x00" * 10)
        assert renamed.status_code == 415 and "not image/png" in renamed.json()["detail"]
        assert upload("run.exe", b"MZ").status_code == 415
        big = upload("big.png", PNG + b"\x00" * 4096)
        assert big.status_code == 413 and big.headers["content-type"].startswith("application/problem+json")
        old = upload("old.ipynb", b'{"nbformat": 3, "worksheets": []}')
        assert old.status_code == 422 and "nbformat version 4" in old.json()["detail"]
        assert upload("x.png", PNG, token=assistant).status_code == 403
        notebook = upload("Lesson.ipynb", NOTEBOOK)
        assert notebook.status_code == 201 and notebook.json()["content_type"] == "application/x-ipynb+json"

        # the activity names the media; learning metadata edits keep it
        missing = client.patch(f"/v1/activities/{activity}", json={"media": ["nope.png"]}, headers=headers)
        assert missing.status_code == 422 and "upload them first" in missing.json()["detail"]
        named = client.patch(f"/v1/activities/{activity}", json={"media": [key]}, headers=headers)
        assert named.status_code == 200 and named.json()["metadata"]["media"] == [key]
        edited = client.patch(
            f"/v1/activities/{activity}", json={"metadata": {"objectives": ["Add"]}}, headers=headers
        ).json()
        assert edited["metadata"]["media"] == [key] and edited["metadata"]["objectives"] == ["Add"]


def test_a_lesson_quiz_gets_authored_items_and_keeps_its_list_current(db_url: str) -> None:
    world = build_world(db_url)
    course, lesson = world.ids["course"], world.ids["lesson"]
    with make_client(db_url) as client:
        me = login(client, "instructor@world.test")
        assistant = login(client, "assistant@world.test")
        headers = {"Authorization": f"Bearer {me}"}
        quiz = client.post(f"/v1/lessons/{lesson}/activities", json={"title": "Check", "kind": "quiz"}, headers=headers)
        assert quiz.status_code == 201, quiz.text
        item = {
            "external_id": "studio-mc-1",
            "stem": "1/2 + 1/4?",
            "body": {"choices": {"a": "2/6", "b": "3/4"}},
            "key": {
                "kind": "multiple_choice",
                "choices": [{"id": "a", "feedback": "Find a common denominator first."}, {"id": "b"}],
                "correct": "b",
                "hints": ["Quarters."],
            },
        }
        first = client.post("/v1/items", json=item, headers=headers).json()["id"]
        second = client.post(
            "/v1/items",
            json={"external_id": "studio-num-1", "stem": "1/4 as a decimal", "key": {"kind": "numeric", "value": 0.25}},
            headers=headers,
        ).json()["id"]
        body = {"title": "Check", "kind": "formative", "activity_id": quiz.json()["id"], "item_ids": [first]}
        assessment = client.post(f"/v1/courses/{course}/assessments", json=body, headers=headers).json()
        path = f"/v1/assessments/{assessment['id']}"
        assert client.patch(path, json={"item_ids": [first, second]}, headers=headers).status_code == 200
        assert client.get(path, headers=headers).json()["spec"]["item_ids"] == [first, second]
        unknown = client.patch(path, json={"item_ids": [first, 999_999]}, headers=headers)
        assert unknown.status_code == 422 and "999999" in unknown.json()["detail"]
        denied = client.patch(path, json={"title": "Mine"}, headers={"Authorization": f"Bearer {assistant}"})
        assert denied.status_code == 403
        tree = client.get(f"/v1/courses/{course}/tree", headers=headers).json()
        activity = tree["units"][0]["lessons"][0]["activities"][-1]
        assert activity["kind"] == "quiz" and activity["assessment_ids"] == [assessment["id"]]
