"""The ``pathwise up`` feature-store step, made cheap to re-run.

Building the LRS history's features means importing Feast, applying the repo, backfilling and
materializing: tens of seconds. A re-run on an unchanged state directory needs none of
it, so the step first compares a key with the marker the last build left
(``PATHWISE_HOME/features/up-marker.json``), without importing Feast. The key hashes:

* the LRS history the features read (statement count, newest row and latest ``stored``, see
  :func:`pipelines.lrs_history.lrs_watermark`): the data;
* the source of every module that defines the repo or computes its rows, plus the
  ``feature_store.yaml`` template (the repo definition; any edit rebuilds);
* the settings that choose the stores and the project;
* the mastery parameters' source (the ``pathwise-bkt`` champion version, or defaults).

On a different key the embedded stores (parquet + SQLite) are rebuilt from scratch, since
the rows they hold were computed by other code or data; production stores are only
re-applied, never wiped.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from features.config import FeatureSettings

MARKER = "up-marker.json"
#: Modules whose source decides the sample's feature rows (relative to the repository root).
DEFINITION_FILES = (
    "features/definitions.py",
    "features/events.py",
    "features/feature_store.yaml",
    "features/mastery.py",
    "features/offline.py",
    "features/offline_postgres.py",
    "features/store.py",
    "features/transforms.py",
    "features/xapi_vocabulary.py",
    "models/bkt/model.py",
    "pipelines/feature_backfill.py",
    "pipelines/lrs_history.py",
    "pipelines/stream.py",
    "pipelines/stream_state.py",
    "pipelines/validate.py",
)
_STORE_SETTINGS = {
    "features_project",
    "features_online_store",
    "features_offline_store",
    "features_redis_url",
    "features_postgres_url",
    "features_redis_key_ttl_s",
    "redis_url",
    "database_url",
}


def _root() -> Path:
    import features

    return Path(next(iter(features.__path__))).parent


def definition_hash() -> str:
    digest = hashlib.sha256()
    root = _root()
    for name in DEFINITION_FILES:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def up_key(settings: FeatureSettings, mastery_source: str) -> dict[str, str]:
    from features.events import ALLOWED_VERBS
    from pipelines.lrs_history import lrs_watermark

    stores = json.dumps(settings.model_dump(include=_STORE_SETTINGS), sort_keys=True, default=str)
    return {
        "data": lrs_watermark(settings.db_url, ALLOWED_VERBS),
        "definitions": definition_hash(),
        "stores": hashlib.sha256(stores.encode()).hexdigest()[:16],
        "mastery": mastery_source,
    }


def champion_source(settings: FeatureSettings) -> str:
    """The mastery source a build would use, read from the registry without loading the model."""
    from features.mastery import CHAMPION_MODEL
    from pathwise.registry import CHAMPION, alias_version, configure_mlflow

    version = alias_version(configure_mlflow(settings), CHAMPION_MODEL, CHAMPION)
    return "defaults" if version is None else f"{CHAMPION_MODEL} v{version}"


def _read_marker(path: Path) -> dict[str, Any] | None:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _embedded(settings: FeatureSettings) -> bool:
    return settings.features_online_store == "sqlite" and settings.features_offline_store == "file"


def ensure_history_features(settings: FeatureSettings) -> str:
    """Reuse the LRS history's features when nothing changed; otherwise (re)build them."""
    key = up_key(settings, champion_source(settings))
    marker = settings.features_dir / MARKER
    previous = _read_marker(marker)
    if previous is not None and previous.get("key") == key and (settings.features_dir / "registry.db").exists():
        return f"unchanged ({previous.get('summary', 'built earlier')}), reused"
    changed = sorted(k for k, v in key.items() if previous is not None and previous.get("key", {}).get(k) != v)
    if previous is not None and _embedded(settings):
        # Rows computed by other code or data: start the embedded stores afresh.
        shutil.rmtree(settings.features_dir, ignore_errors=True)
        shutil.rmtree(settings.home / "stream", ignore_errors=True)
    from pipelines.feature_backfill import backfill_lrs

    summary = backfill_lrs(settings)
    settings.features_dir.mkdir(parents=True, exist_ok=True)
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": key, "summary": summary}, indent=2), encoding="utf-8")
    tmp.replace(marker)
    return f"{summary} ({', '.join(changed)} changed)" if changed else summary
