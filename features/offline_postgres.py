"""The production offline store: one PostgreSQL table per feature view (``feat_<view>``).

Feast's PostgreSQL offline store reads these tables for point-in-time joins and
materialization but has no write path for pushed rows, so the stream appends here
directly. Each row carries the ``batch_token`` of the micro-batch that produced it and a
batch is written as "delete that token, then COPY" in one transaction, so a replayed
batch replaces its rows instead of duplicating them. Tables are indexed by entity and
event time (the join pattern) rather than partitioned by date as the parquet store is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql

from features.offline import SCHEMAS

_PG_TYPES = {
    pa.string(): "TEXT",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE PRECISION",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
}


def table_name(view: str) -> str:
    return f"feat_{view}"


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://").replace("postgresql+psycopg2://", "postgresql://")


@dataclass(frozen=True)
class PostgresSink:
    url: str

    def ensure_tables(self) -> None:
        """Create every view's table and index (idempotent)."""
        with psycopg.connect(_plain(self.url), autocommit=True) as conn:
            for view, schema in SCHEMAS.items():
                columns: list[sql.Composable] = [
                    sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(_PG_TYPES[f.type])) for f in schema
                ]
                columns.append(sql.SQL("batch_token TEXT NOT NULL"))
                table = sql.Identifier(table_name(view))
                conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(table, sql.SQL(", ").join(columns)))
                key_names = [*(f.name for f in schema if f.name.endswith("_id")), "event_timestamp"]
                keys = sql.SQL(", ").join(sql.Identifier(name) for name in key_names)
                index = sql.Identifier(f"{table_name(view)}_keys_ts")
                conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(index, table, keys))
                conn.execute(
                    sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (batch_token)").format(
                        sql.Identifier(f"{table_name(view)}_batch"), table
                    )
                )

    def append(self, view: str, frame: pd.DataFrame, token: str) -> None:
        if frame.empty:
            return
        names = SCHEMAS[view].names
        table = sql.Identifier(table_name(view))
        columns = sql.SQL(", ").join(map(sql.Identifier, [*names, "batch_token"]))
        rows = frame[names].astype(object).where(frame[names].notna(), None).itertuples(index=False, name=None)
        with psycopg.connect(_plain(self.url)) as conn, conn.transaction():
            conn.execute(sql.SQL("DELETE FROM {} WHERE batch_token = %s").format(table), [token])
            with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(table, columns)) as copy:
                for row in rows:
                    copy.write_row((*row, token))

    def count(self, view: str) -> int:
        with psycopg.connect(_plain(self.url)) as conn:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table_name(view)))).fetchone()
        return int(row[0]) if row else 0
