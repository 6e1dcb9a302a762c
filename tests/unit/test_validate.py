"""Great Expectations gates: every defect class is caught, failing data is quarantined or refused."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.config import FeatureSettings
from features.offline import ParquetSink
from features.xapi_vocabulary import answered_statement
from pathwise.cli import build_cli
from pipelines.stream import StreamProcessor
from pipelines.stream_source import IterableSource
from pipelines.stream_state import StateStore
from pipelines.validate import DataQualityError, Gates, TrainingBounds, events_frame

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def gates(tmp_path_factory: pytest.TempPathFactory) -> Gates:
    return Gates(tmp_path_factory.mktemp("gx-home"))


def clean_batch(n: int = 8) -> list[Any]:
    return [
        answered_statement(
            f"l{i % 3}",
            f"i{i}",
            f"k{i % 2}",
            i % 2 == 0,
            timestamp=NOW - timedelta(minutes=n - i),
            statement_id=f"s{i}",
            duration_s=15.0,
        )
        for i in range(n)
    ]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    def mutate(statement: dict[str, Any]) -> Any:
        node = statement
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        if value is _DROP:
            node.pop(leaf, None)
        else:
            node[leaf] = value
        return statement

    return mutate


_DROP = object()

#: defect class -> (how to inject it into one statement, the expectation that must catch it)
DEFECTS: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "missing id": (_set("id", _DROP), "expect_column_values_to_not_be_null(id)"),
    "missing actor": (_set("actor", _DROP), "expect_column_values_to_not_be_null(learner_id)"),
    "missing verb": (_set("verb", _DROP), "expect_column_values_to_not_be_null(verb_id)"),
    "missing object": (_set("object", _DROP), "expect_column_values_to_not_be_null(object_id)"),
    "missing timestamp": (_set("timestamp", _DROP), "expect_column_values_to_not_be_null(timestamp)"),
    "unknown verb": (_set("verb.id", "http://example.org/verbs/liked"), "expect_column_values_to_be_in_set(verb_id)"),
    "score above range": (_set("result.score.scaled", 1.7), "expect_column_values_to_be_between(score_scaled)"),
    "score below range": (_set("result.score.scaled", -3), "expect_column_values_to_be_between(score_scaled)"),
    "negative duration": (_set("result.duration", "PT99999S"), "expect_column_values_to_be_between(duration_s)"),
    "future timestamp": (
        _set("timestamp", (NOW + timedelta(days=2)).isoformat()),
        "expect_column_values_to_be_between(timestamp)",
    ),
    "schema: score not a number": (
        _set("result.score.scaled", "high"),
        "expect_column_values_to_be_null(schema_error)",
    ),
    "schema: bad duration": (_set("result.duration", "ten seconds"), "expect_column_values_to_be_null(schema_error)"),
    "schema: actor not an object": (_set("actor", "ada"), "expect_column_values_to_be_null(schema_error)"),
    "answer without skill": (_set("context", {}), "expect_column_values_to_not_be_null(skill_id)"),
    "not a JSON object": (lambda s: "this is not json", "expect_column_values_to_be_null(schema_error)"),
}


def test_clean_batch_passes(gates: Gates) -> None:
    assert gates.check_events(events_frame(clean_batch())).success


def test_each_defect_class_is_caught(gates: Gates) -> None:
    """One batch, one defect class per row: each row is named by the expectation for its defect."""
    names = sorted(DEFECTS)
    batch = clean_batch(len(names) + 3)
    for row, name in enumerate(names):
        batch[row] = DEFECTS[name][0](copy.deepcopy(batch[row]))
    result = gates.check_events(events_frame(batch))
    assert not result.success
    assert result.bad_rows == set(range(len(names)))  # the clean tail is not blamed
    for row, name in enumerate(names):
        expectation = DEFECTS[name][1]
        caught = [f for f in result.failures if f.describe().startswith(expectation) and row in f.rows]
        assert caught, f"{name!r} (row {row}) not caught by {expectation}"


def test_duplicate_ids_are_caught(gates: Gates) -> None:
    batch = clean_batch()
    batch[5]["id"] = batch[2]["id"]
    result = gates.check_events(events_frame(batch))
    assert [f.expectation for f in result.failures] == ["expect_column_values_to_be_unique"]
    assert result.bad_rows == {2, 5}


def test_empty_batch_fails_at_table_level(gates: Gates) -> None:
    result = gates.check_events(events_frame([]))
    assert not result.success and result.table_level_failure


def test_stream_quarantines_bad_statements_and_keeps_good_ones(gates: Gates, tmp_path: Path) -> None:
    batch = clean_batch()
    batch[1]["verb"]["id"] = "http://example.org/verbs/liked"
    batch[4]["result"]["score"]["scaled"] = 9
    processor = StreamProcessor(
        StateStore(tmp_path / "state.db"), None, ParquetSink(tmp_path / "offline"), tmp_path / "q", gates
    )
    source = IterableSource(batch)
    report = processor.run(source, batch_size=100, block_ms=0, idle_exit_s=0.0)
    assert (report.processed, report.quarantined) == (6, 2)
    assert len(source.acked) == 8  # quarantined messages are acknowledged: they live in quarantine now
    (folder,) = report.quarantine_folders
    kept = [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()]
    assert [k["id"] for k in kept] == ["s1", "s4"]
    summary = json.loads((folder / "summary.json").read_text())
    assert any("verb_id" in f for f in summary["failed_expectations"])
    assert (folder / "validation_report.json").is_file()


def training_frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label_time = pd.Timestamp("2026-03-01", tz="UTC") + pd.to_timedelta(np.arange(n), unit="min")
    return pd.DataFrame(
        {
            "learner_id": [f"l{i % 7}" for i in range(n)],
            "skill_id": "k1",
            "label_timestamp": label_time,
            "feature_timestamp": label_time - pd.Timedelta(minutes=3),
            "label": rng.integers(0, 2, n),
            "bkt_mastery": rng.random(n),
            "attempts": rng.integers(1, 9, n).astype("float64"),
        }
    )


TRAINING_DEFECTS: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], str]] = {
    "feature after label (leakage)": (
        lambda f: f.assign(
            feature_timestamp=f["label_timestamp"].where(f.index != 10, f["label_timestamp"] + pd.Timedelta(seconds=1))
        ),
        "expect_column_pair_values_a_to_be_greater_than_b",
    ),
    "feature at label time": (
        lambda f: f.assign(feature_timestamp=f["label_timestamp"]),
        "expect_column_pair_values_a_to_be_greater_than_b",
    ),
    "too many nulls": (
        lambda f: f.assign(bkt_mastery=f["bkt_mastery"].where(f.index % 3 == 0)),
        "expect_column_values_to_not_be_null(bkt_mastery)",
    ),
    "class imbalance": (lambda f: f.assign(label=(f.index % 50 == 0).astype(int)), "expect_column_mean_to_be_between"),
    "too few rows": (lambda f: f.head(20), "expect_table_row_count_to_be_between"),
    "label not binary": (
        lambda f: f.assign(label=f["label"].where(f.index != 4, 2)),
        "expect_column_values_to_be_in_set",
    ),
}


def test_clean_training_set_passes_and_builds_data_docs(gates: Gates) -> None:
    result = gates.require_training_set(training_frame(), ["bkt_mastery", "attempts"])
    assert result.success
    assert (gates.docs_dir / "index.html").is_file()


@pytest.mark.parametrize("defect", sorted(TRAINING_DEFECTS))
def test_training_refuses_bad_data_naming_the_expectation(gates: Gates, defect: str) -> None:
    inject, expectation = TRAINING_DEFECTS[defect]
    with pytest.raises(DataQualityError, match=expectation.replace("(", r"\(").replace(")", r"\)")):
        gates.require_training_set(
            inject(training_frame()), ["bkt_mastery", "attempts"], TrainingBounds(), build_docs=False
        )


def test_data_validate_cli_quarantines_a_failing_file(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    batch = clean_batch()
    good.write_text("\n".join(json.dumps(s) for s in batch))
    batch[2]["result"]["score"]["scaled"] = 4
    bad.write_text("\n".join(json.dumps(s) for s in batch) + "\n{not json\n")
    runner = CliRunner()
    ok = runner.invoke(build_cli(), ["data", "validate", str(good)])
    assert ok.exit_code == 0, ok.output
    failed = runner.invoke(build_cli(), ["data", "validate", str(bad)])
    assert failed.exit_code == 1
    summary = json.loads(failed.stdout)
    assert summary["rows"] == 9
    assert any(f.startswith("expect_column_values_to_be_between(score_scaled)") for f in summary["failed_expectations"])
    folder = Path(summary["quarantined_to"])
    assert folder.is_relative_to(FeatureSettings().quarantine_dir)
    assert len((folder / "records.jsonl").read_text().splitlines()) == 9
    assert Path(summary["data_docs"]).is_file()
    missing = runner.invoke(build_cli(), ["data", "validate", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2
