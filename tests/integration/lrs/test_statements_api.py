"""The Statement resource over HTTP on SQLite and PostgreSQL: storage, errors, voiding, queries."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from platform_api.domain.lrs.models import Statement, StatementRef
from platform_api.events.models import OutboxEvent

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def statement(n: int = 0, **extra: Any) -> dict[str, Any]:
    body = {
        "actor": {"mbox": f"mailto:learner{n}@example.com", "name": f"Learner {n}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered", "fr": "répondu"}},
        "object": {"id": f"https://example.com/items/{n}", "definition": {"name": {"en-US": f"Item {n}"}}},
    }
    body.update(extra)
    return body


def count(client: TestClient, model: Any) -> int:
    with client.app_state.session_factory() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_post_single_and_batch_store_statements_refs_and_outbox(lrs: TestClient) -> None:
    single = lrs.post("/xAPI/statements", json=statement(1))
    assert single.status_code == 200, single.text
    assert single.headers["X-Experience-API-Version"] == "1.0.3"
    (first_id,) = single.json()
    batch = lrs.post("/xAPI/statements", json=[statement(n) for n in range(2, 5)])
    assert batch.status_code == 200 and len(batch.json()) == 3
    assert count(lrs, Statement) == 4
    with lrs.app_state.session_factory() as session:  # type: ignore[attr-defined]
        outbox = session.scalars(select(OutboxEvent.payload).order_by(OutboxEvent.id)).all()
    # One outbox row per request, listing its statements in order.
    assert [len(row["statement_ids"]) for row in outbox] == [1, 3] and outbox[0]["statement_ids"] == [first_id]
    assert count(lrs, StatementRef) >= 8
    fetched = lrs.get("/xAPI/statements", params={"statementId": first_id})
    assert fetched.status_code == 200
    body = fetched.json()
    assert body["id"] == first_id and body["version"] == "1.0.0"
    assert body["stored"].endswith("Z") and body["authority"]["name"] == "test client"
    assert "X-Experience-API-Consistent-Through" in fetched.headers
    assert fetched.headers["Last-Modified"] == body["stored"]


def test_put_uses_statement_id_and_repeats_are_idempotent(lrs: TestClient) -> None:
    sid = str(uuid.uuid4())
    assert lrs.put("/xAPI/statements", params={"statementId": sid}, json=statement()).status_code == 204
    assert lrs.put("/xAPI/statements", params={"statementId": sid}, json=statement()).status_code == 204
    conflict = lrs.put("/xAPI/statements", params={"statementId": sid}, json=statement(9))
    assert conflict.status_code == 409 and sid in conflict.json()["detail"]
    assert lrs.post("/xAPI/statements", json={**statement(), "id": sid}).status_code == 200
    assert lrs.post("/xAPI/statements", json={**statement(5), "id": sid}).status_code == 409
    assert count(lrs, Statement) == 1


BAD_REQUESTS = {
    "malformed json": (
        {"content": b'{"actor": ', "headers": {"Content-Type": "application/json"}},
        400,
        "not valid JSON",
    ),
    "missing actor": (
        {"json": {k: v for k, v in statement().items() if k != "actor"}},
        400,
        "statement.actor: is required",
    ),
    "bad iri": ({"json": statement(verb={"id": "answered"})}, 400, "statement.verb.id"),
    "wrong content type": ({"content": b"{}", "headers": {"Content-Type": "text/plain"}}, 400, "Content-Type"),
    "unknown version": ({"json": statement(), "headers": {"X-Experience-API-Version": "2.0.0"}}, 400, "not supported"),
    "missing version": ({"json": statement(), "headers": {"X-Experience-API-Version": ""}}, 400, "not supported"),
    "oversize": ({"json": [statement(n, result={"response": "x" * 1000}) for n in range(80)]}, 413, "at most"),
    "not a statement": ({"json": 42}, 400, "statement object or an array"),
    "empty batch": ({"json": []}, 400, "empty"),
    "unknown parameter": ({"json": statement(), "params": {"foo": "1"}}, 400, "no parameters"),
    "bad credentials": ({"json": statement(), "headers": {"Authorization": "Basic Zm9vOmJhcg=="}}, 401, "credentials"),
}


@pytest.mark.parametrize(("kwargs", "status", "detail"), list(BAD_REQUESTS.values()), ids=list(BAD_REQUESTS))
def test_bad_requests_are_refused_precisely(lrs: TestClient, kwargs: dict[str, Any], status: int, detail: str) -> None:
    response = lrs.post("/xAPI/statements", **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert detail in response.json()["detail"]
    assert count(lrs, Statement) == 0 and count(lrs, OutboxEvent) == 0


def test_version_header_is_required(lrs: TestClient) -> None:
    request = lrs.build_request("GET", "/xAPI/statements")
    del request.headers["X-Experience-API-Version"]
    response = lrs.send(request)
    assert response.status_code == 400 and "is required" in response.json()["detail"]


def test_one_bad_statement_rejects_the_whole_batch(lrs: TestClient) -> None:
    batch = [statement(0), statement(1), statement(2, actor={"name": "nobody"})]
    response = lrs.post("/xAPI/statements", json=batch)
    assert response.status_code == 400
    assert "statement[2].actor" in response.json()["detail"]
    assert count(lrs, Statement) == 0 and count(lrs, StatementRef) == 0 and count(lrs, OutboxEvent) == 0


def test_duplicate_ids_in_one_batch_are_refused(lrs: TestClient) -> None:
    sid = str(uuid.uuid4())
    response = lrs.post("/xAPI/statements", json=[{**statement(0), "id": sid}, {**statement(0), "id": sid}])
    assert response.status_code == 400 and "more than once" in response.json()["detail"]


def test_voiding_hides_the_target_and_cannot_be_voided(lrs: TestClient) -> None:
    (target,) = lrs.post("/xAPI/statements", json=statement(1)).json()
    void = statement(1, verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target})
    (voiding,) = lrs.post("/xAPI/statements", json=void).json()
    assert lrs.get("/xAPI/statements", params={"statementId": target}).status_code == 404
    assert lrs.get("/xAPI/statements", params={"voidedStatementId": target}).json()["id"] == target
    assert lrs.get("/xAPI/statements", params={"voidedStatementId": voiding}).status_code == 404
    listed = [s["id"] for s in lrs.get("/xAPI/statements").json()["statements"]]
    assert listed == [voiding]
    again = statement(2, verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": voiding})
    refused = lrs.post("/xAPI/statements", json=again)
    assert refused.status_code == 400 and "cannot be voided" in refused.json()["detail"]


def test_filters_and_paging(lrs: TestClient) -> None:
    registration = str(uuid.uuid4())
    team = {"objectType": "Group", "member": [{"mbox": "mailto:learner1@example.com"}, {"mbox": "mailto:z@e.com"}]}
    stored = lrs.post(
        "/xAPI/statements",
        json=[
            statement(1),
            statement(
                2,
                context={
                    "registration": registration,
                    "contextActivities": {"parent": [{"id": "https://example.com/course"}]},
                },
            ),
            statement(3, verb={"id": "http://adlnet.gov/expapi/verbs/completed"}),
            statement(4, actor=team),
            statement(5, context={"instructor": {"mbox": "mailto:learner1@example.com"}}),
        ],
    ).json()

    def ids(**params: str) -> list[str]:
        response = lrs.get("/xAPI/statements", params=params)
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()["statements"]]

    agent = json.dumps({"mbox": "mailto:learner1@example.com"})
    assert set(ids(agent=agent)) == {stored[0], stored[3]}
    assert set(ids(agent=agent, related_agents="true")) == {stored[0], stored[3], stored[4]}
    assert ids(verb="http://adlnet.gov/expapi/verbs/completed") == [stored[2]]
    assert ids(registration=registration) == [stored[1]]
    assert ids(activity="https://example.com/course") == []
    assert ids(activity="https://example.com/course", related_activities="true") == [stored[1]]
    assert ids(activity="https://example.com/items/2") == [stored[1]]
    assert ids(ascending="true") == stored
    assert ids() == stored[::-1]
    first = lrs.get("/xAPI/statements", params={"limit": "2", "ascending": "true"}).json()
    assert [s["id"] for s in first["statements"]] == stored[:2] and first["more"].startswith("/xAPI/statements?more=")
    second = lrs.get(first["more"]).json()
    third = lrs.get(second["more"]).json()
    assert [s["id"] for s in second["statements"] + third["statements"]] == stored[2:]
    assert third["more"] == ""
    later = lrs.get("/xAPI/statements", params={"since": first["statements"][0]["stored"]}).json()["statements"]
    assert later == []  # all five share one stored instant
    assert ids(until="2000-01-01T00:00:00Z") == []


def test_statement_ref_targets_match_filters(lrs: TestClient) -> None:
    (target,) = lrs.post("/xAPI/statements", json=statement(1)).json()
    referring = statement(
        7, verb={"id": "https://example.com/verbs/liked"}, object={"objectType": "StatementRef", "id": target}
    )
    (ref_id,) = lrs.post("/xAPI/statements", json=referring).json()
    found = lrs.get("/xAPI/statements", params={"activity": "https://example.com/items/1"}).json()["statements"]
    assert {s["id"] for s in found} == {target, ref_id}


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"statementId": str(uuid.uuid4()), "verb": "https://e.com/v"}, "may only be combined"),
        ({"agent": "{not json"}, "agent: is not valid JSON"),
        ({"agent": json.dumps({"name": "x"})}, "exactly one"),
        ({"since": "tuesday"}, "since"),
        ({"limit": "-1"}, "limit"),
        ({"format": "short"}, "format"),
        ({"ascending": "yes"}, "ascending"),
        ({"bogus": "1"}, "not a parameter"),
        ({"more": "garbage!"}, "more"),
    ],
)
def test_bad_query_parameters(lrs: TestClient, params: dict[str, str], detail: str) -> None:
    response = lrs.get("/xAPI/statements", params=params)
    assert response.status_code == 400, response.text
    assert detail in response.json()["detail"]


def test_formats(lrs: TestClient) -> None:
    (sid,) = lrs.post("/xAPI/statements", json=statement(1)).json()
    ids_format = lrs.get("/xAPI/statements", params={"statementId": sid, "format": "ids"}).json()
    assert ids_format["actor"] == {"mbox": "mailto:learner1@example.com"}
    assert ids_format["verb"] == {"id": "http://adlnet.gov/expapi/verbs/answered"}
    assert ids_format["object"] == {"id": "https://example.com/items/1"}
    canonical = lrs.get(
        "/xAPI/statements", params={"statementId": sid, "format": "canonical"}, headers={"Accept-Language": "fr"}
    ).json()
    assert canonical["verb"]["display"] == {"fr": "répondu"}


def test_attachments_multipart_round_trip(lrs: TestClient) -> None:
    import hashlib

    content = b"\x00\x01binary\r\n--not-a-boundary\r\n"
    sha2 = hashlib.sha256(content).hexdigest()
    body = statement(
        1,
        attachments=[
            {
                "usageType": "https://e.com/u",
                "display": {"en": "x"},
                "contentType": "application/octet-stream",
                "length": len(content),
                "sha2": sha2,
            }
        ],
    )
    boundary = "abc123"
    multipart = (
        (
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(body)}\r\n"
            f"--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--".encode()
    )
    headers = {"Content-Type": f"multipart/mixed; boundary={boundary}"}
    stored = lrs.post("/xAPI/statements", content=multipart, headers=headers)
    assert stored.status_code == 200, stored.text
    (sid,) = stored.json()
    fetched = lrs.get("/xAPI/statements", params={"statementId": sid, "attachments": "true"})
    assert fetched.headers["content-type"].startswith("multipart/mixed")
    assert content in fetched.content and sha2.encode() in fetched.content
    missing = lrs.post("/xAPI/statements", json=body)
    assert missing.status_code == 400 and "no part" in missing.json()["detail"]
    tampered = multipart.replace(b"binary\r\n--not", b"BINARY\r\n--not")
    refused = lrs.post("/xAPI/statements", content=tampered, headers=headers)
    assert refused.status_code == 400 and "does not match" in refused.json()["detail"]


def test_alternate_request_syntax(lrs: TestClient) -> None:
    sid = str(uuid.uuid4())
    auth = lrs.headers["Authorization"]
    form = {
        "Authorization": auth,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "statementId": sid,
        "content": json.dumps(statement(3)),
    }
    bare = TestClient(lrs.app)
    put = bare.post("/xAPI/statements", params={"method": "PUT"}, data=form)
    assert put.status_code == 204, put.text
    got = bare.post(
        "/xAPI/statements",
        params={"method": "GET"},
        data={"Authorization": auth, "X-Experience-API-Version": "1.0.3", "statementId": sid},
    )
    assert got.status_code == 200 and got.json()["id"] == sid
    extra = bare.post("/xAPI/statements", params={"method": "GET", "statementId": sid}, data=form)
    assert extra.status_code == 400 and "only query parameter" in extra.json()["detail"]


def test_awkward_text_round_trips_exactly(lrs: TestClient) -> None:
    """Tabs, newlines, backslashes, quotes and non-ASCII survive storage (COPY escaping on PostgreSQL)."""
    awkward = 'tab\there\nnew line\r\\back\\slash "quoted" \\N ünïcødé 📘'
    body = statement(1, result={"response": awkward}, context={"extensions": {"https://e.com/x": {"v": awkward}}})
    body["actor"]["name"] = awkward
    (sid,) = lrs.post("/xAPI/statements", json=body).json()
    fetched = lrs.get("/xAPI/statements", params={"statementId": sid}).json()
    assert fetched["result"]["response"] == awkward
    assert fetched["actor"]["name"] == awkward
    assert fetched["context"]["extensions"]["https://e.com/x"] == {"v": awkward}
