"""Settings of the feature store and the stream processor.

The effective Feast repo configuration is generated from these at run time (see
:mod:`features.store`), so no path is hard-coded in ``feature_store.yaml``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from pathwise.config import CommonSettings
from pathwise.contract.stream import DEFAULT_STREAM

_PROJECT = re.compile(r"^[A-Za-z0-9_]+$")


class FeatureSettings(CommonSettings):
    """Which Feast stores to use and how the stream processor batches events.

    ``PATHWISE_FEATURES_ONLINE_STORE=redis`` switches the online store to Redis at
    ``PATHWISE_FEATURES_REDIS_URL`` (falls back to ``PATHWISE_REDIS_URL``);
    ``PATHWISE_FEATURES_OFFLINE_STORE=postgres`` reads offline features from
    ``PATHWISE_FEATURES_POSTGRES_URL`` (falls back to ``PATHWISE_DATABASE_URL``).
    """

    features_project: str = "pathwise"
    features_online_store: Literal["sqlite", "redis"] = "sqlite"
    features_offline_store: Literal["file", "postgres"] = "file"
    features_redis_url: str | None = None
    features_postgres_url: str | None = None
    features_redis_key_ttl_s: int | None = Field(default=None, ge=1)
    stream_name: str = DEFAULT_STREAM
    stream_group: str = "features"
    stream_consumer: str = "features-1"
    stream_batch_size: int = Field(default=500, ge=1, le=100_000)
    stream_block_ms: int = Field(default=200, ge=1, le=60_000)

    @field_validator("features_project")
    @classmethod
    def _valid_project(cls, value: str) -> str:
        if not _PROJECT.match(value):
            raise ValueError("must contain only letters, digits and underscores")
        return value

    @field_validator("features_redis_url", "features_postgres_url", mode="before")
    @classmethod
    def _empty_url_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def features_dir(self) -> Path:
        """Everything the feature store writes on the embedded defaults."""
        return self.home / "features"

    @property
    def offline_dir(self) -> Path:
        """Date-partitioned parquet datasets, one folder per feature view."""
        return self.features_dir / "offline"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def gx_root(self) -> Path:
        """Great Expectations project root; the context itself lives in ``gx/`` beneath it."""
        return self.home

    @property
    def effective_redis_url(self) -> str:
        url = self.features_redis_url or self.redis_url
        if not url:
            raise ValueError("the Redis online store needs PATHWISE_FEATURES_REDIS_URL or PATHWISE_REDIS_URL")
        return url

    @property
    def effective_postgres_url(self) -> str:
        url = self.features_postgres_url or self.database_url
        if not url or not url.startswith("postgresql"):
            raise ValueError(
                "the PostgreSQL offline store needs PATHWISE_FEATURES_POSTGRES_URL "
                "or a PostgreSQL PATHWISE_DATABASE_URL"
            )
        return url
