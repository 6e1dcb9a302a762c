"""``pathwise models list`` shows every registered name whole, at any terminal width, and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pathwise.cli import build_cli

LONG = "pathwise-bkt-district-pilot-spring-term-with-forgetting-and-slips"  # 65 characters


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Two registered models, one with a long name, written through MLflow's own client."""
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("PATHWISE_MLFLOW_TRACKING_URI", uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    for name in (LONG, "pathwise-essay"):
        client.create_registered_model(name)
        for _ in range(2):
            client.create_model_version(name, source=(tmp_path / "artefact").as_uri())
    tags = {"validation_status": "passed", "test_auc": "0.694231", "holdout_auc": "0.701", "dataset": "assist2009_pid"}
    for key, value in tags.items():
        client.set_model_version_tag(LONG, "1", key, value)
    client.set_registered_model_alias(LONG, "champion", "1")
    client.set_registered_model_alias(LONG, "challenger", "2")
    client.set_registered_model_alias("pathwise-essay", "champion", "2")
    return uri


def _list(monkeypatch: pytest.MonkeyPatch, columns: int, *args: str) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(columns))
    result = CliRunner().invoke(build_cli(), ["models", "list", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_a_long_name_is_shown_whole_in_80_columns(registry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _list(monkeypatch, 80)
    assert LONG in lines and "pathwise-essay" in lines  # each name whole, on a line of its own
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    assert not any("…" in line for line in lines), "\n".join(lines)
    champion = next(line for line in lines if line.startswith("│       1 │ champion"))
    assert "passed" in champion and "0.6942" in champion and "0.7010" in champion
    assert any("│       2 │ challenger" in line for line in lines)


@pytest.mark.parametrize("columns", [60, 40, 24, 16])
def test_a_narrow_terminal_loses_columns_never_names(
    registry: str, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    lines = _list(monkeypatch, columns)
    assert LONG in lines and "pathwise-essay" in lines
    assert not any("…" in line for line in lines), "\n".join(lines)
    assert all(len(line) <= columns for line in lines if line not in (LONG, "pathwise-essay")), "\n".join(lines)
    text = " ".join(lines)
    assert "champion" in text and "challenger" in text  # versions and aliases always stay


def test_json_lists_every_version_with_its_full_name(registry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = json.loads("\n".join(_list(monkeypatch, 40, "--json")))
    assert [(r["name"], r["version"], r["aliases"]) for r in rows] == [
        (LONG, "1", ["champion"]),
        (LONG, "2", ["challenger"]),
        ("pathwise-essay", "1", []),
        ("pathwise-essay", "2", ["champion"]),
    ]
    assert rows[0]["test_auc"] == "0.694231" and rows[0]["dataset"] == "assist2009_pid"
    assert json.loads("\n".join(_list(monkeypatch, 80, "nope", "--json"))) == []


def test_nothing_registered_is_one_sentence(registry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _list(monkeypatch, 80, "nope") == [
        "No model named 'pathwise-nope' is registered yet; `pathwise train bkt` trains and registers one."
    ]
