"""State, Activity Profile and Agent Profile resources."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from platform_api.core.errors import ProblemError
from platform_api.lrs.documents import (
    DocumentKey,
    delete_documents,
    get_document,
    list_ids,
    post_document,
    put_document,
)
from platform_api.lrs.http import in_transaction, json_response, lrs_errors, read_body, require_client, single_params
from platform_api.lrs.query import parse_agent
from platform_api.lrs.store import format_stored
from platform_api.lrs.validation import check_iri, check_uuid, parse_timestamp

router = APIRouter(tags=["xAPI documents"])


@dataclass(frozen=True)
class Resource:
    kind: str
    id_param: str
    scope: str
    needs_activity: bool
    needs_agent: bool
    allows_registration: bool

    @property
    def params(self) -> set[str]:
        names = {self.id_param, "since"}
        if self.needs_activity:
            names.add("activityId")
        if self.needs_agent:
            names.add("agent")
        if self.allows_registration:
            names.add("registration")
        return names


STATE = Resource("state", "stateId", "state", True, True, True)
ACTIVITY_PROFILE = Resource("activity_profile", "profileId", "profile", True, False, False)
AGENT_PROFILE = Resource("agent_profile", "profileId", "profile", False, True, False)


def _key(request: Request, resource: Resource) -> tuple[DocumentKey, dict[str, str], str | None]:
    client = require_client(request, resource.scope)
    params = single_params(request)
    unknown = sorted(set(params) - resource.params)
    if unknown:
        raise ProblemError(400, f"{unknown[0]!r} is not a parameter of this resource")
    with lrs_errors():
        activity = agent = registration = ""
        if resource.needs_activity:
            if "activityId" not in params:
                raise ProblemError(400, "the activityId parameter is required")
            activity = check_iri(params["activityId"], "activityId")
        if resource.needs_agent:
            if "agent" not in params:
                raise ProblemError(400, "the agent parameter is required")
            agent = parse_agent(params["agent"])
        if "registration" in params:
            registration = check_uuid(params["registration"], "registration").lower()
    key = DocumentKey(resource.kind, client.tenant_id or 0, activity, agent, registration)
    return key, params, params.get(resource.id_param)


def _content_type(request: Request) -> str:
    return request.headers.get("content-type") or "application/octet-stream"


def _document_response(request: Request, resource: Resource) -> Response:
    key, params, doc_id = _key(request, resource)
    with lrs_errors(), request.app.state.session_factory() as session:
        if doc_id is not None:
            if "since" in params:
                raise ProblemError(400, f"since cannot be combined with {resource.id_param}")
            document = get_document(session, key, doc_id)
            if document is None:
                raise ProblemError(404, f"no document {doc_id!r}")
            headers = {"ETag": document.etag, "Last-Modified": format_stored(document.updated)}
            return Response(document.content, media_type=document.content_type, headers=headers)
        since = parse_timestamp(params["since"], "since") if "since" in params else None
        return json_response(list_ids(session, key, since))


async def _write(request: Request, resource: Resource, method: str) -> Response:
    key, _params, doc_id = _key(request, resource)
    if doc_id is None:
        raise ProblemError(400, f"the {resource.id_param} parameter is required to {method} a document")
    content = await read_body(request)
    content_type = _content_type(request)
    if_match, if_none_match = request.headers.get("if-match"), request.headers.get("if-none-match")
    if content_type.split(";")[0].strip().lower() == "application/json" and method == "PUT":
        try:
            orjson.loads(content)
        except orjson.JSONDecodeError as error:
            raise ProblemError(
                400, f"the document is declared application/json but is not valid JSON: {error}"
            ) from None

    def work(session: Session) -> None:
        if method == "PUT":
            put_document(
                session,
                key,
                doc_id,
                content,
                content_type,
                if_match=if_match,
                if_none_match=if_none_match,
                require_precondition=resource.kind != "state",
            )
        else:
            post_document(session, key, doc_id, content, content_type, if_match=if_match, if_none_match=if_none_match)

    await run_in_threadpool(in_transaction, request, work)
    return Response(status_code=204)


def _delete(request: Request, resource: Resource) -> Response:
    key, _params, doc_id = _key(request, resource)
    if doc_id is None and resource.kind != "state":
        raise ProblemError(400, f"the {resource.id_param} parameter is required to DELETE a profile")
    if_match = request.headers.get("if-match")
    in_transaction(request, lambda session: delete_documents(session, key, doc_id, if_match=if_match))
    return Response(status_code=204)


def _routes(path: str, resource: Resource) -> None:
    async def put(request: Request) -> Response:
        return await _write(request, resource, "PUT")

    async def post(request: Request) -> Response:
        return await _write(request, resource, "POST")

    def get(request: Request) -> Response:
        return _document_response(request, resource)

    def delete(request: Request) -> Response:
        return _delete(request, resource)

    name = resource.kind.replace("_", " ")
    router.add_api_route(path, put, methods=["PUT"], status_code=204, summary=f"Store a {name} document")
    router.add_api_route(path, post, methods=["POST"], status_code=204, summary=f"Create or merge a {name} document")
    router.add_api_route(path, get, methods=["GET"], summary=f"Fetch a {name} document or list ids")
    router.add_api_route(path, get, methods=["HEAD"], include_in_schema=False)  # one operation id per method
    router.add_api_route(path, delete, methods=["DELETE"], status_code=204, summary=f"Delete {name} document(s)")


_routes("/activities/state", STATE)
_routes("/activities/profile", ACTIVITY_PROFILE)
_routes("/agents/profile", AGENT_PROFILE)
