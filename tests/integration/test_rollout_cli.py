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
    artefact = tmp_path / "artefact"
    artefact.mkdir()
    (artefact / "MLmodel").write_text("flavors: {}\n")
    for _ in range(3):
        client.create_model_version("pathwise-bkt", source=artefact.as_uri())
    client.create_model_version("pathwise-bkt", source=(tmp_path / "gone").as_uri())  # v4: its files are missing
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
    code, out = run("rollout", "status")
    assert code == 0 and out.startswith("pathwise-bkt v1 serves every learner (the registry's champion")
    code, out = run("rollout", "start", "2")
    assert code == 0 and "canary of version 2 at 5%" in out
    code, out = run("rollout", "start", "3")
    assert code == 2 and "already running" in out
    code, out = run("rollout", "status")
    assert code == 0 and '"state": "running"' in out and '"traffic_percent": 5.0' in out and "start" in out
    assert run("rollout", "abort")[0] == 0
    code, out = run("rollout", "status")
    assert out.splitlines()[0] == (
        "pathwise-bkt v1 serves every learner; no rollout is in progress (the last one, of v2, was aborted)"
    )
    code, out = run("rollout", "start", "3", "--mode", "ab", "--traffic", "150")
    assert code == 2 and out == "pathwise: --traffic is a percentage of learners from 0 to 100; 150 is out of range\n"
    code, out = run("rollout", "start", "3", "--mode", "ab", "--traffic", "30")
    assert code == 0 and "ab of version 3 at 30%" in out
    code, out = run("rollout", "promote")  # the API's rule: no learner has been served the challenger yet
    assert code == 2 and out.startswith("pathwise: not promoted: version 3 has served 0 of the ") and "--force" in out
    code, out = run("rollout", "promote", "--force", "offline evaluation is enough for this fix")
    assert code == 0 and "past its gates: offline evaluation is enough for this fix" in out
    code, out = run("rollout", "status")
    assert out.splitlines()[0] == (
        "pathwise-bkt v3 serves every learner; no rollout is in progress (the last one promoted v3 to champion)"
    )
    assert '"champion": "3"' in out and '"state": "promoted"' in out
    assert [line.split()[2] for line in out.splitlines() if line[:1].isdigit()] == [
        "promote",
        "start",
        "abort",
        "start",
    ]
    code, out = run("rollout", "promote")
    assert code == 2 and "no running rollout" in out


def test_start_refuses_what_does_not_exist_in_one_line(registry: str) -> None:
    runner = CliRunner()
    cli = build_cli()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, list(args))
        return result.exit_code, result.output

    assert run("db", "upgrade")[0] == 0
    refusals = {
        ("9",): "pathwise: version 9 of 'pathwise-bkt' is not in the registry (registered: 1, 2, 3, 4)",
        ("4",): "pathwise: version 4 of 'pathwise-bkt' cannot be loaded: its files are missing",
        ("1",): "pathwise: version 1 is already the champion of 'pathwise-bkt'",
        ("two",): "pathwise: CHALLENGER is a registry version number such as 2, not 'two'",
        ("2", "--traffic", "150"): "pathwise: --traffic is a percentage of learners from 0 to 100",
        ("2", "--traffic", "-1"): "pathwise: --traffic is a percentage of learners from 0 to 100",
        ("2", "--traffic", "30"): "pathwise: --traffic sets an A/B split (--mode ab)",
        ("2", "--mode", "blue"): "pathwise: --mode must be ab, canary or shadow, not 'blue'",
        ("2", "--slot", "essay"): "pathwise: --slot must be kt or sequencer, not 'essay'",
    }
    for args, says in refusals.items():
        code, out = run("rollout", "start", *args)
        assert code == 2, (args, out)
        assert out.startswith(says) and out.count("\n") == 1, (args, out)
        assert "validation error" not in out and "pydantic" not in out
    code, out = run("rollout", "status")
    assert code == 0 and "v1 serves every learner" in out  # nothing was started
