"""The event stream's message format, spelled once for the relay, every consumer and serving.

The outbox relay writes one Redis Stream entry per event. The statements one transaction stored
travel as one entry of type :data:`STATEMENTS_EVENT` whose ``payload`` is the JSON array of the
statements (``count`` says how many, ``key`` is the first statement id); readers split it into
one :data:`STATEMENT_EVENT` per statement, keyed by the statement id, so idempotency stays keyed
by statement. Any other platform event is one entry (``type``, ``key``, ``payload``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

#: The stream every platform event goes to.
DEFAULT_STREAM = "pathwise.events"
#: One accepted xAPI statement; its key is the statement id.
STATEMENT_EVENT = "xapi.statement"
#: The statements one transaction stored, as one entry (split by readers).
STATEMENTS_EVENT = "xapi.statements"
#: In the outbox, a statement row lists the ids of the statements it stands for under this name.
STATEMENT_IDS = "statement_ids"
#: A learner changed their learning preferences: ``{"learner_id": "...", "preferences": {...}}``.
PREFERENCES_EVENT = "learner.preferences"
#: A learner's first exposure to a variant of an A/B experiment (written by serving); its key is
#: ``"<experiment>:<learner id>"``.
EXPOSURE_EVENT = "experiment.exposure"


@dataclass(frozen=True)
class Event:
    """One delivered event; ``key`` is the idempotency key (the statement id for statements).

    A :data:`STATEMENTS_EVENT` carries ``count`` statements as a list, or as JSON text (an
    ``orjson.Fragment``) that a publisher writes out without parsing; handlers never see one,
    :func:`split_statements` turns it into one event per statement.
    """

    type: str
    key: str
    payload: Any
    count: int = 1


def split_statements(events: list[Event]) -> list[Event]:
    """Replace each statement batch by one :data:`STATEMENT_EVENT` per statement, keyed by its id."""
    out: list[Event] = []
    for event in events:
        if event.type == STATEMENTS_EVENT:
            out.extend(Event(STATEMENT_EVENT, statement["id"], statement) for statement in event.payload)
        else:
            out.append(event)
    return out


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def entry_events(fields: dict[Any, Any]) -> list[Event]:
    """The events one stream entry carries: a statement batch gives one event per statement."""
    data = {_text(k): v for k, v in fields.items()}
    type_, payload = _text(data["type"]), orjson.loads(data["payload"])
    if type_ == STATEMENTS_EVENT:
        return [Event(STATEMENT_EVENT, statement["id"], statement) for statement in payload]
    return [Event(type_, _text(data["key"]), payload)]


def enqueued_ms(fields: dict[Any, Any]) -> float | None:
    """When the entry left the outbox (ms since the epoch), for freshness figures; None if unstamped."""
    value = fields.get("enqueued_ms", fields.get(b"enqueued_ms"))
    return float(_text(value)) if value is not None else None
