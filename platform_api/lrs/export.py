"""Statements for BI tools: JSON lines or a flattened CSV, streamed in stored order."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_api.domain.lrs.models import Statement

CSV_COLUMNS = [
    "id",
    "stored",
    "timestamp",
    "actor",
    "actor_name",
    "verb",
    "verb_display",
    "object_type",
    "object_id",
    "object_name",
    "object_activity_type",
    "result_success",
    "result_completion",
    "result_score_scaled",
    "result_score_raw",
    "result_score_min",
    "result_score_max",
    "result_response",
    "result_duration",
    "registration",
    "context_parent",
    "context_grouping",
    "context_category",
    "voided",
]


def _first(mapping: dict[str, Any] | None) -> str:
    if not mapping:
        return ""
    return str(mapping.get("en-US") or mapping.get("en") or next(iter(mapping.values())))


def _context_ids(context: dict[str, Any], key: str) -> str:
    entry = (context.get("contextActivities") or {}).get(key)
    if entry is None:
        return ""
    return " ".join(a["id"] for a in (entry if isinstance(entry, list) else [entry]))


def flatten(statement: dict[str, Any], actor_key: str, voided: bool) -> dict[str, Any]:
    """One CSV row per statement: the fields analysts filter and group on."""
    obj = statement["object"]
    definition = obj.get("definition") or {}
    result = statement.get("result") or {}
    score = result.get("score") or {}
    context = statement.get("context") or {}
    return {
        "id": statement["id"],
        "stored": statement["stored"],
        "timestamp": statement.get("timestamp", ""),
        "actor": actor_key,
        "actor_name": statement["actor"].get("name", ""),
        "verb": statement["verb"]["id"],
        "verb_display": _first(statement["verb"].get("display")),
        "object_type": obj.get("objectType", "Activity"),
        "object_id": obj.get("id", ""),
        "object_name": _first(definition.get("name")),
        "object_activity_type": definition.get("type", ""),
        "result_success": result.get("success", ""),
        "result_completion": result.get("completion", ""),
        "result_score_scaled": score.get("scaled", ""),
        "result_score_raw": score.get("raw", ""),
        "result_score_min": score.get("min", ""),
        "result_score_max": score.get("max", ""),
        "result_response": result.get("response", ""),
        "result_duration": result.get("duration", ""),
        "registration": context.get("registration", ""),
        "context_parent": _context_ids(context, "parent"),
        "context_grouping": _context_ids(context, "grouping"),
        "context_category": _context_ids(context, "category"),
        "voided": voided,
    }


def _rows(session: Session, since: datetime | None, tenant_id: int | None, chunk: int) -> Iterator[Any]:
    stmt = select(Statement.payload, Statement.actor_key, Statement.voided).order_by(Statement.seq)
    if since is not None:
        stmt = stmt.where(Statement.stored > since)
    if tenant_id is not None:
        stmt = stmt.where(Statement.tenant_id == tenant_id)
    yield from session.execute(stmt.execution_options(yield_per=chunk))


def export_statements(
    session: Session, fmt: str, *, since: datetime | None = None, tenant_id: int | None = None, chunk: int = 1000
) -> Iterator[bytes]:
    """Yield the export in pieces: ``json`` is one statement per line, ``csv`` has a header row."""
    if fmt == "json":
        for row in _rows(session, since, tenant_id, chunk):
            yield orjson.dumps(row.payload) + b"\n"
        return
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}; use csv or json")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for count, row in enumerate(_rows(session, since, tenant_id, chunk), start=1):
        writer.writerow(flatten(row.payload, row.actor_key, row.voided))
        if count % chunk == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
