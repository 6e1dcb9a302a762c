"""The ``pathwise up`` feature step reuses an unchanged build without importing Feast."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from features.config import FeatureSettings
from features.xapi_vocabulary import answered_statement
from pipelines.feature_up import MARKER, ensure_history_features, up_key
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.migrate import upgrade
from platform_api.lrs.store import store_statements


def _migrated() -> FeatureSettings:
    settings = FeatureSettings()
    settings.ensure_home()
    upgrade(settings.db_url)
    return settings


def test_key_tracks_data_definitions_stores_and_mastery() -> None:
    settings = _migrated()
    key = up_key(settings, "defaults")
    assert key == up_key(FeatureSettings(), "defaults")
    assert set(key) == {"data", "definitions", "stores", "mastery"}
    assert up_key(settings, "pathwise-bkt v2")["mastery"] != key["mastery"]
    redis = FeatureSettings(features_online_store="redis", features_redis_url="redis://127.0.0.1:6379/15")
    assert up_key(redis, "defaults")["stores"] != key["stores"]
    assert up_key(redis, "defaults")["data"] == key["data"]
    # A new statement in the LRS is new data for the features.
    engine = make_engine(settings.db_url)
    with transaction(make_session_factory(engine)) as session:
        store_statements(session, [answered_statement(1, 2, 3, True, timestamp=datetime(2026, 1, 1, tzinfo=UTC))])
    engine.dispose()
    assert up_key(settings, "defaults")["data"] != key["data"]


def test_unchanged_build_is_reused() -> None:
    settings = _migrated()
    settings.features_dir.mkdir(parents=True)
    (settings.features_dir / "registry.db").write_bytes(b"")
    marker = {"key": up_key(settings, "defaults"), "summary": "10 events backfilled"}
    (settings.features_dir / MARKER).write_text(json.dumps(marker))
    assert ensure_history_features(settings) == "unchanged (10 events backfilled), reused"
