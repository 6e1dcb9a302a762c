"""Liveness and readiness probes (Kubernetes-style)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from pathwise import __version__
from pathwise.logs import get_logger
from platform_api.core.errors import problem_response
from platform_api.core.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])
log = get_logger(__name__)


@router.get("/healthz", summary="Liveness: the process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get(
    "/readyz",
    summary="Readiness: the database answers and its schema is migrated",
    responses={503: {"content": {"application/problem+json": {}}, "description": "Not ready"}},
)
def readyz(request: Request) -> Any:
    state = request.app.state
    started = time.perf_counter()
    try:
        with state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(state.engine)
    except Exception as error:  # any driver error means "not ready", never a crash
        _log_transition(state, ready=False, reason=f"{type(error).__name__}: {str(error).splitlines()[0]}")
        return problem_response(503, "database unreachable", title="Not ready", checks={"database": "down"})
    head = head_revision(state.settings.db_url)
    if revision != head:
        _log_transition(state, ready=False, reason=f"schema at {revision}, expected {head}")
        return problem_response(
            503,
            f"database schema at {revision}, expected {head}; run 'pathwise db upgrade'",
            title="Not ready",
            checks={"database": "ok", "schema": "behind"},
        )
    _log_transition(state, ready=True, reason="ok")
    elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    return JSONResponse({"status": "ready", "checks": {"database": "ok", "schema": revision}, "latency_ms": elapsed_ms})


def _log_transition(state: Any, *, ready: bool, reason: str) -> None:
    """Log readiness changes once rather than on every probe, so an outage is one clear line."""
    if getattr(state, "ready", None) != ready:
        (log.info if ready else log.error)("readiness changed", ready=ready, reason=reason)
    state.ready = ready
