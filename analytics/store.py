"""The analytics store: an embedded DuckDB file of the LRS's statements, read as marts.

Dashboards never scan the platform's tables: every aggregate reads this file. It holds one row
per statement the analytics consumer has taken (read once with the shared statement reading,
:func:`features.events.statement_to_interaction`), the ids voided since, and the keys consumed, so
a statement delivered twice (a catch-up after the stream, a redelivery) is applied once: the keys and
the rows go in one transaction.

The marts are tables each batch keeps current for what it touched, in the same transaction:
``answers`` has one row per attempt (the first statement's who, what and when; the newest statement's
score, so a regrade or an adjustment replaces the outcome) and leaves out what was voided (a voided
revision brings the earlier score back); ``cells`` has each learner's proficiency per course and skill
(the mean of their last :data:`RECENT` answers on it), recomputed for the attempts the batch touched.

DuckDB lets one process hold a file at a time, so every use opens the file for the work at hand
and closes it (:meth:`AnalyticsStore.connect`), waiting its turn while another process holds it.
The SQL keeps to what PostgreSQL and ClickHouse also run, but for ``arg_min``/``arg_max`` (ClickHouse
has both; PostgreSQL spells them with ``DISTINCT ON``); ``analytics/README.md`` says how the store is
replaced at scale.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from features.events import StatementError, statement_to_interaction
from features.xapi_vocabulary import Extension, Verb

VOIDED_VERB = Verb.VOIDED
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS consumed (key VARCHAR PRIMARY KEY);
CREATE TABLE IF NOT EXISTS interactions (
    statement_id VARCHAR PRIMARY KEY,
    arrival BIGINT NOT NULL,
    learner_id VARCHAR NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    kind VARCHAR NOT NULL,
    verb VARCHAR NOT NULL,
    object_id VARCHAR NOT NULL,
    item_id VARCHAR,
    skill_id VARCHAR,
    course_id VARCHAR,
    assessment_id VARCHAR,
    attempt_id VARCHAR,
    correct BOOLEAN,
    score DOUBLE,
    duration_s DOUBLE,
    video_progress DOUBLE,
    response VARCHAR
);
CREATE TABLE IF NOT EXISTS voided (statement_id VARCHAR PRIMARY KEY);
CREATE TABLE IF NOT EXISTS store_state (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    answer_key VARCHAR PRIMARY KEY,
    statement_id VARCHAR,
    learner_id VARCHAR,
    ts TIMESTAMPTZ,
    item_id VARCHAR,
    skill_id VARCHAR,
    course_id VARCHAR,
    assessment_id VARCHAR,
    response VARCHAR,
    duration_s DOUBLE,
    score DOUBLE,
    correct BOOLEAN,
    revisions BIGINT
);
CREATE TABLE IF NOT EXISTS cells (
    course_id VARCHAR NOT NULL,
    learner_id VARCHAR NOT NULL,
    skill_id VARCHAR NOT NULL,
    proficiency DOUBLE,
    answers BIGINT NOT NULL,
    newest TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (course_id, learner_id, skill_id)
);
"""

#: One row per attempt: the first statement's who, what and when, the newest statement's outcome.
_ANSWERS_OF = """
SELECT
    coalesce(attempt_id, statement_id) AS answer_key,
    arg_min(statement_id, arrival),
    arg_min(learner_id, arrival),
    arg_min(ts, arrival),
    arg_min(item_id, arrival),
    arg_min(skill_id, arrival),
    arg_min(course_id, arrival),
    max(assessment_id),
    arg_min(response, arrival),
    arg_min(duration_s, arrival),
    arg_max(score, arrival),
    arg_max(correct, arrival),
    count(*) - 1
FROM interactions
WHERE kind = 'answer' AND statement_id NOT IN (SELECT statement_id FROM voided) {only}
GROUP BY 1
"""

#: How many of a learner's latest answers on a skill make their proficiency (a heatmap cell).
RECENT = 10

#: A cell: the mean score of the learner's last RECENT answers on the skill, in one course.
_CELLS_OF = """
SELECT course_id, learner_id, skill_id, avg(score) FILTER (WHERE recency <= {recent}), count(*), max(ts)
FROM (
    SELECT course_id, learner_id, skill_id, score, ts,
           row_number() OVER (PARTITION BY course_id, learner_id, skill_id ORDER BY ts DESC) AS recency
    FROM answers
    WHERE course_id IS NOT NULL AND skill_id IS NOT NULL AND score IS NOT NULL {only}
)
GROUP BY 1, 2, 3
"""


