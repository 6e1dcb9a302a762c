"""Authorization and error shapes for GraphQL, built on the REST gate.

:class:`Allowed` runs exactly the decision of :class:`platform_api.api.deps.Permit`, so a
field is visible to the same people as the REST route that returns the same data. Errors
carry ``extensions.code`` and ``extensions.status`` (the HTTP status REST would answer).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from graphql import GraphQLError
from pydantic import ValidationError
from sqlalchemy.orm import Session
from strawberry.extensions import SchemaExtension
from strawberry.fastapi import BaseContext
from strawberry.permission import BasePermission
from strawberry.types import Info

from pathwise.logs import get_logger
from platform_api.api.deps import Permit, forbidden
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal

log = get_logger(__name__)


@dataclass
class GraphQLContext(BaseContext):
    session: Session
    principal: Principal

    def __post_init__(self) -> None:
        super().__init__()


def context_of(info: Info) -> GraphQLContext:
    ctx: GraphQLContext = info.context
    return ctx


def authorize(info: Info, permission: str, on: str = "any", ident: int | None = None) -> None:
    """Raise the 403 (or, for a target outside the tenant, 404) problem unless permitted."""
    ctx = context_of(info)
    if not Permit(permission, on).allows(ctx.session, ctx.principal, ident):
        raise forbidden(permission)


class Allowed(BasePermission):
    """Field permission: ``permission`` over the target named by argument ``arg`` or the parent's id."""

    def __init__(self, permission: str, on: str = "any", arg: str | None = None) -> None:
        self.permission, self.on, self.arg = permission, on, arg

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        ident = None
        if self.on not in {"any", "tenant"}:
            ident = kwargs[self.arg] if self.arg else source.id
        authorize(info, self.permission, self.on, ident)
        return True


def _code(status: int) -> str:
    return HTTPStatus(status).phrase.upper().replace(" ", "_")


def _shape(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    extensions = dict(error.extensions or {})
    if isinstance(original, ProblemError):
        extensions.update(original.extra, code=_code(original.status), status=original.status)
    elif isinstance(original, ValidationError):
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in original.errors())
        return GraphQLError(detail, error.nodes, path=error.path, extensions={"code": _code(422), "status": 422})
    elif original is not None and not isinstance(original, GraphQLError):
        log.error("graphql resolver failed", path=error.path, exc_info=original)
        return GraphQLError(
            "internal error; see the server log",
            error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "status": 500},
        )
    elif error.path is None:  # parse and validation errors, depth and cost limits among them
        extensions.update(code="GRAPHQL_VALIDATION_FAILED", status=400)
    error.extensions = extensions
    return error


class ProblemCodes(SchemaExtension):
    """Give every error a code and status; hide unexpected exceptions behind a generic message."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [_shape(e) for e in result.errors]


def http_status(response: dict[str, Any]) -> int:
    """200 when any root field produced data, else the status of the first error (GraphQL over HTTP)."""
    data, errors = response.get("data"), response.get("errors")
    if not errors or (data and any(v is not None for v in data.values())):
        return 200
    status = (errors[0].get("extensions") or {}).get("status", 400)
    return int(status)
