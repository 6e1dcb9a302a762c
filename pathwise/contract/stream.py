"""The event stream's message format, spelled once for the relay, every consumer and serving.

The outbox relay writes one Redis Stream entry per event. The statements one transaction stored
travel as one entry of type :data:`STATEMENTS_EVENT` whose ``payload`` is the JSON array of the
statements (``count`` says how many, ``key`` is the first statement id); readers split it into
one :data:`STATEMENT_EVENT` per statement, keyed by the statement id, so idempotency stays keyed
by statement. Any other platform event is one entry (``type``, ``key``, ``payload``). Every entry
also carries ``enqueued_ms``, when it left the outbox.

:func:`entry_fields` writes an entry (the relay, and test publishers); :func:`entry_events` reads
one strictly (the platform's consumers and serving), :func:`read_entry` leniently, keeping a
payload that is not JSON as text so a reader can quarantine it (the feature stream processor).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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


#: The fields of a stream entry.
TYPE_FIELD, KEY_FIELD, PAYLOAD_FIELD, COUNT_FIELD, ENQUEUED_FIELD = "type", "key", "payload", "count", "enqueued_ms"


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


def split_statements(events: Sequence[Event]) -> list[Event]:
    """Replace each statement batch by one :data:`STATEMENT_EVENT` per statement, keyed by its id."""
    out: list[Event] = []
    for event in events:
        if event.type == STATEMENTS_EVENT:
            out.extend(Event(STATEMENT_EVENT, statement["id"], statement) for statement in event.payload)
        else:
            out.append(event)
    return out


def entry_fields(event: Event, enqueued_ms: str) -> dict[str, Any]:
    """The fields of the stream entry for ``event``; the payload is written as JSON (a ``Fragment`` as it is)."""
    fields: dict[str, Any] = {
        TYPE_FIELD: event.type,
        KEY_FIELD: event.key,
        PAYLOAD_FIELD: orjson.dumps(event.payload),
        ENQUEUED_FIELD: enqueued_ms,
    }
    if event.type == STATEMENTS_EVENT:
        fields[COUNT_FIELD] = event.count
    return fields


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _field(fields: dict[Any, Any], name: str) -> Any:
    return fields.get(name, fields.get(name.encode()))


def entry_events(fields: dict[Any, Any]) -> list[Event]:
    """The events one stream entry carries: a statement batch gives one event per statement."""
    data = {_text(k): v for k, v in fields.items()}
    type_, payload = _text(data[TYPE_FIELD]), orjson.loads(data[PAYLOAD_FIELD])
    if type_ == STATEMENTS_EVENT:
        return [Event(STATEMENT_EVENT, statement["id"], statement) for statement in payload]
    return [Event(type_, _text(data[KEY_FIELD]), payload)]


def enqueued_ms(fields: dict[Any, Any]) -> float | None:
    """When the entry left the outbox (ms since the epoch), for freshness figures; None if unstamped."""
    value = _field(fields, ENQUEUED_FIELD)
    return float(_text(value)) if value not in (None, b"", "") else None


@dataclass(frozen=True)
class Entry:
    """One stream entry read leniently: ``payload`` is the parsed JSON, or None when ``raw`` is not JSON."""

    type: str
    raw: str
    payload: Any
    enqueued_ms: float | None


def read_entry(fields: dict[Any, Any] | None) -> Entry:
    """Read an entry without failing on a bad payload; an entry without a type is a :data:`STATEMENT_EVENT`."""
    fields = fields or {}
    kind, raw = _field(fields, TYPE_FIELD), _field(fields, PAYLOAD_FIELD)
    text = _text(raw) if raw is not None else ""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError:
        payload = None
    return Entry(_text(kind) if kind is not None else STATEMENT_EVENT, text, payload, enqueued_ms(fields))
