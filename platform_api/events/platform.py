"""The one place domain changes become platform events.

Services call :func:`emit` inside their transaction; the events leave only after the
commit (an ``after_commit`` hook), so a rolled-back change announces nothing. Today they
are also written to the transactional outbox (``platform_api.events``) in the same
transaction, from which the relay publishes them to the event stream; the in-process
listeners (the WebSocket hub) hear them after commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from pathwise.logs import get_logger
from platform_api.events.outbox import emit_event

log = get_logger(__name__)
PENDING = "pathwise_pending_events"


@dataclass(frozen=True)
class PlatformEvent:
    type: str
    tenant_id: int
    data: dict[str, Any]
    audience: tuple[int, ...] = ()
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


Listener = Callable[[PlatformEvent], None]


def emit(session: Session, type_: str, *, tenant_id: int, data: dict[str, Any], audience: tuple[int, ...] = ()) -> None:
    item = PlatformEvent(type_, tenant_id, data, audience)
    emit_event(session, type_, {"tenant_id": tenant_id, "data": data, "audience": list(audience), "at": item.at})
    session.info.setdefault(PENDING, []).append(item)


def install(factory: sessionmaker[Session], listeners: list[Listener]) -> None:
    """Deliver each committed session's events to ``listeners``; drop them on rollback."""

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        for item in session.info.pop(PENDING, []):
            _dispatch(item, listeners)

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(PENDING, None)


def _dispatch(item: PlatformEvent, listeners: list[Listener]) -> None:
    log.info("platform event", type=item.type, tenant_id=item.tenant_id, **{"data": item.data})
    for listener in listeners:
        try:
            listener(item)
        except Exception:  # a broken listener must not undo a committed change
            log.exception("event listener failed", type=item.type)
