"""FastAPI application factory for the platform API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from pathwise import __version__
from pathwise.logs import get_logger
from pathwise.service_auth import resolve_secret
from platform_api.api import ws
from platform_api.api.gql.router import build_router as build_graphql_router
from platform_api.api.routes import (
    analytics,
    assessments,
    assignments,
    attempts,
    auth,
    cohorts,
    content,
    courses,
    enrollments,
    guardians,
    health,
    items,
    learners,
    lrs_credentials,
    media,
    ml,
    org_units,
    preferences,
    publishing,
    recommendations,
    review,
    rules,
    session,
    skills,
    sso,
    sync,
    users,
)
from platform_api.api.webapp import web_app
from platform_api.core.config import APISettings
from platform_api.core.db import make_engine, make_session_factory
from platform_api.core.errors import UnhandledErrorMiddleware, install_problem_handlers
from platform_api.core.heap import settle_heap
from platform_api.core.ratelimit import RateLimiter, RateLimitMiddleware
from platform_api.domain.identity.sms import load_sender
from platform_api.events import platform as events
from platform_api.events.backbone import make_relay
from platform_api.events.relay import Forwarder, Relay
from platform_api.lrs.alternate import AlternateRequestSyntax
from platform_api.lrs.credentials import CredentialCache
from platform_api.lrs.http import VersionHeaderMiddleware
from platform_api.lrs.router import build_router

log = get_logger(__name__)
PUBLISH_POLL_S = 30.0


def create_app(settings: APISettings | None = None, forwarders: Mapping[str, Forwarder] | None = None) -> FastAPI:
    """Build the app; the engine is created here and disposed on shutdown, never at import.

    ``forwarders`` adds idempotent consumers to the embedded (in-process) event bus: ``pathwise up``
    hands serving's learner loop in here when there is no Redis stream to read.
    """
    settings = settings or APISettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.hub.bind(asyncio.get_running_loop())
        publisher = asyncio.create_task(_publish_loop(app))
        relay = None
        if settings.events_relay:
            relay = make_relay(settings, app.state.session_factory, forwarders or {})
            await _deliver_backlog(relay)
            relay.start()
        app.state.relay = relay
        yield
        if relay is not None:
            relay.stop()
        publisher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await publisher
        if app.state.serving_client is not None:
            app.state.serving_client.close()
        app.state.engine.dispose()

    app = FastAPI(
        title="Pathwise platform API",
        version=__version__,
        description=(
            "Courses, users and grading around the Pathwise models. Authenticate with "
            "`POST /v1/auth/token` (OAuth2 password flow) and send `Authorization: Bearer <token>`. "
            "Errors are RFC 9457 problem+json. Lists take `limit`/`offset`. GraphQL over the same data "
            "and permissions: `POST /graphql`; real-time notifications: the `/ws` WebSocket."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_engine(
        settings.db_url, pool_size=settings.db_pool_size, connect_timeout_s=settings.db_connect_timeout_s
    )
    app.state.session_factory = make_session_factory(app.state.engine)
    app.state.jwt_secret = resolve_secret(settings)
    app.state.login_limiter = RateLimiter(settings.login_attempts_per_minute)
    app.state.login_address_limiter = RateLimiter(settings.login_attempts_per_minute_per_address)
    app.state.request_limiter = RateLimiter(settings.requests_per_minute)
    app.state.sms_sender = load_sender(settings.sms_sender)
    app.state.hub = ws.NotificationHub()
    events.install(app.state.session_factory, [app.state.hub.publish])
    app.state.lrs_credentials = CredentialCache(app.state.session_factory)
    app.state.relay = None
    app.state.serving_client = None
    app.state.oauth = sso.build_oauth(settings)
    install_problem_handlers(app)
    app.add_middleware(RateLimitMiddleware, limiter=app.state.request_limiter)
    app.add_middleware(AlternateRequestSyntax)
    app.add_middleware(VersionHeaderMiddleware)
    if settings.oidc_providers:  # the login's state and nonce wait in a signed cookie until the callback
        app.add_middleware(
            SessionMiddleware, secret_key=app.state.jwt_secret, session_cookie="pathwise_sso", max_age=600
        )
    app.add_middleware(UnhandledErrorMiddleware)  # outermost of ours: every unexpected error ends here
    app.include_router(health.router)
    app.include_router(build_router())
    routers = (
        auth,
        session,
        sso,
        users,
        org_units,
        courses,
        content,
        enrollments,
        cohorts,
        guardians,
        attempts,
        rules,
        items,
        assessments,
        assignments,
        review,
        skills,
        lrs_credentials,
        publishing,
    )
    for module in (*routers, recommendations, preferences, sync, learners, media, ml, analytics):
        app.include_router(module.router)
    app.include_router(ws.router)
    app.include_router(build_graphql_router(settings))
    # The web app answers whatever no route of the API matches (the router's default), so a route added
    # later still wins and a known path with another method still answers 405.
    app.router.default = web_app(settings.web_dist)
    return app


async def _deliver_backlog(relay: Relay) -> None:
    """Relay what was stored while no API ran (``pathwise up`` loads the sample first) before taking
    requests, so a learner's first answer does not queue behind thousands of older events."""
    try:
        moved = await asyncio.to_thread(relay.drain)
    except Exception as error:  # the stream may be down: the relay thread keeps trying
        log.warning("event backlog not delivered at start; the relay retries", error=str(error).splitlines()[0])
        return
    if moved:
        log.info("event backlog delivered", events=moved)


async def _publish_loop(app: FastAPI) -> None:
    """Run due publishing schedules every ``PUBLISH_POLL_S`` seconds."""
    from platform_api.domain.content.service import run_due_schedules

    while True:
        await asyncio.sleep(PUBLISH_POLL_S)
        try:
            count = await asyncio.to_thread(run_due_schedules, app.state.session_factory)
            if count:
                log.info("scheduled publishing ran", published=count)
        except Exception:  # the database may be down for a while; try again next tick
            log.exception("scheduled publishing failed")


def app_from_env() -> FastAPI:
    """Factory for multi-worker uvicorn (``--factory``): each worker reads settings from the environment."""
    app = create_app(APISettings())
    settle_heap()
    return app
