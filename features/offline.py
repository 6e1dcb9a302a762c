"""Append-only offline feature rows, partitioned by event date.

Layout: ``<offline_dir>/<view>/date=YYYY-MM-DD/part-<token>.parquet``. Feast's file
offline store reads the folder as one dataset. A part's name is derived from the batch
it came from, so replaying the same batch rewrites the same file instead of adding a
copy (the stream processor is at-least-once). Files are written to a temporary name and
renamed, so a reader never sees half a part.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from feast.types import FeastType, Float64, Int64, String, UnixTimestamp

from features.definitions import VIEW_SPECS, ViewSpec

_TS = pa.timestamp("us", tz="UTC")
_ARROW: dict[FeastType, pa.DataType] = {
    Int64: pa.int64(),
    Float64: pa.float64(),
    UnixTimestamp: _TS,
    String: pa.string(),
}


def _schema(spec: ViewSpec) -> pa.Schema:
    keys = [(key, pa.string()) for key in spec.join_keys]
    return pa.schema([*keys, ("event_timestamp", _TS), *((name, _ARROW[dtype]) for name, dtype in spec.fields)])


#: Arrow schema of each view's offline rows (entity keys, event_timestamp, features).
SCHEMAS: dict[str, pa.Schema] = {view: _schema(spec) for view, spec in VIEW_SPECS.items()}
#: The partition that holds each dataset's empty schema file, so a view with no rows yet is readable.
SCHEMA_PARTITION = "date=1970-01-01"


def batch_token(statement_ids: list[str]) -> str:
    """A stable name for the rows produced by one batch of statements."""
    digest = hashlib.sha256("\n".join(sorted(statement_ids)).encode()).hexdigest()
    return digest[:20]


def _write_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)


def ensure_datasets(offline_dir: Path) -> None:
    """Create every view's dataset folder with an empty, typed part (idempotent)."""
    for view, schema in SCHEMAS.items():
        path = offline_dir / view / SCHEMA_PARTITION / "part-schema.parquet"
        if not path.exists():
            _write_atomic(schema.empty_table(), path)


def append_rows(offline_dir: Path, view: str, frame: pd.DataFrame, token: str) -> list[Path]:
    """Write ``frame`` as one part per event date; return the files written."""
    if frame.empty:
        return []
    schema = SCHEMAS[view]
    missing = set(schema.names) - set(frame.columns)
    if missing:
        raise ValueError(f"{view}: offline rows lack columns {sorted(missing)}")
    dates = pd.to_datetime(frame["event_timestamp"], utc=True).dt.strftime("%Y-%m-%d")
    written = []
    for day, part in frame.groupby(dates, sort=True):
        table = pa.Table.from_pandas(part[schema.names], schema=schema, preserve_index=False)
        path = offline_dir / view / f"date={day}" / f"part-{token}.parquet"
        _write_atomic(table, path)
        written.append(path)
    return written


def read_rows(offline_dir: Path, view: str) -> pd.DataFrame:
    """Every offline row of ``view`` (for checks and tests; training goes through Feast)."""
    files = sorted((offline_dir / view).glob("date=*/part-*.parquet"))
    tables = [pq.read_table(f, schema=SCHEMAS[view]) for f in files]
    return pa.concat_tables(tables).to_pandas() if tables else SCHEMAS[view].empty_table().to_pandas()


class OfflineSink(Protocol):
    """Where the stream appends offline rows; ``token`` names the batch (replays overwrite)."""

    def append(self, view: str, frame: pd.DataFrame, token: str) -> None: ...


@dataclass(frozen=True)
class ParquetSink:
    """The embedded offline store: date-partitioned parquet under ``offline_dir``."""

    offline_dir: Path

    def append(self, view: str, frame: pd.DataFrame, token: str) -> None:
        append_rows(self.offline_dir, view, frame, token)
