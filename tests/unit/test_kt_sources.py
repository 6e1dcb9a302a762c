"""KT training reads its rows from the LRS or through the kt_v1 FeatureService, and records which."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from features.config import FeatureSettings
from features.store import open_repo
from features.xapi_vocabulary import answered_statement
from pathwise.cli import build_cli
from pathwise.config import CommonSettings
from pathwise.registry import configure_mlflow
from pipelines.feature_backfill import backfill

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def small_history(learners: int = 8, answers: int = 20, seed: int = 5) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    history = [
        answered_statement(
            f"learner-{n % learners}",
            f"i{rng.randrange(9)}",
            f"k{rng.randrange(3)}",
            rng.random() < 0.65,
            timestamp=T0 + timedelta(minutes=3 * n),
            statement_id=f"00000000-0000-4000-8000-{n:012d}",
            duration_s=30.0,
        )
        for n in range(learners * answers)
    ]
    return history


def store_in_lrs(db_url: str, statements: list[dict[str, Any]]) -> None:
    from platform_api.core.db import make_engine, make_session_factory, transaction
    from platform_api.core.migrate import upgrade
    from platform_api.lrs.store import store_statements

    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            store_statements(session, statements, batch=True)
    finally:
        engine.dispose()


def train(*args: str) -> Any:
    result = CliRunner().invoke(build_cli(), ["train", "bkt", "--no-register", "--experiment", "test-src", *args])
    return result


def test_training_reads_the_lrs_or_the_kt_v1_service(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWISE_DATABASE_URL", sqlite_url)
    unmigrated = train("--source", "lrs")
    assert unmigrated.exit_code == 2 and "cannot read statements from the LRS" in unmigrated.stderr

    history = small_history()
    store_in_lrs(sqlite_url, history)
    from_lrs = train("--source", "lrs")
    assert from_lrs.exit_code == 0, from_lrs.output
    lrs_run = json.loads(from_lrs.stdout)

    unapplied = train("--source", "kt_v1")
    assert unapplied.exit_code == 2 and "pathwise features apply" in unapplied.stderr

    settings = FeatureSettings()
    open_repo(settings).apply()
    backfill(settings, history)
    from_kt = train("--source", "kt_v1")
    assert from_kt.exit_code == 0, from_kt.output
    kt_run = json.loads(from_kt.stdout)

    client = configure_mlflow(CommonSettings())
    lrs_tags = client.get_run(lrs_run["run_id"]).data
    kt_tags = client.get_run(kt_run["run_id"]).data
    assert (lrs_tags.tags["data_source"], lrs_tags.tags["feature_service"]) == ("lrs", "none")
    assert (kt_tags.tags["data_source"], kt_tags.tags["feature_service"]) == ("kt_v1", "kt_v1")
    assert kt_tags.params["feature_service"] == "kt_v1" and kt_tags.tags["gate"] == "passed"
    # Same answers either way, so the same rows reach the model.
    assert kt_tags.tags["dataset_digest_train"] == lrs_tags.tags["dataset_digest_train"]
    assert kt_run["auc"] == pytest.approx(lrs_run["auc"])


def test_dataset_options_need_the_dataset_source(tmp_path: Path) -> None:
    wrong = train("--source", "lrs", "--dataset", "assist2009")
    assert wrong.exit_code == 2 and "only with --source dataset" in wrong.stderr
    unknown = train("--source", "parquet")
    assert unknown.exit_code == 2 and "unknown source" in unknown.stderr
