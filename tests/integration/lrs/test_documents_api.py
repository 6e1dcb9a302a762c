"""State, Activity Profile and Agent Profile documents; Activities, Agents and About resources."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

AGENT = json.dumps({"mbox": "mailto:ada@example.com"})
ACTIVITY = "https://example.com/activities/1"
STATE = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "bookmark"}


def test_state_put_get_merge_list_delete(lrs: TestClient) -> None:
    assert lrs.put("/xAPI/activities/state", params=STATE, json={"page": 1}).status_code == 204
    got = lrs.get("/xAPI/activities/state", params=STATE)
    assert got.json() == {"page": 1} and got.headers["ETag"].startswith('"')
    assert lrs.post("/xAPI/activities/state", params=STATE, json={"done": True}).status_code == 204
    assert lrs.get("/xAPI/activities/state", params=STATE).json() == {"page": 1, "done": True}
    listing = lrs.get("/xAPI/activities/state", params={"activityId": ACTIVITY, "agent": AGENT})
    assert listing.json() == ["bookmark"]
    assert lrs.delete("/xAPI/activities/state", params={"activityId": ACTIVITY, "agent": AGENT}).status_code == 204
    assert lrs.get("/xAPI/activities/state", params=STATE).status_code == 404


def test_registration_separates_state(lrs: TestClient) -> None:
    registered = {**STATE, "registration": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}
    lrs.put("/xAPI/activities/state", params=registered, content=b"x", headers={"Content-Type": "text/plain"})
    assert lrs.get("/xAPI/activities/state", params=STATE).status_code == 404
    assert lrs.get("/xAPI/activities/state", params=registered).content == b"x"


def test_post_merge_refuses_non_json(lrs: TestClient) -> None:
    lrs.put("/xAPI/activities/state", params=STATE, content=b"plain", headers={"Content-Type": "text/plain"})
    refused = lrs.post("/xAPI/activities/state", params=STATE, json={"a": 1})
    assert refused.status_code == 400 and "JSON" in refused.json()["detail"]
    assert lrs.get("/xAPI/activities/state", params=STATE).content == b"plain"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/xAPI/activities/profile", {"activityId": ACTIVITY, "profileId": "p1"}),
        ("/xAPI/agents/profile", {"agent": AGENT, "profileId": "p1"}),
    ],
)
def test_profile_etag_concurrency(lrs: TestClient, path: str, params: dict[str, str]) -> None:
    assert lrs.put(path, params=params, json={"v": 1}).status_code == 204
    blind = lrs.put(path, params=params, json={"v": 2})
    assert blind.status_code == 409 and "If-Match" in blind.json()["detail"]
    etag = lrs.get(path, params=params).headers["ETag"]
    assert lrs.put(path, params=params, json={"v": 2}, headers={"If-Match": '"stale"'}).status_code == 412
    assert lrs.put(path, params=params, json={"v": 2}, headers={"If-None-Match": "*"}).status_code == 412
    assert lrs.put(path, params=params, json={"v": 2}, headers={"If-Match": etag}).status_code == 204
    assert lrs.get(path, params=params).json() == {"v": 2}
    assert lrs.delete(path, params=params, headers={"If-Match": etag}).status_code == 412
    assert lrs.delete(path, params=params).status_code == 204
    assert lrs.get(path, params=params).status_code == 404


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"agent": AGENT, "stateId": "s"}, "activityId parameter is required"),
        ({"activityId": ACTIVITY, "stateId": "s"}, "agent parameter is required"),
        ({"activityId": "not an iri", "agent": AGENT, "stateId": "s"}, "IRI"),
        ({"activityId": ACTIVITY, "agent": "{", "stateId": "s"}, "not valid JSON"),
        ({**STATE, "registration": "nope"}, "UUID"),
        ({**STATE, "extra": "1"}, "not a parameter"),
    ],
)
def test_bad_state_requests(lrs: TestClient, params: dict[str, str], detail: str) -> None:
    response = lrs.put("/xAPI/activities/state", params=params, json={})
    assert response.status_code == 400 and detail in response.json()["detail"]


def test_about_needs_no_credentials(lrs: TestClient) -> None:
    response = lrs.get("/xAPI/about", headers={"Authorization": ""})
    assert response.status_code == 200 and "1.0.3" in response.json()["version"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_activities_and_agents(lrs: TestClient) -> None:
    lrs.post(
        "/xAPI/statements",
        json={
            "actor": {"mbox": "mailto:ada@example.com", "name": "Ada"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": ACTIVITY, "definition": {"name": {"en-US": "Fractions"}}},
        },
    )
    activity = lrs.get("/xAPI/activities", params={"activityId": ACTIVITY}).json()
    assert activity == {"objectType": "Activity", "id": ACTIVITY, "definition": {"name": {"en-US": "Fractions"}}}
    assert lrs.get("/xAPI/activities", params={"activityId": "https://example.com/none"}).status_code == 404
    person = lrs.get("/xAPI/agents", params={"agent": json.dumps({"mbox": "mailto:ada@example.com", "name": "Ada"})})
    assert person.json() == {"objectType": "Person", "name": ["Ada"], "mbox": ["mailto:ada@example.com"]}


def test_export_csv_and_json(lrs: TestClient) -> None:
    lrs.post(
        "/xAPI/statements",
        json=[
            {
                "actor": {"mbox": f"mailto:l{n}@example.com"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
                "object": {"id": f"https://example.com/q/{n}"},
                "result": {"success": n % 2 == 0, "score": {"scaled": 0.5}},
            }
            for n in range(3)
        ],
    )
    csv_text = lrs.get("/xAPI/export", params={"format": "csv"}).text
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("id,stored,timestamp,actor") and len(lines) == 4
    assert "mbox:mailto:l1@example.com" in csv_text and ",answered," in csv_text
    json_lines = lrs.get("/xAPI/export").text.strip().splitlines()
    assert len(json_lines) == 3 and json.loads(json_lines[0])["verb"]["id"].endswith("answered")
    assert lrs.get("/xAPI/export", params={"since": "2999-01-01T00:00:00Z"}).text == ""
    assert lrs.get("/xAPI/export", params={"format": "xml"}).status_code == 400
