"""The learner home document and the continue-learning pointer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.api.test_lrs_platform_token import XAPI, video_statement
from tests.api.world import World, role_headers

API = tuple[TestClient, World, str]


def serving_with_mastery(mastery: dict[str, float], calls: list[str]) -> httpx.Client:
    """Stands in for serving: one recommendation answer with the given mastery, counting the calls."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("Bearer ")
        calls.append(str(request.url))
        body = {"items": [], "mastery": mastery, "model_versions": {"kt": "3"}, "variant": {"name": "champion"}}
        learner = request.url.path.split("/")[3]  # /v1/learners/{id}/recommendations, as serving answers
        return httpx.Response(200, json={**body, "learner_id": learner, "course": request.url.params["course"]})

    return httpx.Client(base_url="http://serving.test", transport=httpx.MockTransport(answer))


def _at(minutes: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def _progress(client: TestClient, world: World, position: float, at: str, status: str = "started") -> Any:
    learner, activity = world.ids["user_learner"], world.ids["activity"]
    body = {"position": position, "status": status, "client_updated_at": at}
    return client.put(f"/v1/learners/{learner}/progress/{activity}", json=body, headers=role_headers(world, "learner"))


def test_home_shows_where_to_continue_progress_mastery_deadlines_and_time(api: API) -> None:
    client, world, _ = api
    learner, course, skill = world.ids["user_learner"], world.ids["course"], world.ids["skill"]
    client.post(f"/v1/courses/{course}/versions", headers=role_headers(world, "admin"))  # published: 1 activity
    assert _progress(client, world, 0.4, _at(-2)).status_code == 200
    done = _progress(client, world, 1.0, _at(-1), "completed").json()
    assert done["applied"] is True and done["status"] == "completed"
    stale = _progress(client, world, 0.1, _at(-30)).json()  # an older write from another device
    assert stale["applied"] is False and stale["position"] == 1.0 and stale["status"] == "completed"
    headers = {**XAPI, **role_headers(world, "learner")}
    assert (
        client.post(
            "/xAPI/statements", json={**video_statement(learner, skill, 0.95), "timestamp": _at()}, headers=headers
        ).status_code
        == 200
    )
    calls: list[str] = []
    client.app.state.serving_client = serving_with_mastery({str(skill): 0.97}, calls)  # type: ignore[attr-defined]

    response = client.get(f"/v1/learners/{learner}/home", headers=role_headers(world, "learner"))
    assert response.status_code == 200, response.text
    home = response.json()
    assert len(calls) == 1  # serving is asked once per page
    (entry,) = home["continue"]
    assert (entry["course_id"], entry["activity_id"], entry["activity_title"]) == (
        course,
        world.ids["activity"],
        "Practice",
    )
    assert (entry["activities_completed"], entry["activities_total"], entry["course_progress"]) == (1, 1, 1.0)
    assert home["mastery"] == [{"skill_id": skill, "name": "Fractions", "mastery": 0.97}]
    assert home["progress"]["mastered_source"] == "model"
    assert home["progress"]["skills_mastered"] == [{"skill_id": skill, "name": "Fractions"}]
    earned = {b["code"] for b in home["progress"]["badges"] if b["earned"]}
    assert {"first_answer", "first_course_completed", "first_video"} <= earned
    assert "ten_in_a_row" not in earned and "streak_5" not in earned
    assert [d["assignment_id"] for d in home["deadlines"]] == [world.ids["assignment"]]
    assert len(home["time_usage"]) == 14
    assert home["time_usage"][-1]["minutes"] >= 0.2  # the video's 12 s today


def test_without_serving_mastery_is_null_never_invented(api: API) -> None:
    client, world, _ = api
    learner = world.ids["user_learner"]
    client.app.state.serving_client = httpx.Client(  # type: ignore[attr-defined]
        base_url="http://serving.test", transport=httpx.MockTransport(lambda request: httpx.Response(503))
    )
    home = client.get(f"/v1/learners/{learner}/home", headers=role_headers(world, "learner")).json()
    assert home["mastery"] is None and home["progress"]["mastered_source"] == "attempts"
    assert home["continue"][0]["activity_id"] is None and home["continue"][0]["course_progress"] is None


def test_who_reads_home_and_who_sets_progress(api: API) -> None:
    client, world, _ = api
    learner, other, activity = world.ids["user_learner"], world.ids["user_learner2"], world.ids["activity"]
    client.app.state.serving_client = serving_with_mastery({}, [])  # type: ignore[attr-defined]
    for role, status in (("guardian", 200), ("instructor", 200), ("learner2", 403), ("outsider", 404)):
        response = client.get(f"/v1/learners/{learner}/home", headers=role_headers(world, role))
        assert response.status_code == status, (role, response.text)
    assert client.get(f"/v1/learners/{learner}/home").status_code == 401
    body = {"position": 0.5, "client_updated_at": _at()}
    for role, target in (("guardian", learner), ("learner", other)):
        refused = client.put(f"/v1/learners/{target}/progress/{activity}", json=body, headers=role_headers(world, role))
        assert refused.status_code == 403, (role, refused.text)
    future = client.put(
        f"/v1/learners/{learner}/progress/{activity}",
        json={"position": 0.5, "client_updated_at": _at(60)},
        headers=role_headers(world, "learner"),
    )
    assert future.status_code == 422 and "future" in future.json()["detail"]
    out_of_range = {"position": 1.5, "client_updated_at": _at()}
    assert (
        client.put(
            f"/v1/learners/{learner}/progress/{activity}", json=out_of_range, headers=role_headers(world, "learner")
        ).status_code
        == 422
    )
