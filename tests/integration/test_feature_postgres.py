"""The production offline store (PostgreSQL): stream appends, replays, point-in-time joins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from features.config import FeatureSettings
from features.store import open_repo
from features.transforms import LEARNER_SKILL
from features.xapi_vocabulary import answered_statement
from pipelines.stream import StreamProcessor
from pipelines.stream_source import IterableSource
from pipelines.stream_state import StateStore

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_postgres_offline_store_round_trip(pg_url: str, tmp_path: Path) -> None:
    settings = FeatureSettings(home=tmp_path / "home", features_offline_store="postgres", features_postgres_url=pg_url)
    repo = open_repo(settings)
    repo.apply()
    sink = repo.offline_sink()
    history = [
        answered_statement("ada", "i1", "k1", True, timestamp=T0, statement_id="a1", duration_s=20),
        answered_statement(
            "ada", "i2", "k1", False, timestamp=T0 + timedelta(minutes=10), statement_id="a2", duration_s=40
        ),
        answered_statement(
            "ada", "i1", "k1", True, timestamp=T0 + timedelta(minutes=20), statement_id="a3", duration_s=60
        ),
    ]
    processor = StreamProcessor(StateStore(tmp_path / "state.db"), repo.push, sink, tmp_path / "q", None)
    processor.run(IterableSource(history), batch_size=10, block_ms=0, idle_exit_s=0.0)
    # A replay of the same batch (as after a crash before the checkpoint) replaces its rows.
    fresh = StreamProcessor(StateStore(tmp_path / "other.db"), None, sink, tmp_path / "q", None)
    fresh.run(IterableSource(history), batch_size=10, block_ms=0, idle_exit_s=0.0)
    assert sink.count(LEARNER_SKILL) == 3  # type: ignore[attr-defined]

    entity = pd.DataFrame(
        {
            "learner_id": ["ada", "ada", "ada"],
            "skill_id": ["k1", "k1", "k1"],
            "event_timestamp": [T0 - timedelta(minutes=1), T0 + timedelta(minutes=15), T0 + timedelta(minutes=20)],
        }
    )
    joined = repo.historical("kt_v1", entity)
    assert pd.isna(joined["attempts"].iloc[0])
    assert joined["attempts"].iloc[1:].tolist() == [2, 3]
    assert joined["streak"].iloc[1:].tolist() == [0, 1]