COLUMNS = (
    "statement_id", "arrival", "learner_id", "ts", "kind", "verb", "object_id", "item_id", "skill_id", "course_id",
    "assessment_id", "attempt_id", "correct", "score", "duration_s", "video_progress", "response",
)  # fmt: skip
_NOT_TEXT = {
    "arrival": pa.int64(),
    "ts": pa.timestamp("us", tz="UTC"),
    "correct": pa.bool_(),
    "score": pa.float64(),
    "duration_s": pa.float64(),
    "video_progress": pa.float64(),
}
#: ``interactions`` as Arrow: how a batch (and the benchmark's bulk load) is handed to DuckDB.
ARROW_SCHEMA = pa.schema([(name, _NOT_TEXT.get(name, pa.string())) for name in COLUMNS])


#: One lock per store file in this process, and the files whose schema this process has made sure of.
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
_READY: set[Path] = set()


def _process_lock(path: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path, threading.Lock())


class StoreBusyError(RuntimeError):
    """Another process held the analytics file for longer than the wait allowed."""


@dataclass
class ApplyReport:
    """What one batch did: new rows, statements seen before, voids, and statements no mart can read."""

    applied: int = 0
    duplicates: int = 0
    voids: int = 0
    unreadable: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AnalyticsStore:
    """The DuckDB file at ``path`` (made, with its schema, on first use)."""

    path: Path
    wait_s: float = 30.0

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The file, for one piece of work: one user at a time in this process, and waiting while another
        process holds it (DuckDB refuses a second process, and mixed modes within one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _process_lock(self.path):
            made = not self.path.exists()
            deadline = time.monotonic() + self.wait_s
            while True:
                try:
                    connection = duckdb.connect(str(self.path))
                    break
                except duckdb.IOException as error:
                    if "lock" not in str(error).lower() or time.monotonic() > deadline:
                        message = f"the analytics store {self.path} is held by another process: {error}"
                        raise StoreBusyError(message) from None
                    time.sleep(0.05)
            try:
                connection.execute("SET TimeZone = 'UTC'")  # weeks and days start at UTC midnight
                if made or self.path not in _READY:
                    connection.execute(_SCHEMA)
                    _READY.add(self.path)
                yield connection
            finally:
                connection.close()

    def apply(self, statements: Iterable[dict[str, Any]], *, state: dict[str, str] | None = None) -> ApplyReport:
        """Take a batch of statements, each once; ``state`` (e.g. a catch-up watermark) commits with them."""
        report = ApplyReport()
        with self.connect() as db:
            db.execute("BEGIN TRANSACTION")
            try:
                _apply(db, list(statements), report)
                for name, value in {"schema": SCHEMA_VERSION, **(state or {})}.items():
                    db.execute("INSERT OR REPLACE INTO store_state VALUES (?, ?)", [name, value])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return report

    def state(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        with self.connect() as db:
            return {
                str(name): str(value) for name, value in db.execute("SELECT name, value FROM store_state").fetchall()
            }


def _apply(db: duckdb.DuckDBPyConnection, statements: list[dict[str, Any]], report: ApplyReport) -> None:
    keys = [str(s.get("id")) for s in statements if isinstance(s, dict) and s.get("id")]
    seen = {row[0] for row in db.execute("SELECT key FROM consumed WHERE key IN (SELECT unnest(?))", [keys]).fetchall()}
    [(arrival,)] = db.execute("SELECT coalesce(max(arrival), 0) FROM interactions").fetchall()
    rows: list[tuple[Any, ...]] = []
    voids: list[str] = []
    fresh: list[str] = []
    for statement in statements:
        key = str(statement.get("id")) if isinstance(statement, dict) else ""
        if not key:
            report.unreadable += 1
            continue
        if key in seen:
            report.duplicates += 1
            continue
        seen.add(key)
        fresh.append(key)
        verb = (statement.get("verb") or {}).get("id")
        target = statement.get("object") or {}
        if verb == VOIDED_VERB and target.get("objectType") == "StatementRef" and target.get("id"):
            voids.append(str(target["id"]))
            continue
        try:
            row = _row(statement)
        except StatementError as error:
            report.unreadable += 1
            if len(report.reasons) < 5:
                report.reasons.append(f"{key}: {error}")
            continue
        arrival += 1
        rows.append((row[0], arrival, *row[1:]))
    # whole columns at once: DuckDB takes an Arrow table in one step, where row inserts cost a round each
    if fresh:
        db.register("fresh_keys", pa.table({"key": pa.array(fresh, pa.string())}))
        db.execute("INSERT INTO consumed SELECT key FROM fresh_keys")
    if rows:
        db.register(
            "fresh_rows", pa.Table.from_pylist([dict(zip(COLUMNS, row, strict=True)) for row in rows], ARROW_SCHEMA)
        )
        db.execute("INSERT INTO interactions SELECT * FROM fresh_rows")
    if voids:
        db.register("fresh_voids", pa.table({"statement_id": pa.array(sorted(set(voids)), pa.string())}))
        db.execute("INSERT OR IGNORE INTO voided SELECT statement_id FROM fresh_voids")
    touched = {str(row[11] or row[0]) for row in rows if row[4] == "answer"}  # attempt id, else statement id
    if voids:
        touched |= {
            str(key)
            for (key,) in db.execute(
                "SELECT DISTINCT coalesce(attempt_id, statement_id) FROM interactions "
                "WHERE statement_id IN (SELECT statement_id FROM fresh_voids)"
            ).fetchall()
        }
    if touched:
        _refresh_marts(db, sorted(touched))
    report.applied += len(rows)
    report.voids += len(voids)


def _refresh_marts(db: duckdb.DuckDBPyConnection, keys: list[str]) -> None:
    """Recompute the answers of the touched attempts, then the cells those answers are in (before and after)."""
    db.register("touched_keys", pa.table({"answer_key": pa.array(keys, pa.string())}))
    touched = "AND coalesce(attempt_id, statement_id) IN (SELECT answer_key FROM touched_keys)"
    cells_of_keys = (
        "SELECT DISTINCT course_id, learner_id, skill_id FROM answers "
        "WHERE answer_key IN (SELECT answer_key FROM touched_keys) AND course_id IS NOT NULL AND skill_id IS NOT NULL"
    )
    db.execute(f"CREATE OR REPLACE TEMP TABLE touched_cells AS {cells_of_keys}")
    db.execute("DELETE FROM answers WHERE answer_key IN (SELECT answer_key FROM touched_keys)")
    db.execute(f"INSERT INTO answers {_ANSWERS_OF.format(only=touched)}")
    db.execute(f"INSERT INTO touched_cells {cells_of_keys} EXCEPT SELECT * FROM touched_cells")
    in_touched = (
        "AND (course_id, learner_id, skill_id) IN (SELECT (course_id, learner_id, skill_id) FROM touched_cells)"
    )
    db.execute(f"DELETE FROM cells WHERE true {in_touched}")
    db.execute(f"INSERT INTO cells {_CELLS_OF.format(recent=RECENT, only=in_touched)}")
    db.execute("DROP TABLE touched_cells")


def rebuild_marts(db: duckdb.DuckDBPyConnection) -> None:
    """Every mart from ``interactions`` again (rows written there directly, or a store made before a mart)."""
    db.execute("DELETE FROM answers")
    db.execute(f"INSERT INTO answers {_ANSWERS_OF.format(only='')}")
    db.execute("DELETE FROM cells")
    db.execute(f"INSERT INTO cells {_CELLS_OF.format(recent=RECENT, only='')}")


def _row(statement: dict[str, Any]) -> tuple[Any, ...]:
    """The statement as an ``interactions`` row, without its arrival number."""
    read = statement_to_interaction(statement)
    extensions = (statement.get("context") or {}).get("extensions") or {}
    assessment = extensions.get(Extension.ASSESSMENT_ID)
    response = (statement.get("result") or {}).get("response")
    return (
        read.statement_id,
        read.learner_id,
        read.timestamp.astimezone(UTC),
        read.kind,
        read.verb,
        read.object_id,
        read.item_id,
        read.skill_id,
        read.course_id,
        None if assessment in (None, "") else str(assessment),
        read.attempt_id,
        read.correct,
        read.score,
        read.duration_s,
        read.video_progress,
        None if response is None else str(response),
    )


def now_text() -> str:
    return datetime.now(UTC).isoformat()
