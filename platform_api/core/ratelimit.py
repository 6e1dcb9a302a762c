"""In-process fixed-window rate limits, per client and per login identity.

Written here rather than taken from a library because it is a dozen lines with no
dependency. Counters live in one process: with several API replicas each enforces its own
share, which is acceptable for abuse protection; lockout (in the database) is the hard stop.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from platform_api.core.errors import problem_response


class RateLimiter:
    def __init__(self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self._clock = limit, window_s, clock
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one request; return None when allowed, else the seconds until the window resets."""
        now = self._clock()
        window = int(now // self.window_s)
        with self._lock:
            if len(self._counts) > 100_000:  # bound memory under a flood of distinct keys
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
            start, count = self._counts.get(key, (window, 0))
            if start != window:
                start, count = window, 0
            count += 1
            self._counts[key] = (start, count)
        if count > self.limit:
            return (window + 1) * self.window_s - now
        return None

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


def client_key(request: HTTPConnection) -> str:
    """The bearer token identifies a client when present, else the peer address."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and len(auth) > 7:
        return "token:" + auth[7:][-32:]
    return "ip:" + (request.client.host if request.client else "unknown")


class RateLimitMiddleware:
    """429 problem+json with ``Retry-After`` once a client exceeds its per-minute budget.

    Pure ASGI rather than ``BaseHTTPMiddleware``: exempt paths (the LRS's batch ingest among
    them) pass straight through without the task and stream plumbing that class adds per request.
    """

    #: Probes, and the LRS, whose machine clients post batches far above a person's request rate.
    DEFAULT_EXEMPT = ("/healthz", "/readyz", "/xAPI")

    def __init__(self, app: ASGIApp, limiter: RateLimiter, exempt: tuple[str, ...] = DEFAULT_EXEMPT) -> None:
        self.app, self.limiter, self.exempt = app, limiter, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(self.exempt):
            retry = self.limiter.hit(client_key(HTTPConnection(scope)))
            if retry is not None:
                response = problem_response(
                    429,
                    f"rate limit of {self.limiter.limit} requests per minute exceeded",
                    instance=scope["path"],
                    headers={"Retry-After": str(math.ceil(retry))},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
