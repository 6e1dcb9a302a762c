"""When two serializations are the same statement: re-sent ids (409 or no-op) and signed statements."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from platform_api.lrs.validation import parse_timestamp

#: Properties the LRS sets or may set itself; they never make two statements differ.
LRS_SET = ("id", "stored", "authority", "version")


def comparable(statement: dict[str, Any], ignore: tuple[str, ...] = LRS_SET) -> dict[str, Any]:
    """The statement without LRS-set properties, its timestamp normalized to UTC."""
    body = {k: v for k, v in statement.items() if k not in ignore}
    if "timestamp" in body:
        body["timestamp"] = parse_timestamp(body["timestamp"], "timestamp").astimezone(UTC).isoformat()
    return body


def same_statement(stored: dict[str, Any], incoming: dict[str, Any]) -> bool:
    """Equal up to what the LRS fills in (a timestamp it set to ``stored`` included)."""
    mine = comparable(stored)
    if "timestamp" not in incoming and stored.get("timestamp") == stored.get("stored"):
        mine.pop("timestamp", None)
    return mine == comparable(incoming)
