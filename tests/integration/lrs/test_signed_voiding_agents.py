"""Signed statements, voiding order, consistent-through and the Agents resource, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from jwt.api_jws import PyJWS
from sqlalchemy import text

from platform_api.domain.lrs.models import Statement
from platform_api.lrs.multipart import build_multipart
from platform_api.lrs.signatures import SIGNATURE_USAGE
from tests.integration.lrs.test_statements_api import VOIDED, count, statement


@cache
def _key(n: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pathwise test signer")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def _sign(payload: bytes, alg: str = "RS256", x5c_from: int | None = None) -> bytes:
    headers = {"x5c": [_certificate(_key(x5c_from))]} if x5c_from is not None else None
    key: Any = b"a shared secret of thirty-two bytes!" if alg.startswith("HS") else _key(0)
    return PyJWS().encode(payload, key, algorithm=alg, headers=headers).encode()


def _signed_request(body: dict[str, Any], token: bytes, content_type: str = "application/octet-stream") -> Any:
    sha2 = hashlib.sha256(token).hexdigest()
    attachment = {
        "usageType": SIGNATURE_USAGE,
        "display": {"en-US": "signature"},
        "contentType": content_type,
        "length": len(token),
        "sha2": sha2,
    }
    signed = {**body, "attachments": [attachment]}
    return build_multipart(orjson.dumps(signed), [(sha2, content_type, token)])


def _base() -> dict[str, Any]:
    return {**statement(7), "id": str(uuid.uuid4()), "timestamp": "2026-03-01T10:00:00+01:00"}


def _good(body: dict[str, Any]) -> bytes:
    return _sign(orjson.dumps(body))


SIGNED_CASES: dict[str, tuple[Any, int, str]] = {
    "RS256 without certificate": (lambda b: (_good(b), "application/octet-stream"), 200, ""),
    "RS384 with its x5c certificate": (
        lambda b: (_sign(orjson.dumps(b), "RS384", x5c_from=0), "application/octet-stream"),
        200,
        "",
    ),
    "same timestamp in another offset": (
        lambda b: (_good({**b, "timestamp": "2026-03-01T09:00:00Z"}), "application/octet-stream"),
        200,
        "",
    ),
    "HS256 algorithm": (lambda b: (_sign(orjson.dumps(b), "HS256"), "application/octet-stream"), 400, "RS256"),
    "text/plain content type": (lambda b: (_good(b), "text/plain"), 400, "application/octet-stream"),
    "payload is not JSON": (
        lambda b: (_sign(orjson.dumps(b).replace(b'"', b"'", 1)), "application/octet-stream"),
        400,
        "not a JSON statement",
    ),
    "payload is another statement": (
        lambda b: (_good({**b, "verb": {"id": "https://example.com/verbs/other"}}), "application/octet-stream"),
        400,
        "not the statement it is attached to",
    ),
    "payload has another id": (
        lambda b: (_good({**b, "id": str(uuid.uuid4())}), "application/octet-stream"),
        400,
        "differs",
    ),
    "x5c of a different key": (
        lambda b: (_sign(orjson.dumps(b), x5c_from=1), "application/octet-stream"),
        400,
        "does not verify",
    ),
    "not a JWS": (lambda b: (b"certainly-not-a-jws", "application/octet-stream"), 400, "compact serialization"),
}


@pytest.mark.parametrize("case", list(SIGNED_CASES))
def test_signed_statements(lrs: TestClient, case: str) -> None:
    make, status, detail = SIGNED_CASES[case]
    body = _base()
    token, content_type = make(body)
    payload, multipart_type = _signed_request(body, token, content_type)
    response = lrs.post("/xAPI/statements", content=payload, headers={"Content-Type": multipart_type})
    assert response.status_code == status, response.text
    assert detail in response.text
    stored = lrs.get("/xAPI/statements", params={"statementId": body["id"]})
    assert stored.status_code == (200 if status == 200 else 404)


def test_signature_must_travel_in_the_request(lrs: TestClient) -> None:
    body = _base()
    body["attachments"] = [
        {
            "usageType": SIGNATURE_USAGE,
            "display": {"en-US": "signature"},
            "contentType": "application/octet-stream",
            "length": 10,
            "sha2": "ab" * 32,
            "fileUrl": "https://example.com/sig.jws",
        }
    ]
    response = lrs.post("/xAPI/statements", json=body)
    assert response.status_code == 400 and "multipart/mixed part" in response.text
    assert count(lrs, Statement) == 0


def _voiding(target: str) -> dict[str, Any]:
    return statement(9, id=str(uuid.uuid4()), verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target})


def test_voiding_may_arrive_before_its_target(lrs: TestClient) -> None:
    target = str(uuid.uuid4())
    assert lrs.post("/xAPI/statements", json=_voiding(target)).status_code == 200
    assert lrs.put("/xAPI/statements", params={"statementId": target}, json=statement(1)).status_code == 204
    assert lrs.get("/xAPI/statements", params={"statementId": target}).status_code == 404
    assert lrs.get("/xAPI/statements", params={"voidedStatementId": target}).json()["id"] == target
    listed = [s["id"] for s in lrs.get("/xAPI/statements").json()["statements"]]
    assert target not in listed and len(listed) == 1


@pytest.mark.parametrize("same_batch", [False, True])
def test_voiding_a_voiding_statement_is_refused(lrs: TestClient, same_batch: bool) -> None:
    first = _voiding(str(uuid.uuid4()))
    second = _voiding(first["id"])
    if same_batch:
        response = lrs.post("/xAPI/statements", json=[first, second])
        assert count(lrs, Statement) == 0
    else:
        assert lrs.post("/xAPI/statements", json=first).status_code == 200
        response = lrs.post("/xAPI/statements", json=second)
        assert count(lrs, Statement) == 1
    assert response.status_code == 400 and "cannot be voided" in response.text


def test_target_and_voiding_in_one_batch(lrs: TestClient) -> None:
    target = {**statement(2), "id": str(uuid.uuid4())}
    assert lrs.post("/xAPI/statements", json=[target, _voiding(target["id"])]).status_code == 200
    assert lrs.get("/xAPI/statements", params={"statementId": target["id"]}).status_code == 404
    assert lrs.get("/xAPI/statements", params={"voidedStatementId": target["id"]}).status_code == 200


def _through(response: Any) -> datetime:
    return datetime.fromisoformat(response.headers["X-Experience-API-Consistent-Through"].replace("Z", "+00:00"))


def test_consistent_through_never_passes_an_open_write(lrs: TestClient) -> None:
    assert lrs.post("/xAPI/statements", json=statement(1)).status_code == 200
    latest = lrs.get("/xAPI/statements").json()["statements"][0]
    stored = datetime.fromisoformat(latest["stored"].replace("Z", "+00:00"))
    assert stored <= _through(lrs.get("/xAPI/statements")) <= datetime.now(UTC)
    with lrs.app_state.session_factory() as session:  # type: ignore[attr-defined]
        if session.get_bind().dialect.name != "postgresql":
            return
        started = session.execute(text("SELECT now()")).scalar_one()  # an open transaction, like a write in flight
        assert _through(lrs.get("/xAPI/statements")) <= started
    assert _through(lrs.get("/xAPI/statements")) >= started


AGENT_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "names seen in statements are merged": (
        {"mbox": "mailto:learner5@example.com"},
        {"objectType": "Person", "name": ["Learner 5", "L. Five"], "mbox": ["mailto:learner5@example.com"]},
    ),
    "a name given in the query is included": (
        {"mbox": "mailto:learner5@example.com", "name": "Query name"},
        {
            "objectType": "Person",
            "name": ["Query name", "Learner 5", "L. Five"],
            "mbox": ["mailto:learner5@example.com"],
        },
    ),
    "an unknown agent is only itself": (
        {"account": {"homePage": "https://example.com", "name": "nobody"}},
        {"objectType": "Person", "account": [{"homePage": "https://example.com", "name": "nobody"}]},
    ),
}


@pytest.mark.parametrize("case", list(AGENT_CASES))
def test_agents_resource_returns_a_person(lrs: TestClient, case: str) -> None:
    agent, person = AGENT_CASES[case]
    older = statement(5)
    newer = statement(5, actor={"mbox": "mailto:learner5@example.com", "name": "L. Five"})
    assert lrs.post("/xAPI/statements", json=[older]).status_code == 200
    assert lrs.post("/xAPI/statements", json=[newer]).status_code == 200
    response = lrs.get("/xAPI/agents", params={"agent": orjson.dumps(agent).decode()})
    assert response.status_code == 200
    got = response.json()
    assert sorted(got.get("name", [])) == sorted(person.get("name", []))
    assert {k: v for k, v in got.items() if k != "name"} == {k: v for k, v in person.items() if k != "name"}


def test_agents_resource_refuses_a_bad_agent(lrs: TestClient) -> None:
    response = lrs.get("/xAPI/agents", params={"agent": '{"name": "no identifier"}'})
    assert response.status_code == 400 and "exactly one of mbox" in response.text


def test_text_the_database_cannot_store_is_a_400_not_a_500(lrs: TestClient) -> None:
    body = statement(3, result={"response": "before\u0000after"})
    response = lrs.post("/xAPI/statements", json=body)
    with lrs.app_state.session_factory() as session:  # type: ignore[attr-defined]
        postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # JSONB cannot hold U+0000
        assert response.status_code == 400 and "cannot store" in response.text
        assert count(lrs, Statement) == 0
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("path", ["/xAPI/about", "/xAPI/statements"])
def test_head_answers_like_get_without_a_body(lrs: TestClient, path: str) -> None:
    response = lrs.head(path)
    assert response.status_code == 200 and response.content == b""
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
