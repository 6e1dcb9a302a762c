"""``pathwise rollout`` end to end on a real database and MLflow registry: start, watch, abort, promote."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pathwise.cli import build_cli


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("pathwise-bkt")
    for _ in range(3):
        client.create_model_version("pathwise-bkt", source=(tmp_path / "artefact").as_uri())
    client.set_registered_model_alias("pathwise-bkt", "champion", "1")
    monkeypatch.setenv("PATHWISE_MLFLOW_TRACKING_URI", uri)
    return uri


def test_start_watch_abort_and_promote(registry: str) -> None:
    runner = CliRunner()
    cli = build_cli()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, list(args))
        return result.exit_code, result.output

    assert run("db", "upgrade")[0] == 0
    assert run("rollout", "status") == (1, "no rollout stored for slot 'kt'\n")
    code, out = run("rollout", "start", "2")
    assert code == 0 and "canary of version 2 at 5%" in out
    code, out = run("rollout", "start", "3")
    assert code == 2 and "already running" in out
    code, out = run("rollout", "status")
    assert code == 0 and '"state": "running"' in out and '"traffic_percent": 5.0' in out and "start" in out
    assert run("rollout", "abort")[0] == 0
    code, out = run("rollout", "start", "3", "--mode", "ab", "--traffic", "150")
    assert code == 2 and "less than or equal to 100" in out
    code, out = run("rollout", "start", "3", "--mode", "ab", "--traffic", "30")
    assert code == 0 and "ab of version 3 at 30%" in out
    code, out = run("rollout", "promote")
    assert code == 0
    code, out = run("rollout", "status")
    assert '"champion": "3"' in out and '"state": "promoted"' in out
    assert [line.split()[2] for line in out.splitlines() if line[:1].isdigit()] == [
        "promote",
        "start",
        "abort",
        "start",
    ]
    code, out = run("rollout", "promote")
    assert code == 2 and "no running rollout" in out
