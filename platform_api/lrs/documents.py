"""State, Activity Profile and Agent Profile documents with ETag concurrency and JSON merge."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from platform_api.core.db import utcnow
from platform_api.domain.lrs.models import Document

KINDS = ("state", "activity_profile", "agent_profile")


class DocumentError(Exception):
    """A document request the spec refuses; ``status`` is the HTTP code to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class DocumentKey:
    kind: str
    tenant_key: int = 0
    activity_id: str = ""
    agent_key: str = ""
    registration: str = ""

    def where(self) -> list[ColumnElement[bool]]:
        return [
            Document.kind == self.kind,
            Document.tenant_key == self.tenant_key,
            Document.activity_id == self.activity_id,
            Document.agent_key == self.agent_key,
            Document.registration == self.registration,
        ]


def etag_of(content: bytes) -> str:
    return '"' + hashlib.sha1(content, usedforsecurity=False).hexdigest() + '"'


def is_json(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "application/json"


def get_document(session: Session, key: DocumentKey, doc_id: str) -> Document | None:
    return session.scalar(select(Document).where(*key.where(), Document.doc_id == doc_id))


def list_ids(session: Session, key: DocumentKey, since: datetime | None) -> list[str]:
    stmt = select(Document.doc_id).where(*key.where()).order_by(Document.doc_id)
    if since is not None:
        stmt = stmt.where(Document.updated > since)
    return list(session.scalars(stmt))


def check_preconditions(
    existing: Document | None, if_match: str | None, if_none_match: str | None, *, require: bool
) -> None:
    """ETag rules of xAPI 1.0.3 §3.1 (412 on a failed precondition, 409 on a blind overwrite)."""
    if if_match is not None:
        wanted = {tag.strip() for tag in if_match.split(",")}
        if existing is None or ("*" not in wanted and existing.etag not in wanted):
            raise DocumentError(412, "If-Match does not match the document's current ETag")
    if if_none_match is not None:
        wanted = {tag.strip() for tag in if_none_match.split(",")}
        if existing is not None and ("*" in wanted or existing.etag in wanted):
            raise DocumentError(412, "If-None-Match: the document already exists")
    if require and existing is not None and if_match is None and if_none_match is None:
        raise DocumentError(
            409, "the document exists; send If-Match with its ETag (or If-None-Match: *) to overwrite it"
        )


def put_document(
    session: Session,
    key: DocumentKey,
    doc_id: str,
    content: bytes,
    content_type: str,
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
    require_precondition: bool = False,
) -> Document:
    existing = get_document(session, key, doc_id)
    check_preconditions(existing, if_match, if_none_match, require=require_precondition)
    return _write(session, key, doc_id, existing, content, content_type)


def post_document(
    session: Session,
    key: DocumentKey,
    doc_id: str,
    content: bytes,
    content_type: str,
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> Document:
    """Create the document, or merge a JSON object into an existing JSON object (top-level keys)."""
    existing = get_document(session, key, doc_id)
    check_preconditions(existing, if_match, if_none_match, require=False)
    incoming = None
    if is_json(content_type):
        incoming = _json_object(content, "the posted document")
    if existing is None:
        return _write(session, key, doc_id, None, content, content_type)
    if incoming is None or not is_json(existing.content_type):
        raise DocumentError(400, "POST merges JSON only: both the stored and the posted document must be JSON objects")
    current = _json_object(existing.content, "the stored document")
    current.update(incoming)
    return _write(session, key, doc_id, existing, orjson.dumps(current), "application/json")


def _json_object(content: bytes, what: str) -> dict[str, object]:
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError as error:
        raise DocumentError(400, f"{what} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise DocumentError(400, f"{what} must be a JSON object to be merged")
    return value


def _write(
    session: Session, key: DocumentKey, doc_id: str, existing: Document | None, content: bytes, content_type: str
) -> Document:
    now = utcnow()
    if existing is None:
        existing = Document(
            kind=key.kind,
            tenant_key=key.tenant_key,
            activity_id=key.activity_id,
            agent_key=key.agent_key,
            registration=key.registration,
            doc_id=doc_id,
            content_type=content_type,
            content=content,
            etag=etag_of(content),
            updated=now,
        )
        session.add(existing)
    else:
        existing.content, existing.content_type = content, content_type
        existing.etag, existing.updated = etag_of(content), now
    session.flush()
    return existing


def delete_documents(session: Session, key: DocumentKey, doc_id: str | None, *, if_match: str | None = None) -> None:
    """Delete one document, or (State only, no id) every document under the key."""
    if doc_id is not None:
        existing = get_document(session, key, doc_id)
        check_preconditions(existing, if_match, None, require=False)
        if existing is not None:
            session.delete(existing)
        return
    session.execute(delete(Document).where(*key.where()))
