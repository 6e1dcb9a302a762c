"""Published versions (diff, rollback), scheduled publishing and full-text search, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from platform_api.core.db import make_engine, make_session_factory
from platform_api.domain.content.service import run_due_schedules
from tests.api.world import build_world, login, make_client


def _call(client: TestClient, token: str, method: str, path: str, body: Any = None, **params: Any) -> Any:
    response = client.request(method, path, json=body, params=params, headers={"Authorization": f"Bearer {token}"})
    return response


def test_versions_diff_rollback_schedule_and_search(db_url: str) -> None:
    world = build_world(db_url)
    course = world.ids["course"]
    with make_client(db_url) as client:
        me = login(client, "instructor@world.test")
        outsider = login(client, "outsider@world.test")

        def call(method: str, path: str, body: Any = None, **params: Any) -> Any:
            return _call(client, me, method, path, body, **params)

        assert call("POST", f"/v1/courses/{course}/versions").json()["version"] == 1
        assert call("PATCH", f"/v1/courses/{course}", {"title": "Ratios in depth"}).status_code == 200
        added = call(
            "POST",
            f"/v1/lessons/{world.ids['lesson']}/activities",
            {"title": "Proportion drill", "content": "Scale a **recipe** by proportion"},
        )
        assert added.status_code == 201, added.text
        assert call("POST", f"/v1/courses/{course}/versions").json()["version"] == 2

        # full-text search sees the draft, ranked, with a snippet; another tenant sees nothing
        hits = call("GET", "/v1/search", q="proportion").json()
        assert [(h["entity_type"], h["entity_id"]) for h in hits["items"]] == [("activity", added.json()["id"])]
        assert "recipe" in hits["items"][0]["snippet"]
        assert call("GET", "/v1/search", q="ratios").json()["items"][0]["entity_type"] == "course"
        assert _call(client, outsider, "GET", "/v1/search", q="proportion").json()["total"] == 0
        assert call("GET", "/v1/search", q="zebra").json()["total"] == 0

        diff = call("GET", f"/v1/courses/{course}/versions/2/diff").json()
        changes = {c["path"]: c for c in diff["changes"]}
        assert changes["course"]["fields"]["title"] == ["Fractions and ratios", "Ratios in depth"]
        assert changes["unit[0]/lesson[0]/activity[1]"]["change"] == "added"
        assert (diff["from_version"], diff["to_version"]) == (1, 2)

        # rolling back to a version that does not exist changes nothing
        assert call("POST", f"/v1/courses/{course}/versions/9/rollback").status_code == 404
        assert call("GET", f"/v1/courses/{course}/versions").json()["total"] == 2

        rolled = call("POST", f"/v1/courses/{course}/versions/1/rollback")
        assert rolled.status_code == 201 and rolled.json()["version"] == 3
        assert call("GET", f"/v1/courses/{course}/versions/3/diff", against=1).json()["changes"] == []
        tree = call("GET", f"/v1/courses/{course}/tree").json()
        assert tree["course"]["title"] == "Fractions and ratios"
        assert [a["title"] for a in tree["units"][0]["lessons"][0]["activities"]] == ["Practice"]
        assert call("GET", "/v1/search", q="proportion").json()["total"] == 0  # the index follows the draft

        # scheduled publishing: bad times are refused, a due schedule publishes from a worker thread
        now = datetime.now(UTC)
        naive = (now + timedelta(hours=1)).replace(tzinfo=None).isoformat()
        assert call("POST", f"/v1/courses/{course}/schedules", {"publish_at": naive}).status_code == 422
        past = (now - timedelta(hours=1)).isoformat()
        assert call("POST", f"/v1/courses/{course}/schedules", {"publish_at": past}).status_code == 422
        at = (now + timedelta(hours=1)).isoformat()
        schedule = call("POST", f"/v1/courses/{course}/schedules", {"publish_at": at}).json()
        assert schedule["status"] == "pending"

        engine = make_engine(db_url)
        factory = make_session_factory(engine)
        published: list[int] = []
        for when in (now, now + timedelta(hours=2), now + timedelta(hours=3)):  # not yet due, due, already done
            worker = threading.Thread(target=lambda w=when: published.append(run_due_schedules(factory, w)))
            worker.start()
            worker.join(timeout=30)
        engine.dispose()
        assert published == [0, 1, 0]
        versions = call("GET", f"/v1/courses/{course}/versions").json()
        assert versions["total"] == 4 and versions["items"][-1]["published_by"] == world.ids["user_instructor"]
        assert call("DELETE", f"/v1/schedules/{schedule['id']}").status_code == 409  # no longer pending
