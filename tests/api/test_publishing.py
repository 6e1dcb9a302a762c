"""The publishing workflow through the API: review requests gate publishing, branches merge three ways,
every state change lands in the write-once audit, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from platform_api.core.db import make_engine, make_session_factory
from platform_api.domain.content.service import run_due_schedules
from tests.api.world import build_world, login, make_client


def test_review_gates_publishing_and_everything_is_audited(db_url: str) -> None:
    world = build_world(db_url)
    course = world.ids["course"]
    with make_client(db_url) as client:
        tokens = {who: login(client, f"{who}@world.test") for who in ("instructor", "admin", "assistant")}

        def call(who: str, method: str, path: str, body: Any = None) -> Any:
            return client.request(method, path, json=body, headers={"Authorization": f"Bearer {tokens[who]}"})

        base = f"/v1/courses/{course}"
        assert call("assistant", "GET", "/v1/publishing/courses").status_code == 403
        assert call("instructor", "PATCH", base, {"title": "Ratios, reviewed"}).status_code == 200
        listed = {c["id"]: c for c in call("instructor", "GET", "/v1/publishing/courses").json()["items"]}
        assert listed[course]["draft_changed"] is True and listed[course]["latest_version"] is None

        opened = call("instructor", "POST", f"{base}/review-requests", {"title": "New title"})
        assert opened.status_code == 201, opened.text
        rid = opened.json()["id"]
        path = f"{base}/review-requests/{rid}"
        assert call("instructor", "POST", f"{base}/review-requests", {"title": "again"}).status_code == 409
        refused = call("instructor", "POST", f"{path}/publish", {})
        assert refused.status_code == 409 and "approved review request" in refused.json()["detail"]
        own = call("instructor", "POST", f"{path}/comments", {"verdict": "approve"})
        assert own.status_code == 403 and "your own request" in own.json()["detail"]
        empty = call("admin", "POST", f"{path}/comments", {"verdict": "request_changes"})
        assert empty.status_code == 422 and "needs a comment" in empty.json()["detail"]
        changes = {"verdict": "request_changes", "body": "Say ratios"}
        assert call("admin", "POST", f"{path}/comments", changes).status_code == 201
        assert call("instructor", "GET", path).json()["state"] == "changes_requested"
        assert call("admin", "POST", f"{path}/comments", {"verdict": "approve", "body": "Good"}).status_code == 201
        detail = call("instructor", "GET", path).json()
        assert detail["state"] == "approved" and detail["approval_current"] is True
        assert [c["verdict"] for c in detail["comments"]] == ["request_changes", "approve"]
        assert detail["comments"][0]["author_name"] == "admin"
        assert detail["changes"][0]["path"] == "course"

        # an edit after approval needs a new approval
        assert call("instructor", "PATCH", base, {"title": "Ratios, reviewed twice"}).status_code == 200
        stale = call("instructor", "POST", f"{path}/publish", {})
        assert stale.status_code == 409 and "changed after it was approved" in stale.json()["detail"]
        assert call("admin", "POST", f"{path}/comments", {"verdict": "approve"}).status_code == 201

        at = datetime.now(UTC) + timedelta(minutes=1)
        scheduled = call("instructor", "POST", f"{path}/publish", {"publish_at": at.isoformat()})
        assert scheduled.status_code == 200, scheduled.text
        assert scheduled.json()["state"] == "scheduled"
        pending = call("instructor", "GET", f"{base}/schedules").json()
        assert [s["status"] for s in pending] == ["pending"] and pending[0]["id"] == scheduled.json()["schedule_id"]

        engine = make_engine(db_url)
        ran: list[int] = []
        worker = threading.Thread(
            target=lambda: ran.append(run_due_schedules(make_session_factory(engine), at + timedelta(seconds=1)))
        )
        worker.start()
        worker.join(timeout=30)
        assert ran == [1]
        assert call("instructor", "GET", path).json()["state"] == "published"
        assert call("instructor", "GET", f"{base}/versions").json()["items"][-1]["version"] == 1

        # a schedule resting on an approval does not ship a draft edited after it
        assert call("instructor", "PATCH", base, {"title": "Ratios, reviewed again"}).status_code == 200
        rid2 = call("instructor", "POST", f"{base}/review-requests", {"title": "Again"}).json()["id"]
        assert call("admin", "POST", f"{base}/review-requests/{rid2}/comments", {"verdict": "approve"}).is_success
        later = datetime.now(UTC) + timedelta(minutes=5)
        again = call("instructor", "POST", f"{base}/review-requests/{rid2}/publish", {"publish_at": later.isoformat()})
        assert again.json()["state"] == "scheduled"
        assert call("instructor", "PATCH", base, {"title": "Ratios, unreviewed"}).status_code == 200
        ran.clear()
        worker = threading.Thread(
            target=lambda: ran.append(run_due_schedules(make_session_factory(engine), later + timedelta(seconds=1)))
        )
        worker.start()
        worker.join(timeout=30)
        assert ran == [1]
        assert call("instructor", "GET", f"{base}/versions").json()["total"] == 1  # nothing shipped
        assert call("instructor", "GET", f"{base}/review-requests/{rid2}").json()["approval_current"] is False
        assert [s["status"] for s in call("instructor", "GET", f"{base}/schedules").json()] == ["cancelled", "done"]

        actions = [e["action"] for e in call("instructor", "GET", f"{base}/publishing-history").json()["items"]]
        assert actions[:4] == ["schedule.refused", "schedule.created", "review.approved", "review.opened"]
        actions = actions[4:]
        assert actions == [
            "schedule.published",
            "schedule.created",
            "review.approved",
            "review.approved",
            "review.changes_requested",
            "review.opened",
        ]
        with engine.begin() as conn, pytest.raises(DatabaseError):
            conn.execute(text("UPDATE publishing_audit SET action = 'forged'"))
        engine.dispose()


def test_branches_merge_three_ways_and_refuse_conflicts(db_url: str) -> None:
    world = build_world(db_url)
    course = world.ids["course"]
    with make_client(db_url) as client:
        tokens = {who: login(client, f"{who}@world.test") for who in ("instructor", "admin")}

        def call(who: str, method: str, path: str, body: Any = None) -> Any:
            return client.request(method, path, json=body, headers={"Authorization": f"Bearer {tokens[who]}"})

        base = f"/v1/courses/{course}"
        made = call("instructor", "POST", f"{base}/branches", {})
        assert made.status_code == 201, made.text
        bid = made.json()["id"]
        assert call("instructor", "POST", f"{base}/branches", {}).status_code == 409  # one open branch per author
        tree = call("instructor", "GET", f"{base}/branches/{bid}").json()["tree"]
        tree["units"][0]["lessons"][0]["activities"][0]["title"] = "Practice, improved"
        assert call("admin", "PUT", f"{base}/branches/{bid}/tree", tree).status_code == 403  # not the author
        assert call("instructor", "PUT", f"{base}/branches/{bid}/tree", tree).status_code == 200

        # the draft moves elsewhere meanwhile: no conflict
        assert call("admin", "PATCH", base, {"title": "Ratios (draft)"}).status_code == 200
        detail = call("instructor", "GET", f"{base}/branches/{bid}").json()
        assert detail["draft_moved"] is True and detail["conflicts"] == []
        assert [c["path"] for c in detail["changes"]] == ["unit[0]/lesson[0]/activity[0]"]
        refused = call("instructor", "POST", f"{base}/branches/{bid}/merge")
        assert refused.status_code == 409 and "approved review request" in refused.json()["detail"]
        rid = call("instructor", "POST", f"{base}/review-requests", {"title": "Better", "branch_id": bid}).json()["id"]
        assert (
            call("admin", "POST", f"{base}/review-requests/{rid}/comments", {"verdict": "approve"}).status_code == 201
        )
        merged = call("instructor", "POST", f"{base}/branches/{bid}/merge")
        assert merged.status_code == 200, merged.text
        assert merged.json()["state"] == "merged"
        draft = call("instructor", "GET", f"{base}/tree").json()
        assert draft["course"]["title"] == "Ratios (draft)"
        assert draft["units"][0]["lessons"][0]["activities"][0]["title"] == "Practice, improved"

        # both sides change the course title: a 409 that names the conflict
        bid2 = call("instructor", "POST", f"{base}/branches", {}).json()["id"]
        tree = call("instructor", "GET", f"{base}/branches/{bid2}").json()["tree"]
        tree["course"]["title"] = "Mine"
        assert call("instructor", "PUT", f"{base}/branches/{bid2}/tree", tree).status_code == 200
        assert call("admin", "PATCH", base, {"title": "Theirs"}).status_code == 200
        rid2 = call("instructor", "POST", f"{base}/review-requests", {"title": "T", "branch_id": bid2}).json()["id"]
        assert (
            call("admin", "POST", f"{base}/review-requests/{rid2}/comments", {"verdict": "approve"}).status_code == 201
        )
        conflict = call("instructor", "POST", f"{base}/branches/{bid2}/merge")
        assert conflict.status_code == 409, conflict.text
        problem = conflict.json()
        assert problem["title"] == "Merge conflict" and problem["conflicts"][0]["path"] == "course"
        assert problem["conflicts"][0]["branch"]["title"] == "Mine"
        assert problem["conflicts"][0]["draft"]["title"] == "Theirs"
        assert call("instructor", "GET", f"{base}/tree").json()["course"]["title"] == "Theirs"
        assert call("instructor", "DELETE", f"{base}/branches/{bid2}").status_code == 204
        actions = [e["action"] for e in call("admin", "GET", f"{base}/publishing-history").json()["items"]]
        assert actions[:2] == ["branch.abandoned", "review.approved"] and "branch.merged" in actions
