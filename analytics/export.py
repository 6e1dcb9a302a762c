"""A mart of one course as a file for BI tools: CSV, JSON (one object per line) or Parquet.

The rows are the mart's own (``answers``: one per attempt; ``cells``: one per learner and skill),
narrowed to the course, as one Arrow table, so each format is one library call.
"""

from __future__ import annotations

import io
from typing import Literal

import orjson
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet

from analytics.store import AnalyticsStore

Mart = Literal["answers", "cells"]
Format = Literal["csv", "json", "parquet"]
MARTS: tuple[Mart, ...] = ("answers", "cells")
MEDIA_TYPES: dict[Format, str] = {
    "csv": "text/csv",
    "json": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}


def course_mart(store: AnalyticsStore, mart: Mart, course_id: int) -> pa.Table:
    if mart not in MARTS:  # the name goes into SQL: only the marts' own names may
        raise ValueError(f"unknown mart {mart!r}; one of {', '.join(MARTS)}")
    with store.connect() as db:
        return db.sql(
            f"SELECT * FROM {mart} WHERE course_id = ? ORDER BY ALL", params=[str(course_id)]
        ).to_arrow_table()


def encode(table: pa.Table, fmt: Format) -> bytes:
    out = io.BytesIO()
    if fmt == "csv":
        pyarrow.csv.write_csv(table, out)
    elif fmt == "parquet":
        pyarrow.parquet.write_table(table, out)
    elif fmt == "json":
        for row in table.to_pylist():
            out.write(orjson.dumps(row, option=orjson.OPT_NAIVE_UTC) + b"\n")
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(MEDIA_TYPES)}")
    return out.getvalue()
