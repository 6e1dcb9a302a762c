"""Plumbing shared by the LRS routes: version header, Basic auth, bounded bodies, error mapping."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
from fastapi import Request, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from platform_api.core.bodies import read_capped
from platform_api.core.errors import ProblemError
from platform_api.lrs.credentials import CredentialCache, LRSClient
from platform_api.lrs.documents import DocumentError
from platform_api.lrs.store import ForeignLearner, StatementConflict
from platform_api.lrs.validation import StatementError

XAPI_VERSION = "1.0.3"
VERSION_HEADER = "X-Experience-API-Version"
SUPPORTED_VERSION = re.compile(r"^1\.0(\.[0-3])?$")
LRS_PREFIX = "/xAPI"


class VersionHeaderMiddleware:
    """Adds ``X-Experience-API-Version`` to every LRS response, errors included (pure ASGI: cheap)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LRS_PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-experience-api-version", b"1.0.3")]
            await send(message)

        await self.app(scope, receive, send_with_version)


def check_version(request: Request) -> None:
    version = request.headers.get(VERSION_HEADER)
    if version is None:
        raise ProblemError(400, f"the {VERSION_HEADER} header is required (use {XAPI_VERSION})")
    if not SUPPORTED_VERSION.match(version.strip()):
        raise ProblemError(400, f"{VERSION_HEADER} {version!r} is not supported; this LRS speaks {XAPI_VERSION}")


def require_client(request: Request, scope: str) -> LRSClient:
    """Check the version header and Basic credentials; 400 / 401 / 403 with the reason."""
    check_version(request)
    cache: CredentialCache = request.app.state.lrs_credentials
    client = cache.resolve(request.headers.get("authorization"))
    if client is None:
        raise ProblemError(
            401, "valid HTTP Basic LRS credentials are required", headers={"WWW-Authenticate": 'Basic realm="xAPI"'}
        )
    if not client.can(scope):
        raise ProblemError(403, f"these credentials lack the {scope!r} scope")
    return client


async def read_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it passes the configured limit."""
    return await read_capped(request, request.app.state.settings.lrs_max_body_bytes)


def parse_json(body: bytes, what: str = "the body") -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ProblemError(400, f"{what} is not valid JSON: {error}") from None


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json", headers=headers)


def single_params(request: Request) -> dict[str, str]:
    """Query parameters; a repeated parameter is an error rather than a silent pick."""
    params: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in params:
            raise ProblemError(400, f"parameter {name!r} is given more than once")
        params[name] = value
    return params


@contextmanager
def lrs_errors() -> Iterator[None]:
    """Map domain errors to problem+json with the precise reason."""
    try:
        yield
    except StatementError as error:
        raise ProblemError(400, str(error), title="Invalid xAPI request") from None
    except StatementConflict as error:
        raise ProblemError(409, str(error)) from None
    except ForeignLearner as error:
        raise ProblemError(403, str(error), title="Learner outside this organization") from None
    except DocumentError as error:
        raise ProblemError(error.status, error.message) from None
    except IntegrityError:
        raise ProblemError(409, "a concurrent request stored the same id first; retry to compare") from None
    except (DataError, psycopg.DataError) as error:
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        raise ProblemError(400, f"the database cannot store this content: {reason}") from None


def in_transaction(request: Request, work: Callable[[Any], Any]) -> Any:
    """Run ``work(session)`` in one transaction (commit on success, roll back on any error)."""
    from platform_api.core.db import transaction

    with lrs_errors(), transaction(request.app.state.session_factory) as session:
        return work(session)
