"""Storing statements: validate the whole batch, then write statements, refs and outbox in one go.

Callers pass their own session, so a platform action (grading an attempt, enrolling) and
the statement it emits commit together. Nothing is written unless every statement of
the batch is valid, which is what makes a rejected batch leave no trace.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from features.xapi_vocabulary import ACCOUNT_HOMEPAGE
from platform_api.core.db import utcnow
from platform_api.domain.lrs.models import Attachment, Statement, StatementRef
from platform_api.events.outbox import STATEMENT_EVENT, emit_many
from platform_api.lrs.bulk import bulk_insert
from platform_api.lrs.mentions import display_key, mentions
from platform_api.lrs.validation import VOIDED_VERB, StatementError, parse_timestamp, validate_statement

#: The authority of statements the platform writes itself.
PLATFORM_AGENT: dict[str, Any] = {
    "objectType": "Agent",
    "name": "Pathwise platform",
    "account": {"homePage": ACCOUNT_HOMEPAGE, "name": "pathwise-platform"},
}


class StatementConflict(Exception):
    """An id already names a different statement (HTTP 409)."""


@dataclass(frozen=True)
class Authority:
    """Who is writing: the agent recorded as ``authority`` and the tenant the data belongs to."""

    agent: dict[str, Any] = field(default_factory=lambda: dict(PLATFORM_AGENT))
    tenant_id: int | None = None
    credential_id: int | None = None


@dataclass(frozen=True)
class AttachmentPart:
    """One binary part of a multipart/mixed request, keyed by its SHA-256 in the request."""

    content_type: str
    content: bytes


def format_stored(moment: datetime) -> str:
    """``stored`` as the spec likes it: UTC, millisecond precision, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _comparable(statement: dict[str, Any]) -> dict[str, Any]:
    """What must match for a re-sent statement to count as the same one."""
    body = {k: v for k, v in statement.items() if k not in ("id", "stored", "authority", "version")}
    if "timestamp" in body:
        body["timestamp"] = parse_timestamp(body["timestamp"], "timestamp").astimezone(UTC).isoformat()
    return body


def _same_statement(stored: dict[str, Any], incoming: dict[str, Any]) -> bool:
    """Equal up to what the LRS fills in (a timestamp it set to ``stored`` included)."""
    mine = _comparable(stored)
    if "timestamp" not in incoming and stored.get("timestamp") == stored.get("stored"):
        mine.pop("timestamp", None)
    return mine == _comparable(incoming)


def _check_attachments(statements: Sequence[dict[str, Any]], parts: Mapping[str, AttachmentPart]) -> set[str]:
    """Every declared attachment without a fileUrl needs a part, and every part a declaration."""
    declared: set[str] = set()
    for index, statement in enumerate(statements):
        for position, attachment in enumerate(statement.get("attachments", ())):
            sha2 = attachment["sha2"]
            if sha2 in parts:
                declared.add(sha2)
            elif "fileUrl" not in attachment:
                raise StatementError(
                    f"statement[{index}].attachments[{position}]",
                    f"has no fileUrl and the request carries no part with X-Experience-API-Hash {sha2}",
                )
    extra = set(parts) - declared
    if extra:
        raise StatementError("attachments", f"part(s) {', '.join(sorted(extra))} match no attachment in the statements")
    return declared


