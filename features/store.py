"""Open the Feast store from settings; apply, materialize, push and read.

The repo configuration is generated at run time from :class:`FeatureSettings` and the
template ``features/feature_store.yaml`` and written to
``PATHWISE_HOME/features/feature_store.yaml``. ``apply`` runs in pipelines, ``pathwise
up`` and CI, never in a request path (the file registry is not built for concurrent
writers).
"""

from __future__ import annotations

import string
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pandas as pd
import yaml
from feast import FeatureService, FeatureStore

from features.config import FeatureSettings
from features.definitions import Definitions, build_definitions, file_sources, postgres_sources
from features.offline import OfflineSink, ParquetSink, ensure_datasets

_ROW = "__pathwise_row"


def _redis_connection_string(url: str) -> str:
    """``redis://[:pw@]host:port/db`` as Feast's ``host:port,password=..,db=..``."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"}:
        raise ValueError(f"redis URL must start with redis:// (got {url!r})")
    conn = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    if parts.password:
        conn += f",password={unquote(parts.password)}"
    if parts.scheme == "rediss":
        conn += ",ssl=true"
    db = parts.path.strip("/")
    if db:
        conn += f",db={int(db)}"
    return conn


def _postgres_offline(url: str) -> dict[str, Any]:
    parts = urlsplit(url.replace("+psycopg2", "").replace("+psycopg", ""))
    query = dict(parse_qsl(parts.query))
    return {
        "type": "postgres",
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "database": parts.path.strip("/"),
        "db_schema": "public",
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        # Feast defaults to sslmode=require; follow the URL, else let libpq negotiate.
        "sslmode": query.get("sslmode", "prefer"),
    }


def repo_config_dict(settings: FeatureSettings) -> dict[str, Any]:
    """The effective ``feature_store.yaml`` content for these settings."""
    template = (resources.files("features") / "feature_store.yaml").read_text(encoding="utf-8")
    text = string.Template(template).substitute(
        FEATURES_DIR=str(settings.features_dir), PROJECT=settings.features_project
    )
    config: dict[str, Any] = yaml.safe_load(text)
    if settings.features_online_store == "redis":
        online: dict[str, Any] = {
            "type": "redis",
            "connection_string": _redis_connection_string(settings.effective_redis_url),
        }
        if settings.features_redis_key_ttl_s:
            online["key_ttl_seconds"] = settings.features_redis_key_ttl_s
        config["online_store"] = online
    if settings.features_offline_store == "postgres":
        config["offline_store"] = _postgres_offline(settings.effective_postgres_url)
    return config


def write_repo_config(settings: FeatureSettings) -> Path:
    """Write the effective repo config under ``PATHWISE_HOME/features`` and return its path."""
    settings.features_dir.mkdir(parents=True, exist_ok=True)
    path = settings.features_dir / "feature_store.yaml"
    text = yaml.safe_dump(repo_config_dict(settings), sort_keys=False)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return path


def definitions(settings: FeatureSettings) -> Definitions:
    if settings.features_offline_store == "postgres":
        return build_definitions(postgres_sources())
    return build_definitions(file_sources(settings.offline_dir))


@dataclass
class FeatureRepo:
    """A configured store plus the definitions it was applied with."""

    settings: FeatureSettings
    store: FeatureStore
    defs: Definitions
    #: FeatureServices resolved once: a registry lookup rebuilds the object from its proto
    #: on every call, which costs more than the online read itself.
    _services: dict[str, FeatureService] = field(default_factory=dict, repr=False)

    def service(self, name: str) -> FeatureService:
        """The registered FeatureService ``name`` (cached; :meth:`apply` clears the cache)."""
        found = self._services.get(name)
        if found is None:
            found = self._services[name] = self.store.get_feature_service(name, allow_cache=True)
        return found

    def offline_sink(self) -> OfflineSink:
        """Where the stream appends offline rows for this store."""
        if self.settings.features_offline_store == "postgres":
            from features.offline_postgres import PostgresSink

            return PostgresSink(self.settings.effective_postgres_url)
        return ParquetSink(self.settings.offline_dir)

    def apply(self) -> list[str]:
        """Create the offline datasets/tables, then register every object (idempotent)."""
        if self.settings.features_offline_store == "file":
            ensure_datasets(self.settings.offline_dir)
        else:
            from features.offline_postgres import PostgresSink

            PostgresSink(self.settings.effective_postgres_url).ensure_tables()
        objects = self.defs.objects()
        self.store.apply(objects)  # type: ignore[arg-type]
        self._services.clear()
        return [str(getattr(o, "name", o)) for o in objects]

    def materialize(self, end: datetime | None = None) -> datetime:
        """Load the latest offline values up to ``end`` (default now) into the online store."""
        end = end or datetime.now(UTC)
        views = list(self.defs.views)
        with warnings.catch_warnings():
            # dask, inside Feast's file store, warns about a pandas downcast on every read.
            warnings.simplefilter("ignore", FutureWarning)
            self.store.materialize(start_date=datetime(1970, 1, 2, tzinfo=UTC), end_date=end, feature_views=views)
        return end

    def push(self, view: str, frame: pd.DataFrame) -> None:
        """Write the newest rows of ``view`` online, as a Feast push to its push source does.

        ``FeatureStore.push`` first lists every feature view in the registry to find those fed
        by the push source; the definitions already say which view that is, so the rows go
        straight to ``write_to_online_store`` for it (the same write the push makes), which
        saves a registry scan per micro-batch.
        """
        if frame.empty:
            return
        if self.defs.views[view].stream_source is None:
            raise ValueError(f"{view} has no push source")
        self.store.write_to_online_store(view, frame, allow_registry_cache=True)

    def online(self, service: str, entity_rows: list[dict[str, Any]]) -> pd.DataFrame:
        """Read a FeatureService for the given entity rows."""
        return self.store.get_online_features(features=self.service(service), entity_rows=entity_rows).to_df()

    def online_dict(self, service: str, entity_rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
        """The serving read: a FeatureService for the entity rows, as column lists (no DataFrame)."""
        return self.store.get_online_features(features=self.service(service), entity_rows=entity_rows).to_dict()

    def historical(self, service: str, entity_df: pd.DataFrame) -> pd.DataFrame:
        """Point-in-time join of a FeatureService onto ``entity_df`` (needs ``event_timestamp``).

        Returns one row per entity row, in the input order. Feast's file (dask) offline
        store drops an entity row whose every candidate feature row is newer than it,
        instead of returning nulls; the rows are restored here by a row number.
        """
        feature_service = self.service(service)
        numbered = entity_df.reset_index(drop=True).assign(**{_ROW: range(len(entity_df))})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            joined = self.store.get_historical_features(entity_df=numbered, features=feature_service).to_df()
        added = [c for c in joined.columns if c not in numbered.columns]
        restored = numbered.merge(joined[[_ROW, *added]], on=_ROW, how="left", validate="one_to_one")
        return restored.sort_values(_ROW).drop(columns=[_ROW]).reset_index(drop=True)

    def teardown(self) -> None:
        """Remove this project's online tables/keys (used by tests on shared Redis)."""
        self.store.teardown()


def open_repo(settings: FeatureSettings) -> FeatureRepo:
    """Open (not apply) the feature store for ``settings``."""
    path = write_repo_config(settings)
    store = FeatureStore(repo_path=str(settings.features_dir), fs_yaml_file=path)
    return FeatureRepo(settings=settings, store=store, defs=definitions(settings))
