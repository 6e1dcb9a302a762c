"""Choose the event transport from settings: Redis Streams when configured, in-process otherwise."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session, sessionmaker

from platform_api.core.config import APISettings
from platform_api.events.handlers import count_verbs
from platform_api.events.relay import Forwarder, InProcessDispatcher, Publisher, RedisStreamPublisher, Relay

#: The group name of the built-in verb-count projection in the embedded default.
EMBEDDED_GROUP = "pathwise.embedded"


def make_publisher(
    settings: APISettings, factory: sessionmaker[Session], forwarders: Mapping[str, Forwarder] | None = None
) -> Publisher:
    """Redis Streams when configured (consumers read it in their own groups); otherwise the in-process
    dispatcher with the built-in projection, the analytics store's live refresh (unless switched off),
    plus ``forwarders`` (group name → an idempotent consumer)."""
    if settings.redis_url:
        import redis

        return RedisStreamPublisher(redis.Redis.from_url(settings.redis_url), settings.events_stream)
    dispatcher = InProcessDispatcher(factory)
    dispatcher.subscribe(EMBEDDED_GROUP, count_verbs)
    for group, forwarder in (forwarders or {}).items():
        dispatcher.forward(group, forwarder)
    if settings.analytics_live:
        from analytics.config import store_of
        from analytics.live import GROUP, LiveRefresh

        engine = factory.kw["bind"]
        dispatcher.forward(GROUP, LiveRefresh(engine, store_of(settings)))
    return dispatcher


def make_relay(
    settings: APISettings, factory: sessionmaker[Session], forwarders: Mapping[str, Forwarder] | None = None
) -> Relay:
    return Relay(factory, make_publisher(settings, factory, forwarders))