def store_statements(
    session: Session,
    raw: Sequence[Any],
    authority: Authority | None = None,
    *,
    parts: Mapping[str, AttachmentPart] | None = None,
    batch: bool = False,
    path: str = "statement",
) -> list[str]:
    """Validate and store statements; returns their ids in order (assigned where missing).

    Raises :class:`StatementError` (400) or :class:`StatementConflict` (409) before
    anything is written. Statements identical to ones already stored are accepted as no-ops.
    """
    authority = authority or Authority()
    statements: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"{path}[{index}]" if batch else path
        statement = dict(validate_statement(item, where))
        statement_id = str(statement.get("id") or uuid.uuid4()).lower()
        if statement_id in seen:
            raise StatementError(f"{where}.id", f"{statement_id} appears more than once in this request")
        seen.add(statement_id)
        statement["id"] = statement_id
        statements.append(statement)
    _check_attachments(statements, parts or {})

    existing: dict[str, dict[str, Any]] = dict(
        session.execute(select(Statement.statement_id, Statement.payload).where(Statement.statement_id.in_(seen))).all()
    )
    fresh = []
    for statement in statements:
        stored = existing.get(statement["id"])
        if stored is None:
            fresh.append(statement)
        elif not _same_statement(stored, statement):
            raise StatementConflict(f"statement {statement['id']} already exists with different content")
    if not fresh:
        return [s["id"] for s in statements]

    void_targets = {s["object"]["id"].lower() for s in fresh if s["verb"]["id"] == VOIDED_VERB}
    if void_targets:
        batch_voiding = {s["id"] for s in fresh if s["verb"]["id"] == VOIDED_VERB}
        stored_voiding = session.scalars(
            select(Statement.statement_id).where(
                Statement.statement_id.in_(void_targets), Statement.verb_id == VOIDED_VERB
            )
        ).all()
        bad = (void_targets & batch_voiding) | set(stored_voiding)
        if bad:
            raise StatementError("statement.object.id", f"{sorted(bad)[0]} is a voiding statement and cannot be voided")

    now = utcnow()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    stored_text = format_stored(now)
    rows: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    events: list[tuple[str, str, dict[str, Any]]] = []
    for statement in fresh:
        statement["stored"] = stored_text
        statement["authority"] = authority.agent
        statement.setdefault("version", "1.0.0")
        statement.setdefault("timestamp", stored_text)
        obj = statement["object"]
        object_type = obj.get("objectType", "Activity")
        if object_type == "StatementRef":
            object_key, object_ref = obj["id"].lower(), obj["id"].lower()
        elif object_type in ("Agent", "Group"):
            object_key, object_ref = display_key(obj), None
        elif object_type == "SubStatement":
            object_key, object_ref = "substatement", None
        else:
            object_key, object_ref = obj["id"], None
        rows.append(
            {
                "statement_id": statement["id"],
                "tenant_id": authority.tenant_id,
                "verb_id": statement["verb"]["id"],
                "actor_key": display_key(statement["actor"]),
                "object_type": object_type,
                "object_key": object_key,
                "object_ref": object_ref,
                "registration": (statement.get("context") or {}).get("registration", "").lower() or None,
                "voided": False,
                "timestamp": parse_timestamp(statement["timestamp"], "timestamp"),
                "stored": now,
                "payload": statement,
            }
        )
        refs.extend(
            {"statement_id": statement["id"], "kind": kind, "value": value, "direct": direct}
            for kind, value, direct in mentions(statement)
        )
        events.append((STATEMENT_EVENT, statement["id"], {}))  # the relay reads the stored statement
    bulk_insert(session, Statement.__table__, rows)  # type: ignore[arg-type]
    bulk_insert(session, StatementRef.__table__, refs)  # type: ignore[arg-type]
    emit_many(session, events)
    if void_targets:
        session.execute(update(Statement).where(Statement.statement_id.in_(void_targets)).values(voided=True))
    if parts:
        _store_parts(session, parts)
    return [s["id"] for s in statements]


def _store_parts(session: Session, parts: Mapping[str, AttachmentPart]) -> None:
    known = set(session.scalars(select(Attachment.sha2).where(Attachment.sha2.in_(list(parts)))))
    new = [
        {"sha2": sha2, "content_type": part.content_type, "length": len(part.content), "content": part.content}
        for sha2, part in parts.items()
        if sha2 not in known
    ]
    if new:
        session.execute(insert(Attachment), new)


def record_statement(session: Session, statement: dict[str, Any], *, tenant_id: int | None = None) -> str:
    """Store one statement written by the platform itself, inside the caller's transaction."""
    return store_statements(session, [statement], Authority(tenant_id=tenant_id))[0]


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
