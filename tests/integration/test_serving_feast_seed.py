"""Unseen learners start from their Feast online features: a real Feast store fed by the stream processor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from features.config import FeatureSettings
from features.offline import ParquetSink
from features.store import open_repo
from features.xapi_vocabulary import answered_statement
from pipelines.stream import StreamProcessor
from pipelines.stream_source import IterableSource
from pipelines.stream_state import StateStore
from serving.feast_seed import FeastSeed
from serving.state import MemoryState

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_online_features_become_learner_state(tmp_path: Path) -> None:
    home = tmp_path / "home"
    repo = open_repo(FeatureSettings(home=home))
    repo.apply()
    answers = [("i1", True), ("i2", False), ("i1", True), ("i3", True)]
    statements = [
        answered_statement(
            "ada", item, "k1", correct, timestamp=T0 + timedelta(minutes=n), statement_id=f"s{n}", duration_s=30
        )
        for n, (item, correct) in enumerate(answers)
    ]
    processor = StreamProcessor(
        state=StateStore(home / "stream" / "state.db"),
        push=repo.push,
        offline=ParquetSink(repo.settings.offline_dir),
        quarantine_dir=repo.settings.quarantine_dir,
        gates=None,
    )
    processor.run(IterableSource(statements), batch_size=100, block_ms=0, idle_exit_s=0.0)

    seed = FeastSeed(str(home))
    replayed = seed.answers("ada", ["k1", "k2"])
    assert [(skill, correct) for skill, correct, _, _ in replayed] == [
        ("k1", False),
        ("k1", True),
        ("k1", True),
        ("k1", True),
    ]
    assert all(seconds == 30.0 and at == T0 + timedelta(minutes=3) for _, _, seconds, at in replayed)
    assert seed.answers("nobody", ["k1"]) == []
    assert seed.answers("ada", []) == []

    state = MemoryState()
    for skill, correct, seconds, at in replayed:
        state.record("ada", skill, f"features:{skill}", correct, seconds, at)
    learner = state.load("ada")
    assert learner is not None and learner.attempts == {"k1": 4} and learner.fallback_mastery(["k1"]) == {"k1": 4 / 6}
