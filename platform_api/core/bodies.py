"""Request bodies read under a byte cap, so that an oversize body is refused before anything parses it.

The LRS reads its bodies through :func:`read_capped`; JSON routes whose pydantic body could
be large (learners' answers) use :func:`capped_body_route`, which reads the body the same
way before FastAPI parses and validates it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.types import Message, Receive

from platform_api.core.errors import ProblemError

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def too_large(detail: str, limit: int) -> ProblemError:
    return ProblemError(413, f"{detail}; at most {limit} bytes are accepted", max_bytes=limit)


async def read_capped(request: Request, limit: int, what: str = "the body") -> bytes:
    """The request body, refused with 413 on a declared length over ``limit`` or as soon as
    the streamed bytes pass it (a chunked body declares nothing)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large(f"{what} is {declared} bytes", limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(f"{what} is over the limit", limit)
        chunks.append(chunk)
    return b"".join(chunks)


def capped_body_route(setting: str, what: str = "the body") -> type[APIRoute]:
    """An :class:`APIRoute` whose body is read with :func:`read_capped` (limit: the API setting
    named ``setting``) before FastAPI parses it, and before authentication or any database work."""

    class CappedBodyRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def capped(request: Request) -> Response:
                limit: int = getattr(request.app.state.settings, setting)
                body = await read_capped(request, limit, what)
                return await handler(Request(request.scope, replay_body(body, request.receive)))

            return capped

    CappedBodyRoute.__name__ = CappedBodyRoute.__qualname__ = f"CappedBodyRoute[{setting}]"
    return CappedBodyRoute


def capped_post(
    router: APIRouter, path: str, *, setting: str, what: str, **options: Any
) -> Callable[[Endpoint], Endpoint]:
    """Like ``@router.post(path, **options)``, with the body capped by the API setting ``setting``."""
    route_class = capped_body_route(setting, what)

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(path, endpoint, methods=["POST"], route_class_override=route_class, **options)
        return endpoint

    return register


def replay_body(body: bytes, then: Receive) -> Receive:
    """An ASGI ``receive`` that hands over the body already read, then passes on what
    ``then`` receives (a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await then()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
