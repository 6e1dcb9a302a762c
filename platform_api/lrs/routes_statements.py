"""The Statement resource: PUT, POST (single and batch, JSON or multipart/mixed) and GET."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_api.core.errors import ProblemError
from platform_api.domain.lrs.models import Attachment
from platform_api.lrs.credentials import LRSClient
from platform_api.lrs.formats import accept_languages, render
from platform_api.lrs.http import (
    LRS_PREFIX,
    check_version,
    in_transaction,
    json_response,
    lrs_errors,
    media_type,
    parse_json,
    read_body,
    require_client,
    single_params,
)
from platform_api.lrs.multipart import build_multipart, parse_statement_multipart
from platform_api.lrs.platform_users import PlatformWriter, bearer_user
from platform_api.lrs.query import (
    SINGLE_ALLOWED,
    consistent_through,
    parse_format,
    parse_query,
    run_query,
    single_statement,
)
from platform_api.lrs.store import AttachmentPart, format_stored, store_statements
from platform_api.lrs.validation import check_uuid

router = APIRouter(tags=["xAPI statements"])
Caller = LRSClient | PlatformWriter
AUTH_NOTE = (
    " Authenticate with HTTP Basic LRS credentials, or, as a signed-in platform user (the web app), with "
    "`Authorization: Bearer <access token>`: then every statement's actor must be your own platform account "
    "(`{'account': {'homePage': 'https://pathwise.example', 'name': '<your user id>'}}`, else 403), the "
    "authority is you, voiding is refused, and reads return your own statements only."
)


def caller(request: Request, scope: str) -> Caller:
    """The LRS client (Basic) or the signed-in platform user (Bearer) making the request."""
    check_version(request)
    return bearer_user(request, scope) or require_client(request, scope)


async def _statements_from_request(request: Request) -> tuple[Any, dict[str, AttachmentPart]]:
    kind = media_type(request)
    if kind not in ("application/json", "multipart/mixed"):
        raise ProblemError(400, f"Content-Type must be application/json or multipart/mixed, got {kind or 'none'!r}")
    body = await read_body(request)
    parts: dict[str, AttachmentPart] = {}
    if kind == "multipart/mixed":
        with lrs_errors():
            body, parts = parse_statement_multipart(body, request.headers["content-type"])
    return parse_json(body), parts


@router.post("/statements", summary="Store one statement or a batch", description=AUTH_NOTE.strip())
async def post_statements(request: Request) -> Response:
    client = caller(request, "statements/write")
    if request.query_params:
        raise ProblemError(400, f"POST /statements takes no parameters, got {', '.join(request.query_params)}")
    payload, parts = await _statements_from_request(request)
    if isinstance(payload, dict):
        batch, items = False, [payload]
    elif isinstance(payload, list):
        if not payload:
            raise ProblemError(400, "the statement array is empty")
        batch, items = True, payload
    else:
        raise ProblemError(400, "the body must be a statement object or an array of statements")
    if isinstance(client, PlatformWriter):
        client.check_statements(items, batch=batch)

    def work(session: Session) -> list[str]:
        return store_statements(session, items, client.authority, parts=parts, batch=batch)

    ids = await run_in_threadpool(in_transaction, request, work)
    _wake_relay(request)
    return json_response(ids)


@router.put(
    "/statements",
    summary="Store one statement under the id given in statementId",
    status_code=204,
    description=AUTH_NOTE.strip(),
)
async def put_statement(request: Request) -> Response:
    client = caller(request, "statements/write")
    params = single_params(request)
    if "statementId" not in params:
        raise ProblemError(400, "PUT /statements needs the statementId parameter")
    extra = sorted(set(params) - {"statementId"})
    if extra:
        raise ProblemError(400, f"PUT /statements takes only statementId, got {', '.join(extra)}")
    with lrs_errors():
        statement_id = check_uuid(params["statementId"], "statementId").lower()
    payload, parts = await _statements_from_request(request)
    if not isinstance(payload, dict):
        raise ProblemError(400, "PUT /statements takes a single statement object")
    if "id" in payload and str(payload["id"]).lower() != statement_id:
        raise ProblemError(400, f"statement.id {payload['id']!r} differs from statementId {statement_id!r}")
    payload = {**payload, "id": statement_id}
    if isinstance(client, PlatformWriter):
        client.check_statements([payload])

    def work(session: Session) -> list[str]:
        return store_statements(session, [payload], client.authority, parts=parts)

    await run_in_threadpool(in_transaction, request, work)
    _wake_relay(request)
    return Response(status_code=204)


def _wake_relay(request: Request) -> None:
    relay = request.app.state.relay
    if relay is not None:
        relay.wake()


def _attachment_hashes(statements: list[dict[str, Any]]) -> list[str]:
    hashes: list[str] = []
    for statement in statements:
        for attachment in statement.get("attachments", ()):
            if attachment["sha2"] not in hashes:
                hashes.append(attachment["sha2"])
    return hashes


def _respond(
    request: Request, session: Session, content: Any, statements: list[dict[str, Any]], with_attachments: bool
) -> Response:
    headers = {"X-Experience-API-Consistent-Through": format_stored(consistent_through(session))}
    if len(statements) == 1 and "more" not in content:
        headers["Last-Modified"] = statements[0]["stored"]
    if not with_attachments:
        return json_response(content, headers=headers)
    import orjson

    rows = session.execute(
        select(Attachment.sha2, Attachment.content_type, Attachment.content).where(
            Attachment.sha2.in_(_attachment_hashes(statements))
        )
    ).all()
    body, content_type = build_multipart(
        orjson.dumps(content), [(row.sha2, row.content_type, row.content) for row in rows]
    )
    return Response(body, media_type=content_type, headers=headers)


@router.head("/statements", include_in_schema=False)  # HEAD shares the handler, not the operation id
@router.get("/statements", summary="Fetch one statement or query them", description=AUTH_NOTE.strip())
def get_statements(request: Request) -> Response:
    client = caller(request, "statements/read")
    params = single_params(request)
    settings = request.app.state.settings
    languages = accept_languages(request.headers.get("accept-language"))
    with lrs_errors(), request.app.state.session_factory() as session:
        single_key = next((k for k in ("statementId", "voidedStatementId") if k in params), None)
        if single_key:
            extra = sorted(set(params) - SINGLE_ALLOWED)
            if extra or ("statementId" in params and "voidedStatementId" in params):
                raise ProblemError(
                    400, f"{single_key} may only be combined with format and attachments, got {', '.join(extra)}"
                )
            fmt = parse_format(params)
            with_attachments = params.get("attachments", "false") == "true"
            statement_id = check_uuid(params[single_key], single_key)
            row = single_statement(
                session, statement_id, voided=single_key == "voidedStatementId", tenant_id=client.tenant_id
            )
            if row is not None and isinstance(client, PlatformWriter) and not client.may_see(row.payload):
                row = None  # another person's statement: as if it did not exist
            if row is None:
                raise ProblemError(
                    404, f"no {'voided ' if single_key != 'statementId' else ''}statement {statement_id}"
                )
            statement = render(row.payload, fmt, languages)
            return _respond(request, session, statement, [statement], with_attachments)
        query = parse_query(params)
        if isinstance(client, PlatformWriter):
            query = client.narrow(query)
        statements, more = run_query(session, query, client.tenant_id, settings.lrs_statement_page_limit)
        rendered = [render(s, query.format, languages) for s in statements]
        result = {"statements": rendered, "more": f"{LRS_PREFIX}/statements?more={more}" if more else ""}
        return _respond(request, session, result, rendered, query.attachments)
