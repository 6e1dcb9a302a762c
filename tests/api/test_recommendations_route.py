"""The platform forwards serving's ranking as a typed body (the web app's client is generated from it),
and an answer it cannot read is a 503 problem, never a half-shaped page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.api.world import World

Answer = Callable[[httpx.Request], httpx.Response]


def _serve(client: TestClient, answer: Answer) -> None:
    """Serving runs on its own port, not here: a transport stands in for it."""
    client.app.state.serving_client = httpx.Client(  # type: ignore[attr-defined]
        base_url="http://serving.test", transport=httpx.MockTransport(answer)
    )


def _body(learner: int, course: str, **item: Any) -> dict[str, Any]:
    recommendation = {
        "activity_id": "12",
        "title": "Adding fractions",
        "type": "remedial",
        "reason": "Rule 'Catch up': fractions first",
        "skill": "3",
        "skill_name": "Fractions",
        "mastery": 0.31,
        "source": "rule:7",
        **item,
    }
    return {
        "learner_id": str(learner),
        "course": course,
        "items": [recommendation],
        "mastery": {"3": 0.31},
        "skill_names": {"3": "Fractions"},
        "model_versions": {"kt": "bkt/1"},
        "variant": {"kt": "champion"},
    }


def _get(client: TestClient, world: World, role: str = "learner") -> httpx.Response:
    learner, course = world.ids["user_learner"], world.ids["course"]
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    return client.get(f"/v1/learners/{learner}/recommendations?course={course}&k=3", headers=headers)


def test_the_ranking_comes_back_typed_with_its_reason(world_client_any: tuple[TestClient, World]) -> None:
    client, world = world_client_any
    _serve(client, lambda r: httpx.Response(200, json=_body(world.ids["user_learner"], r.url.params["course"])))
    for role in ("learner", "guardian"):
        answer = _get(client, world, role)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["items"][0]["type"] == "remedial"
        assert body["items"][0]["reason"] == "Rule 'Catch up': fractions first"
        assert (body["answers"], body["rules_applied"], body["fallback"]) == ({}, [], None)  # defaults filled in
    schema = client.get("/openapi.json").json()
    ok = schema["paths"]["/v1/learners/{learner_id}/recommendations"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RecommendationsOut"}
    kinds = schema["components"]["schemas"]["RecommendationType"]["enum"]
    assert set(kinds) == {"remedial", "practice", "challenge", "review", "peer-collaboration"}


def test_an_unreadable_or_missing_serving_answer_is_a_clear_503(world_client_any: tuple[TestClient, World]) -> None:
    client, world = world_client_any
    learner = world.ids["user_learner"]
    answers: list[Answer] = [
        lambda r: httpx.Response(200, json=_body(learner, r.url.params["course"], type="cram")),
        lambda r: httpx.Response(200, json={"items": "none"}),
        lambda r: httpx.Response(200, content=b"<html>"),
    ]
    for answer in answers:
        _serve(client, answer)
        got = _get(client, world)
        assert got.status_code == 503
        assert got.headers["content-type"].startswith("application/problem+json")
        assert "serving answered an unreadable body" in got.json()["detail"]

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    _serve(client, down)
    got = _get(client, world)
    assert got.status_code == 503 and "unavailable right now (ConnectError)" in got.json()["detail"]
