"""xAPI "Alternate Request Syntax" (1.0.3 §1.3): a form POST with ``?method=`` standing in for any verb.

Browsers without CORS support send headers, parameters and content as form fields; this
ASGI middleware rewrites such a request into the ordinary one before routing, so every
resource supports it without knowing.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from platform_api.core.bodies import replay_body
from platform_api.core.errors import problem_response

#: Form fields that become headers (the spec's list); every other field is a parameter.
HEADER_FIELDS = {
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
}
FORM = "application/x-www-form-urlencoded"
METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD"}


class AlternateRequestSyntax:
    def __init__(self, app: ASGIApp, prefix: str = "/xAPI") -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True)
        if not any(name == "method" for name, _ in query):
            await self.app(scope, receive, send)
            return
        problem = await self._rewrite(scope, receive, send, query)
        if problem is not None:
            await problem(scope, receive, send)

    async def _rewrite(
        self, scope: Scope, receive: Receive, send: Send, query: list[tuple[str, str]]
    ) -> Response | None:
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if len(query) != 1:
            return problem_response(400, "with the alternate request syntax, 'method' must be the only query parameter")
        method = query[0][1].upper()
        if method not in METHODS:
            return problem_response(400, f"method={query[0][1]!r} is not an HTTP method the LRS supports")
        if not headers.get("content-type", "").startswith(FORM):
            return problem_response(400, f"the alternate request syntax needs Content-Type {FORM}")
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        fields = parse_qsl(body.decode(), keep_blank_values=True)
        new_headers = {k: v for k, v in headers.items() if k not in ("content-type", "content-length")}
        params: list[tuple[str, str]] = []
        content = b""
        for name, value in fields:
            if name.lower() in HEADER_FIELDS:
                new_headers[name.lower()] = value
            elif name == "content":
                content = value.encode()
            else:
                params.append((name, value))
        new_headers["content-length"] = str(len(content))
        if content and "content-type" not in new_headers:
            new_headers["content-type"] = "application/json"
        rewritten = dict(scope)
        rewritten["method"] = method
        rewritten["query_string"] = urlencode(params).encode()
        rewritten["headers"] = [(k.encode(), v.encode()) for k, v in new_headers.items()]
        await self.app(rewritten, replay_body(content, receive), send)
        return None
