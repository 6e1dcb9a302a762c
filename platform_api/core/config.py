"""Settings of the API deployable."""

from __future__ import annotations

from pydantic import Field

from pathwise.config import CommonSettings


class APISettings(CommonSettings):
    """Where the API listens and how it talks to its database."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    db_pool_size: int = Field(default=5, ge=1, le=200)
    db_connect_timeout_s: float = Field(default=3.0, gt=0, le=60)
    readiness_timeout_s: float = Field(default=2.0, gt=0, le=60)
    lrs_max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    lrs_statement_page_limit: int = Field(default=500, ge=1, le=10_000)
    events_relay: bool = True
    events_stream: str = "pathwise.events"
    workers: int = Field(default=1, ge=1, le=64)
