"""About, Activities and Agents resources, and the CSV / JSON export for BI tools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from platform_api.core.errors import ProblemError
from platform_api.domain.lrs.models import Statement, StatementRef
from platform_api.lrs.export import export_statements
from platform_api.lrs.http import json_response, lrs_errors, require_client, single_params
from platform_api.lrs.mentions import agent_key, agents_in
from platform_api.lrs.validation import check_iri, parse_timestamp

router = APIRouter(tags=["xAPI resources"])
IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")


@router.head("/about", include_in_schema=False)  # HEAD shares the handler, not the operation id
@router.get("/about", summary="Versions this LRS speaks")
def about() -> Response:
    return json_response({"version": ["1.0.3", "1.0.2", "1.0.1", "1.0.0"], "extensions": {}})


def _definitions_of(statement: dict[str, Any], activity_id: str) -> Iterator[dict[str, Any]]:
    candidates = [statement["object"]]
    if statement["object"].get("objectType") == "SubStatement":
        candidates.append(statement["object"]["object"])
    for entry in ((statement.get("context") or {}).get("contextActivities") or {}).values():
        candidates.extend(entry if isinstance(entry, list) else [entry])
    for activity in candidates:
        if activity.get("id") == activity_id and "definition" in activity:
            yield activity["definition"]


def _mentioning(request: Request, kind: str, value: str, tenant_id: int | None) -> list[dict[str, Any]]:
    """The oldest 500 statements (voided ones too) that mention this activity or agent anywhere."""
    stmt = (
        select(Statement.payload)
        .join(StatementRef, StatementRef.statement_id == Statement.statement_id)
        .where(StatementRef.kind == kind, StatementRef.value == value)
        .order_by(Statement.stored.asc())
        .limit(500)
    )
    if tenant_id is not None:
        stmt = stmt.where(Statement.tenant_id == tenant_id)
    with request.app.state.session_factory() as session:
        return list(session.scalars(stmt))


@router.head("/activities", include_in_schema=False)  # HEAD shares the handler, not the operation id
@router.get("/activities", summary="The full definition of an activity")
def get_activity(request: Request) -> Response:
    client = require_client(request, "statements/read")
    params = single_params(request)
    if set(params) != {"activityId"}:
        raise ProblemError(400, "GET /activities takes exactly one parameter, activityId")
    with lrs_errors():
        activity_id = check_iri(params["activityId"], "activityId")
    payloads = _mentioning(request, "activity", activity_id, client.tenant_id)
    if not payloads:
        raise ProblemError(404, f"no statement mentions activity {activity_id}")
    definition: dict[str, Any] = {}
    for payload in payloads:
        for found in _definitions_of(payload, activity_id):
            for key, value in found.items():
                if isinstance(value, dict) and isinstance(definition.get(key), dict):
                    definition[key] = {**definition[key], **value}
                else:
                    definition[key] = value
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        activity["definition"] = definition
    return json_response(activity)


@router.head("/agents", include_in_schema=False)  # HEAD shares the handler, not the operation id
@router.get("/agents", summary="The Person object for an agent")
def get_agent(request: Request) -> Response:
    """A Person: the given identifier plus every name this LRS has seen with it (xAPI 1.0.3, 2.4).

    Pathwise links no identities across identifiers, so the Person holds one identifier;
    the names come from the stored statements that mention the agent.
    """
    client = require_client(request, "statements/read")
    params = single_params(request)
    if set(params) != {"agent"}:
        raise ProblemError(400, "GET /agents takes exactly one parameter, agent")
    from platform_api.lrs.query import parse_agent

    with lrs_errors():
        key = parse_agent(params["agent"])
    agent = orjson.loads(params["agent"])
    payloads = _mentioning(request, "agent", key, client.tenant_id)
    names = [agent["name"]] if isinstance(agent.get("name"), str) else []
    for payload in payloads:
        for seen in agents_in(payload):
            name = seen.get("name")
            if isinstance(name, str) and name not in names and agent_key(seen) == key:
                names.append(name)
    person: dict[str, Any] = {"objectType": "Person"}
    if names:
        person["name"] = names
    for ifi in IFI_KEYS:
        if ifi in agent:
            person[ifi] = [agent[ifi]]
    return json_response(person)


@router.get("/export", summary="All statements as JSON lines or flattened CSV (for BI tools)")
def export(request: Request) -> StreamingResponse:
    client = require_client(request, "statements/read")
    params = single_params(request)
    unknown = sorted(set(params) - {"since", "format"})
    if unknown:
        raise ProblemError(400, f"{unknown[0]!r} is not a parameter of /export (use since, format)")
    fmt = params.get("format", "json")
    if fmt not in ("csv", "json"):
        raise ProblemError(400, f"format must be csv or json, got {fmt!r}")
    with lrs_errors():
        since = parse_timestamp(params["since"], "since") if "since" in params else None
    factory = request.app.state.session_factory

    def stream() -> Iterator[bytes]:
        with factory() as session:
            yield from export_statements(session, fmt, since=since, tenant_id=client.tenant_id)

    media = "text/csv" if fmt == "csv" else "application/x-ndjson"
    return StreamingResponse(stream(), media_type=media)
