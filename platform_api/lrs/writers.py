"""The one dialect-specific step of storing statements: inserting the new rows.

On PostgreSQL a single SQL statement inserts the statements, their mention rows and the
request's one outbox row from two JSON documents (statement rows as objects, mention rows as
arrays, written straight from the tuples): one round trip, one plan
(prepared after a few runs), no per-row work in the driver, and ``ON CONFLICT DO NOTHING``
reports which ids were new. Everywhere else (SQLite) SQLAlchemy Core ``executemany`` does it.

Both writers give a freshly inserted statement ``voided = true`` when a voiding statement
for it is already stored, so a voiding statement may arrive before its target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pathwise.contract.stream import STATEMENT_EVENT
from platform_api.domain.lrs.models import Statement, StatementRef
from platform_api.events.outbox import emit_statements
from platform_api.lrs.validation import VOIDED_VERB


@dataclass
class Rows:
    """Column values of the statements to insert, in request order, plus their mention rows."""

    tenant_id: int | None
    stored: datetime
    statements: list[dict[str, Any]] = field(default_factory=list)
    refs: list[tuple[str, str, str, bool]] = field(default_factory=list)


def insert_rows(session: Session, rows: Rows) -> set[str]:
    """Insert statements not stored yet (with refs and outbox rows); return the ids inserted."""
    if session.get_bind().dialect.name == "postgresql":
        return _insert_postgresql(session, rows)
    return _insert_generic(session, rows)


_PG_INSERT = """
WITH input AS (
    SELECT * FROM ROWS FROM (jsonb_to_recordset(%(statements)s::jsonb) AS (
        statement_id text, verb_id text, actor_key text, object_type text, object_key text, object_ref text,
        registration text, voided bool, "timestamp" timestamptz, payload jsonb
    )) WITH ORDINALITY AS u(statement_id, verb_id, actor_key, object_type, object_key, object_ref,
                            registration, voided, "timestamp", payload, ord)
), inserted AS (
    INSERT INTO lrs_statements (statement_id, tenant_id, verb_id, actor_key, object_type, object_key,
                                object_ref, registration, voided, "timestamp", stored, payload)
    SELECT i.statement_id, %(tenant)s, i.verb_id, i.actor_key, i.object_type, i.object_key, i.object_ref,
           i.registration,
           i.voided OR (i.verb_id <> %(voided_verb)s AND EXISTS (
               SELECT 1 FROM lrs_statements v
               WHERE v.object_ref = i.statement_id AND v.verb_id = %(voided_verb)s
                 AND v.tenant_id IS NOT DISTINCT FROM %(tenant)s)),
           i."timestamp", %(stored)s, i.payload
    FROM input i ORDER BY i.ord
    ON CONFLICT (statement_id) DO NOTHING
    RETURNING statement_id
), refs AS (
    INSERT INTO lrs_statement_refs (statement_id, kind, value, direct)
    SELECT r ->> 0, r ->> 1, r ->> 2, (r -> 3)::bool FROM jsonb_array_elements(%(refs)s::jsonb) AS r
    WHERE r ->> 0 IN (SELECT statement_id FROM inserted)
), outbox AS (
    INSERT INTO event_outbox (type, key, payload, created_at)
    SELECT %(event_type)s, (array_agg(i.statement_id ORDER BY i.ord))[1],
           jsonb_build_object('statement_ids', jsonb_agg(i.statement_id ORDER BY i.ord)), %(stored)s
    FROM input i WHERE i.statement_id IN (SELECT statement_id FROM inserted)
    HAVING count(*) > 0
)
SELECT statement_id FROM inserted
"""


def _insert_postgresql(session: Session, rows: Rows) -> set[str]:
    """Rows travel as two JSON documents: one orjson call each here, parsed once by the server."""
    params = {
        "statements": orjson.dumps(rows.statements).decode(),
        "refs": orjson.dumps(rows.refs).decode(),  # [statement_id, kind, value, direct] arrays
        "tenant": rows.tenant_id,
        "stored": rows.stored,
        "voided_verb": VOIDED_VERB,
        "event_type": STATEMENT_EVENT,
    }
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(_PG_INSERT, params)
        return {row[0] for row in cursor.fetchall()}


def _insert_generic(session: Session, rows: Rows) -> set[str]:
    ids = [row["statement_id"] for row in rows.statements]
    known = set(session.scalars(select(Statement.statement_id).where(Statement.statement_id.in_(ids))))
    fresh = [
        {**row, "tenant_id": rows.tenant_id, "stored": rows.stored}
        for row in rows.statements
        if row["statement_id"] not in known
    ]
    if not fresh:
        return set()
    inserted = {row["statement_id"] for row in fresh}
    session.execute(insert(Statement), fresh)
    refs = [
        {"statement_id": sid, "kind": kind, "value": value, "direct": direct}
        for sid, kind, value, direct in rows.refs
        if sid in inserted
    ]
    if refs:
        session.execute(insert(StatementRef), refs)
    emit_statements(session, [row["statement_id"] for row in fresh])
    voided_already = session.scalars(
        select(Statement.object_ref).where(
            Statement.object_ref.in_(inserted),
            Statement.verb_id == VOIDED_VERB,
            Statement.tenant_id.is_not_distinct_from(rows.tenant_id),
        )
    ).all()
    if voided_already:
        session.execute(
            update(Statement)
            .where(Statement.statement_id.in_(voided_already), Statement.verb_id != VOIDED_VERB)
            .values(voided=True)
        )
    return inserted
