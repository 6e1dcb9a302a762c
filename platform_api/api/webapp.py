"""The web application (``web/dist``, built by ``make web``) served at ``/`` on the API's own origin.

Same origin means the app needs no CORS and its refresh cookie stays first-party. Paths the API owns
never fall through to the app: an unknown ``/v1/…`` answers a problem, not a page. Any other path the
build does not hold answers the app's shell, so a reload on ``/learn/…`` draws the page the app's router
knows. Hashed assets are cached for a year; the shell, the manifest and the service worker never are,
so a new build reaches browsers on their next visit.
"""

from __future__ import annotations

from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import FileResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from platform_api.core.errors import problem_response

#: What the API answers itself; a miss there is the API's 404, never the app's shell.
API_PREFIXES = ("/v1/", "/xAPI", "/graphql", "/ws", "/healthz", "/readyz", "/docs", "/redoc", "/openapi.json")
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
#: A copy of the checkout's build for a development install (``pip install -e``).
DEFAULT_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


class WebApp:
    """Serve files from ``dist`` with the shell as the fallback for the app's own routes."""

    def __init__(self, dist: Path) -> None:
        self.dist = dist.resolve()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.respond(scope)
        await response(scope, receive, send)

    def respond(self, scope: Scope) -> Response:
        path: str = scope["path"]
        if scope["type"] != "http":
            return problem_response(404, "There is nothing at this address.")
        if path.startswith(API_PREFIXES) or path.rstrip("/") in {p.rstrip("/") for p in API_PREFIXES}:
            return problem_response(404, f"The API has no resource at {path}.", instance=path)
        if scope["method"] not in {"GET", "HEAD"}:
            return problem_response(405, "The web app's pages are only read (GET).", headers={"Allow": "GET, HEAD"})
        shell = self.dist / "index.html"
        if not shell.is_file():
            return problem_response(
                503, "The web app is not built on this server: run `make web` (or `make up`) to build it."
            )
        wanted = (self.dist / path.lstrip("/")).resolve()
        if wanted != self.dist and wanted.is_relative_to(self.dist) and wanted.is_file():
            cache = IMMUTABLE if wanted.parent.name == "assets" else NO_CACHE
            return FileResponse(wanted, headers={"Cache-Control": cache})
        if Path(path).suffix and not path.endswith(".html"):
            return problem_response(404, f"The web app has no file {path}.", instance=path)
        return FileResponse(shell, headers={"Cache-Control": NO_CACHE})


def web_app(dist: Path | None) -> ASGIApp:
    """The app, gzipped on the way out (the entry bundle's budget is counted compressed)."""
    return GZipMiddleware(WebApp(dist or DEFAULT_DIST), minimum_size=1024)
