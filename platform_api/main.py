"""FastAPI application factory for the platform API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from pathwise import __version__
from platform_api.api.routes import health
from platform_api.core.config import APISettings
from platform_api.core.db import make_engine, make_session_factory
from platform_api.core.errors import install_problem_handlers
from platform_api.events.backbone import make_relay
from platform_api.lrs.alternate import AlternateRequestSyntax
from platform_api.lrs.credentials import CredentialCache
from platform_api.lrs.http import VersionHeaderMiddleware
from platform_api.lrs.router import build_router


def create_app(settings: APISettings | None = None) -> FastAPI:
    """Build the app; the engine is created here and disposed on shutdown, never at import."""
    settings = settings or APISettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        relay = None
        if settings.events_relay:
            relay = make_relay(settings, app.state.session_factory)
            relay.start()
        app.state.relay = relay
        yield
        if relay is not None:
            relay.stop()
        app.state.engine.dispose()

    app = FastAPI(
        title="Pathwise platform API",
        version=__version__,
        description="Courses, users, grading and learner records around the Pathwise models.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_engine(
        settings.db_url, pool_size=settings.db_pool_size, connect_timeout_s=settings.db_connect_timeout_s
    )
    app.state.session_factory = make_session_factory(app.state.engine)
    app.state.lrs_credentials = CredentialCache(app.state.session_factory)
    app.state.relay = None
    install_problem_handlers(app)
    app.add_middleware(AlternateRequestSyntax)
    app.add_middleware(VersionHeaderMiddleware)
    app.include_router(health.router)
    app.include_router(build_router())
    return app


def app_from_env() -> FastAPI:
    """Factory for multi-worker uvicorn (``--factory``): each worker reads settings from the environment."""
    return create_app(APISettings())
