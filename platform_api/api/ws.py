"""Authenticated WebSocket at ``/ws``: each user receives the platform events addressed to them."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import asdict

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy.orm import Session, sessionmaker

from platform_api.core.errors import ProblemError
from platform_api.core.security import TokenError, decode_token
from platform_api.domain.identity.models import User
from platform_api.events.platform import PlatformEvent

router = APIRouter()
#: Events that reach clients in real time: completions, recommendations, grades, enrollments.
NOTIFIED_PREFIXES = ("activity.", "recommendation.", "grade.", "enrollment.", "cohort.", "guardian.")


class NotificationHub:
    """Fan-out of events to the sockets of their audience; safe to call from worker threads."""

    def __init__(self) -> None:
        self._queues: dict[int, set[asyncio.Queue[str]]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, user_id: int) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        self._queues[user_id].add(queue)
        return queue

    def unsubscribe(self, user_id: int, queue: asyncio.Queue[str]) -> None:
        self._queues[user_id].discard(queue)
        if not self._queues[user_id]:
            del self._queues[user_id]

    def publish(self, item: PlatformEvent) -> None:
        if self._loop is None or not item.type.startswith(NOTIFIED_PREFIXES):
            return
        message = json.dumps({"type": item.type, "data": item.data, "at": item.at})
        for user_id in item.audience:
            for queue in list(self._queues.get(user_id, ())):
                self._loop.call_soon_threadsafe(_offer, queue, message)


def _offer(queue: asyncio.Queue[str], message: str) -> None:
    if not queue.full():  # a client that stops reading loses messages, never the server's memory
        queue.put_nowait(message)


def _authenticate(websocket: WebSocket, token: str | None) -> int:
    if not token:
        raise ProblemError(401, "missing token")
    try:
        claims = decode_token(websocket.app.state.jwt_secret, token, kind="access")
    except TokenError as error:
        raise ProblemError(401, str(error)) from None
    factory: sessionmaker[Session] = websocket.app.state.session_factory
    with factory() as session:
        user = session.get(User, int(claims["sub"]))
        if user is None or not user.is_active or user.tenant_id != claims.get("tid"):
            raise ProblemError(401, "the account behind this token is not active")
        return user.id


@router.websocket("/ws")
async def notifications(websocket: WebSocket) -> None:
    """Connect with ``?token=<access token>`` or a ``Bearer`` Authorization header."""
    header = websocket.headers.get("authorization", "")
    token = websocket.query_params.get("token") or (header[7:] if header.lower().startswith("bearer ") else None)
    try:
        user_id = _authenticate(websocket, token)
    except ProblemError as error:
        await websocket.close(code=4401, reason=error.detail)
        return
    hub: NotificationHub = websocket.app.state.hub
    hub.bind(asyncio.get_running_loop())
    await websocket.accept()
    queue = hub.subscribe(user_id)
    await websocket.send_json({"type": "hello", "data": {"user_id": user_id}})
    receiver = asyncio.create_task(_drain(websocket))
    try:
        while not receiver.done():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                await websocket.send_text(getter.result())
            else:
                getter.cancel()
    except WebSocketDisconnect:
        pass
    finally:
        receiver.cancel()
        hub.unsubscribe(user_id, queue)


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) client frames so that a disconnect is noticed promptly."""
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        return


def event_as_dict(item: PlatformEvent) -> dict[str, object]:
    return asdict(item)
