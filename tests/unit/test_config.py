from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pathwise.cli import build_cli
from pathwise.config import CommonSettings, SettingsError, load
from platform_api.core.config import APISettings


def test_embedded_defaults_live_under_home(_isolated_home: Path) -> None:
    settings = load(APISettings)
    assert settings.home == _isolated_home.resolve()
    assert settings.db_url == f"sqlite:///{_isolated_home.resolve() / 'pathwise.db'}"
    assert settings.mlflow_uri == f"sqlite:///{_isolated_home.resolve() / 'mlflow.db'}"
    assert settings.redis_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_production_switches_come_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWISE_DATABASE_URL", "postgresql://u@db:5432/pathwise")
    monkeypatch.setenv("PATHWISE_REDIS_URL", "redis://cache:6379/0")
    settings = load(CommonSettings)
    assert settings.db_url == "postgresql://u@db:5432/pathwise"
    assert settings.redis_url == "redis://cache:6379/0"


def test_empty_variable_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWISE_DATABASE_URL", "")
    assert load(CommonSettings).database_url is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PATHWISE_PORT", "eighty"),
        ("PATHWISE_PORT", "70000"),
        ("PATHWISE_LOG_FORMAT", "xml"),
        ("PATHWISE_LOG_LEVEL", "loud"),
        ("PATHWISE_DB_POOL_SIZE", "0"),
    ],
)
def test_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load(APISettings)
    assert variable in str(caught.value)
    assert repr(value) in str(caught.value)


def test_cli_reports_invalid_setting_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWISE_PORT", "eighty")
    result = CliRunner().invoke(build_cli(), ["api"])
    assert result.exit_code == 2
    assert "invalid setting PATHWISE_PORT='eighty'" in result.output
