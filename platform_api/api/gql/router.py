"""The ``/graphql`` HTTP endpoint: POST only, behind the same bearer-token gate as REST."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Response
from fastapi.routing import APIRoute
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse

from platform_api.api.deps import SessionDep, permit
from platform_api.api.gql.guard import GraphQLContext, http_status
from platform_api.api.gql.schema import build_schema
from platform_api.core.config import APISettings
from platform_api.domain.access.authz import Principal


def get_context(session: SessionDep, principal: Annotated[Principal, permit("self:read")]) -> GraphQLContext:
    """Anonymous or bad tokens get the REST 401 problem before any GraphQL runs."""
    return GraphQLContext(session=session, principal=principal)


class PathwiseGraphQLRouter(GraphQLRouter[GraphQLContext, None]):
    """Answers with the status of the failure when no root field produced data (400, 403, 404, 422)."""

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        if isinstance(response_data, dict):
            sub_response.status_code = http_status(dict[str, Any](response_data))
        return super().create_response(response_data, sub_response)


def build_router(settings: APISettings) -> PathwiseGraphQLRouter:
    """POST only: no GraphiQL page (it loads scripts from a CDN), no GET, no subscriptions (``/ws`` does that)."""
    router = PathwiseGraphQLRouter(
        build_schema(settings.graphql_max_depth, settings.graphql_max_complexity),
        path="/graphql",
        graphql_ide=None,
        allow_queries_via_get=False,
        context_getter=get_context,
        include_in_schema=False,
    )
    router.routes = [r for r in router.routes if isinstance(r, APIRoute) and "POST" in (r.methods or ())]
    return router
