"""The LRS as one router, mounted by ``create_app`` at ``/xAPI``."""

from __future__ import annotations

from fastapi import APIRouter

from platform_api.lrs import routes_documents, routes_misc, routes_statements
from platform_api.lrs.http import LRS_PREFIX


def build_router() -> APIRouter:
    router = APIRouter(prefix=LRS_PREFIX)
    router.include_router(routes_statements.router)
    router.include_router(routes_documents.router)
    router.include_router(routes_misc.router)
    return router
