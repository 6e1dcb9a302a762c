"""Timestamps in responses always carry their UTC offset.

SQLite hands back naive datetimes even for ``timezone=True`` columns; every stored time
is UTC, so the offset is added here and the OpenAPI ``date-time`` promise holds on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


Timestamp = Annotated[datetime, AfterValidator(_aware)]
