"""The stream processor's checkpoint: running feature state and the statement ids seen.

A SQLite file under ``PATHWISE_HOME/stream`` (one writer: the processor). State and seen
ids are committed in one transaction after a batch's features are pushed online and
appended offline, so a crash before the commit replays the batch from the same state and
produces the same rows (pushes overwrite; offline parts are named by batch), and a crash
after it makes the replayed statements duplicates that are skipped.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from features.mastery import MasteryModel, default_mastery
from features.transforms import (
    ENGAGEMENT,
    ITEM_STATS,
    LEARNER_COURSE,
    LEARNER_SKILL,
    EngagementState,
    FeatureState,
    ItemState,
    LearnerCourseState,
    LearnerSkillState,
    StateKey,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (statement_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS state (view TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (view, key));
CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_SEP = "\x1f"


_STATE_TYPES: dict[str, type] = {
    LEARNER_SKILL: LearnerSkillState,
    ENGAGEMENT: EngagementState,
    LEARNER_COURSE: LearnerCourseState,
    ITEM_STATS: ItemState,
}


def _decode(view: str, body: dict[str, Any]) -> Any:
    if view == ENGAGEMENT:
        body["recent"] = [tuple(pair) for pair in body.get("recent", [])]
    return _STATE_TYPES[view](**body)


class StateStore:
    """Load the state an incoming batch touches; save it with the batch's ids."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def unseen(self, statement_ids: Iterable[str]) -> set[str]:
        """The ids among ``statement_ids`` that no committed batch contained."""
        ids = list(dict.fromkeys(statement_ids))
        seen: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(f"SELECT statement_id FROM seen WHERE statement_id IN ({marks})", chunk)
            seen.update(r[0] for r in rows)
        return set(ids) - seen

    def load(self, keys: dict[str, set[StateKey]], bkt: MasteryModel | None = None) -> FeatureState:
        """A :class:`FeatureState` holding the committed state of the given entity keys."""
        state = FeatureState(bkt=bkt or default_mastery())
        targets = state.tables()
        for view, wanted in keys.items():
            encoded = [_SEP.join(k) for k in wanted]
            for start in range(0, len(encoded), 500):
                chunk = encoded[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, body FROM state WHERE view = ? AND key IN ({marks})", [view, *chunk]
                )
                for key, body in rows:
                    targets[view][tuple(key.split(_SEP))] = _decode(view, json.loads(body))
        return state

    def commit(self, state: FeatureState, statement_ids: Iterable[str]) -> None:
        """Save ``state`` and mark ``statement_ids`` processed, atomically."""
        items = [(view, key, value) for view, table in state.tables().items() for key, value in table.items()]
        with self._transaction():
            self._conn.executemany(
                "INSERT OR REPLACE INTO state (view, key, body) VALUES (?, ?, ?)",
                [(view, _SEP.join(key), json.dumps(asdict(value))) for view, key, value in items],
            )
            self._conn.executemany(
                "INSERT OR IGNORE INTO seen (statement_id) VALUES (?)", [(i,) for i in statement_ids]
            )

    def skills_of(self, learner_id: str) -> list[str]:
        """Skills with committed learner x skill state for ``learner_id``."""
        rows = self._conn.execute(
            "SELECT key FROM state WHERE view = ? AND key >= ? AND key < ? ORDER BY key",
            [LEARNER_SKILL, learner_id + _SEP, learner_id + chr(0x1F + 1)],
        )
        return [key.split(_SEP, 1)[1] for (key,) in rows]

    def mark(self, name: str) -> str | None:
        row = self._conn.execute("SELECT value FROM marks WHERE name = ?", [name]).fetchone()
        return None if row is None else str(row[0])

    def set_mark(self, name: str, value: str) -> None:
        with self._transaction():
            self._conn.execute("INSERT OR REPLACE INTO marks (name, value) VALUES (?, ?)", [name, value])

    def _transaction(self) -> _Tx:
        return _Tx(self._conn)


class _Tx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
