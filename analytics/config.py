"""Where the analytics store lives: one DuckDB file under the state directory."""

from __future__ import annotations

from analytics.store import AnalyticsStore
from pathwise.config import CommonSettings


def store_of(settings: CommonSettings) -> AnalyticsStore:
    return AnalyticsStore(settings.home / "analytics" / "analytics.duckdb")
