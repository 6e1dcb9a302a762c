"""The ``pathwise up`` feature step reuses an unchanged build without importing Feast."""

from __future__ import annotations

import json

from features.config import FeatureSettings
from pipelines.feature_up import MARKER, ensure_sample_features, up_key


def test_key_tracks_data_definitions_stores_and_mastery() -> None:
    settings = FeatureSettings()
    key = up_key(settings, "defaults")
    assert key == up_key(FeatureSettings(), "defaults")
    assert set(key) == {"data", "definitions", "stores", "mastery"}
    assert up_key(settings, "pathwise-bkt v2")["mastery"] != key["mastery"]
    redis = FeatureSettings(features_online_store="redis", features_redis_url="redis://127.0.0.1:6379/15")
    assert up_key(redis, "defaults")["stores"] != key["stores"]
    assert up_key(redis, "defaults")["data"] == key["data"]


def test_unchanged_build_is_reused() -> None:
    settings = FeatureSettings()
    settings.features_dir.mkdir(parents=True)
    (settings.features_dir / "registry.db").write_bytes(b"")
    marker = {"key": up_key(settings, "defaults"), "summary": "10 events backfilled"}
    (settings.features_dir / MARKER).write_text(json.dumps(marker))
    assert ensure_sample_features(settings) == "unchanged (10 events backfilled), reused"
