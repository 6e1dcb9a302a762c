"""GET /statements: parse the filter parameters, run them in SQL, page with ``more`` tokens.

Filters other than time and limit also match statements that point (StatementRef) at a
matching statement, as the spec requires; that is a recursive CTE over ``object_ref``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Select, and_, exists, or_, select, text
from sqlalchemy.orm import Session

from platform_api.domain.lrs.models import Statement, StatementRef
from platform_api.lrs.mentions import agent_key
from platform_api.lrs.validation import StatementError, check_actor, check_iri, check_uuid, parse_timestamp

QUERY_PARAMS = frozenset(
    {
        "statementId",
        "voidedStatementId",
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
        "more",
    }
)
SINGLE_ALLOWED = frozenset({"statementId", "voidedStatementId", "format", "attachments"})
FORMATS = ("exact", "ids", "canonical")


@dataclass
class StatementQuery:
    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: str | None = None
    until: str | None = None
    limit: int = 0
    ascending: bool = False
    format: str = "exact"
    attachments: bool = False
    after_stored: str | None = None
    after_seq: int | None = None

    def encode(self, stored: datetime, seq: int) -> str:
        state = {k: v for k, v in asdict(self).items() if v not in (None, False, 0, "exact")}
        state["after_stored"], state["after_seq"] = stored.isoformat(), seq
        return base64.urlsafe_b64encode(orjson.dumps(state)).decode().rstrip("=")


def _bool(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise StatementError(name, f"must be 'true' or 'false', got {value!r}")
    return value == "true"


def parse_format(params: Mapping[str, str]) -> str:
    fmt = params.get("format", "exact")
    if fmt not in FORMATS:
        raise StatementError("format", f"must be one of exact, ids, canonical, got {fmt!r}")
    return fmt


def parse_agent(raw: str, name: str = "agent") -> str:
    """An Agent or identified Group given as JSON, reduced to its canonical key."""
    try:
        agent = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise StatementError(name, f"is not valid JSON: {error}") from None
    check_actor(agent, name)
    key = agent_key(agent)
    if key is None:
        raise StatementError(name, "must identify an Agent or Group (mbox, mbox_sha1sum, openid or account)")
    return key


def parse_query(params: Mapping[str, str]) -> StatementQuery:
    """Turn request parameters into a query; bad values raise :class:`StatementError`."""
    unknown = sorted(set(params) - QUERY_PARAMS)
    if unknown:
        raise StatementError(unknown[0], "is not a parameter of the Statement resource")
    if "more" in params:
        try:
            padded = params["more"] + "=" * (-len(params["more"]) % 4)
            state = orjson.loads(base64.urlsafe_b64decode(padded))
            return StatementQuery(**state)
        except (ValueError, TypeError):
            raise StatementError("more", "is not a token this LRS issued") from None
    query = StatementQuery(format=parse_format(params))
    if "agent" in params:
        query.agent = parse_agent(params["agent"])
    if "verb" in params:
        query.verb = check_iri(params["verb"], "verb")
    if "activity" in params:
        query.activity = check_iri(params["activity"], "activity")
    if "registration" in params:
        query.registration = check_uuid(params["registration"], "registration").lower()
    for name in ("since", "until"):
        if name in params:
            setattr(query, name, parse_timestamp(params[name], name).astimezone(UTC).isoformat())
    if "limit" in params:
        if not params["limit"].isdigit():
            raise StatementError("limit", f"must be a non-negative integer, got {params['limit']!r}")
        query.limit = int(params["limit"])
    query.related_activities = _bool(params, "related_activities")
    query.related_agents = _bool(params, "related_agents")
    query.ascending = _bool(params, "ascending")
    query.attachments = _bool(params, "attachments")
    return query


def _mention(kind: str, value: str, related: bool) -> Any:
    condition = [StatementRef.statement_id == Statement.statement_id, StatementRef.kind == kind]
    condition.append(StatementRef.value == value)
    if not related:
        condition.append(StatementRef.direct.is_(True))
    return exists().where(*condition)


def build_select(query: StatementQuery, tenant_id: int | None) -> Select[Any]:
    filters = []
    if query.agent:
        filters.append(_mention("agent", query.agent, query.related_agents))
    if query.activity:
        filters.append(_mention("activity", query.activity, query.related_activities))
    if query.verb:
        filters.append(Statement.verb_id == query.verb)
    if query.registration:
        filters.append(Statement.registration == query.registration)
    stmt = select(Statement.payload, Statement.stored, Statement.seq, Statement.statement_id)
    if filters:
        base = select(Statement.statement_id).where(*filters)
        if tenant_id is not None:
            base = base.where(Statement.tenant_id == tenant_id)
        matched = base.cte("matched", recursive=True)
        referring = select(Statement.statement_id).join(matched, Statement.object_ref == matched.c.statement_id)
        matched = matched.union(referring)
        stmt = stmt.where(Statement.statement_id.in_(select(matched.c.statement_id)))
    stmt = stmt.where(Statement.voided.is_(False))
    if tenant_id is not None:
        stmt = stmt.where(Statement.tenant_id == tenant_id)
    if query.since:
        stmt = stmt.where(Statement.stored > datetime.fromisoformat(query.since))
    if query.until:
        stmt = stmt.where(Statement.stored <= datetime.fromisoformat(query.until))
    if query.after_stored is not None and query.after_seq is not None:
        after = datetime.fromisoformat(query.after_stored)
        if query.ascending:
            stmt = stmt.where(
                or_(Statement.stored > after, and_(Statement.stored == after, Statement.seq > query.after_seq))
            )
        else:
            stmt = stmt.where(
                or_(Statement.stored < after, and_(Statement.stored == after, Statement.seq < query.after_seq))
            )
    if query.ascending:
        return stmt.order_by(Statement.stored.asc(), Statement.seq.asc())
    return stmt.order_by(Statement.stored.desc(), Statement.seq.desc())


def run_query(
    session: Session, query: StatementQuery, tenant_id: int | None, max_limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of statements and the ``more`` token for the next page (None when done)."""
    limit = min(query.limit or max_limit, max_limit)
    rows = session.execute(build_select(query, tenant_id).limit(limit + 1)).all()
    page = rows[:limit]
    more = query.encode(page[-1].stored, page[-1].seq) if len(rows) > limit else None
    return [row.payload for row in page], more


def single_statement(session: Session, statement_id: str, *, voided: bool, tenant_id: int | None) -> Any:
    stmt = select(Statement).where(Statement.statement_id == statement_id.lower(), Statement.voided.is_(voided))
    if tenant_id is not None:
        stmt = stmt.where(Statement.tenant_id == tenant_id)
    return session.scalars(stmt).one_or_none()


_OLDEST_OPEN_TRANSACTION = text(
    "SELECT least(clock_timestamp(), min(xact_start)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
)


def consistent_through(session: Session) -> datetime:
    """The instant before which every statement is already visible to queries.

    A statement's ``stored`` is its transaction's start on PostgreSQL, so no statement still
    to commit can have a ``stored`` earlier than the oldest transaction open now. SQLite
    has one writer at a time and commits before it answers, so there it is simply now.
    """
    if session.get_bind().dialect.name != "postgresql":
        return datetime.now(UTC)
    moment: datetime = session.execute(_OLDEST_OPEN_TRANSACTION).scalar_one()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
