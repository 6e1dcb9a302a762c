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
from platform_api.domain.identity.models import User
from platform_api.domain.lrs.models import Attachment, Statement
from platform_api.lrs.equivalence import same_statement
from platform_api.lrs.mentions import display_key, mentions
from platform_api.lrs.signatures import verify_signatures
from platform_api.lrs.validation import VOIDED_VERB, StatementError, parse_timestamp, validate_statement
from platform_api.lrs.writers import Rows, insert_rows

#: The largest user id (the column is a 32-bit integer): a larger account name names no user.
MAX_USER_ID = 2**31 - 1
#: The authority of statements the platform writes itself.
PLATFORM_AGENT: dict[str, Any] = {
    "objectType": "Agent",
    "name": "Pathwise platform",
    "account": {"homePage": ACCOUNT_HOMEPAGE, "name": "pathwise-platform"},
}


class StatementConflict(Exception):
    """An id already names a different statement (HTTP 409)."""


class ForeignLearner(Exception):
    """A client bound to an organization named a platform learner outside it (HTTP 403)."""


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


def validated(raw: Sequence[Any], *, batch: bool = False, path: str = "statement") -> list[dict[str, Any]]:
    """Validate every statement and give each an id; duplicates within the request are refused."""
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
    return statements


def _check_voiding(session: Session, statements: Sequence[dict[str, Any]], tenant_id: int | None) -> set[str]:
    """The ids this request voids; a voiding statement may not target another voiding statement."""
    voiding = {s["id"] for s in statements if s["verb"]["id"] == VOIDED_VERB}
    targets = {s["object"]["id"].lower() for s in statements if s["verb"]["id"] == VOIDED_VERB}
    if not targets:
        return targets
    stored = session.scalars(
        select(Statement.statement_id).where(
            Statement.statement_id.in_(targets),
            Statement.verb_id == VOIDED_VERB,
            Statement.tenant_id.is_not_distinct_from(tenant_id),
        )
    ).all()
    bad = (targets & voiding) | set(stored)
    if bad:
        raise StatementError("statement.object.id", f"{sorted(bad)[0]} is a voiding statement and cannot be voided")
    return targets


def _check_learners(
    session: Session, statements: Sequence[dict[str, Any]], authority: Authority, *, batch: bool, path: str
) -> None:
    """A client bound to an organization writes statements about that organization's learners only.

    The platform names a learner by an account on its own home page whose name is the user id,
    and every reader of the statements (serving's learner loop, the feature pipeline) takes that
    actor for the learner: another organization's client naming one would move that learner's
    mastery and recommendations. The platform's own statements and platform-wide clients (no
    organization) are not limited.
    """
    if authority.credential_id is None or authority.tenant_id is None:
        return
    named: dict[int, str] = {}
    for index, statement in enumerate(statements):
        account = statement["actor"].get("account") or {}
        if account.get("homePage") == ACCOUNT_HOMEPAGE:
            named[index] = str(account["name"])
    if not named:
        return
    ids = {int(name) for name in named.values() if name.isdigit() and int(name) <= MAX_USER_ID}
    own = set(session.scalars(select(User.id).where(User.id.in_(ids), User.tenant_id == authority.tenant_id)))
    for index, name in named.items():
        if not (name.isdigit() and int(name) in own):
            where = f"{path}[{index}].actor" if batch else f"{path}.actor"
            raise ForeignLearner(
                f"{where} names the platform account {name!r}, which is not a learner of the organization these "
                "credentials belong to; they write statements about their own organization's learners only"
            )


def transaction_time(session: Session) -> datetime:
    """``stored`` for this transaction, at millisecond precision.

    On PostgreSQL it is the transaction's start on the database clock (and this call starts
    the transaction), so ``X-Experience-API-Consistent-Through`` can be derived from the
    start times of transactions still open.
    """
    if session.get_bind().dialect.name == "postgresql":
        driver = session.connection().connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:  # the driver's cursor: a third of the CPU of Session.execute
            row = cursor.execute("SELECT now()").fetchone()
        assert row is not None
        moment = row[0]
    else:
        moment = utcnow()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _object_columns(obj: dict[str, Any]) -> tuple[str, str, str | None]:
    object_type = obj.get("objectType", "Activity")
    if object_type == "StatementRef":
        return object_type, obj["id"].lower(), obj["id"].lower()
    if object_type in ("Agent", "Group"):
        return object_type, display_key(obj), None
    if object_type == "SubStatement":
        return object_type, "substatement", None
    return object_type, obj["id"], None


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

    Raises :class:`StatementError` (400) or :class:`StatementConflict` (409); the caller's
    transaction then rolls back, so nothing is kept. Statements identical to ones already
    stored are accepted as no-ops.
    """
    authority = authority or Authority()
    statements = validated(raw, batch=batch, path=path)
    _check_learners(session, statements, authority, batch=batch, path=path)
    parts = parts or {}
    _check_attachments(statements, parts)
    verify_signatures(statements, parts)
    void_targets = _check_voiding(session, statements, authority.tenant_id)

    now = transaction_time(session)
    stored_text = format_stored(now)
    rows = Rows(tenant_id=authority.tenant_id, stored=now)
    untimed = {s["id"] for s in statements if "timestamp" not in s}
    for statement in statements:
        statement["stored"] = stored_text
        statement["authority"] = authority.agent
        statement.setdefault("version", "1.0.0")
        statement.setdefault("timestamp", stored_text)
        object_type, object_key, object_ref = _object_columns(statement["object"])
        rows.statements.append(
            {
                "statement_id": statement["id"],
                "verb_id": statement["verb"]["id"],
                "actor_key": display_key(statement["actor"]),
                "object_type": object_type,
                "object_key": object_key,
                "object_ref": object_ref,
                "registration": (statement.get("context") or {}).get("registration", "").lower() or None,
                "voided": statement["id"] in void_targets and statement["verb"]["id"] != VOIDED_VERB,
                "timestamp": parse_timestamp(statement["timestamp"], "timestamp"),
                "payload": statement,
            }
        )
        rows.refs.extend((statement["id"], kind, value, direct) for kind, value, direct in mentions(statement))
    inserted = insert_rows(session, rows)
    others = [s for s in statements if s["id"] not in inserted]
    if others:
        existing: dict[str, dict[str, Any]] = dict(
            session.execute(
                select(Statement.statement_id, Statement.payload).where(
                    Statement.statement_id.in_([s["id"] for s in others])
                )
            ).all()
        )
        for statement in others:
            incoming = {k: v for k, v in statement.items() if k != "timestamp" or statement["id"] not in untimed}
            if not same_statement(existing[statement["id"]], incoming):
                raise StatementConflict(f"statement {statement['id']} already exists with different content")
    if void_targets:
        session.execute(
            update(Statement)
            .where(
                Statement.statement_id.in_(void_targets),
                Statement.verb_id != VOIDED_VERB,
                Statement.tenant_id.is_not_distinct_from(authority.tenant_id),
            )
            .values(voided=True)
        )
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
