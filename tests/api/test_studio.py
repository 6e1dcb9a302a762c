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
