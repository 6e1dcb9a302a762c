"""``pathwise up`` prints each finished step whole: a long outcome wraps, it is never cut at the width."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import pathwise.up
from pathwise.cli import build_cli
from platform_api.core.config import APISettings

OUTCOME = (
    "seeded 420 learners, 99 skills, 10135 items, 28845 attempts from the ASSISTments 2009 sample, "
    "and a calibrated bank of 1609 items for the adaptive tests"
)


def _seed(settings: APISettings) -> str:
    return OUTCOME


def test_a_long_step_outcome_is_printed_whole_in_80_columns(
    monkeypatch: pytest.MonkeyPatch, _isolated_home: Path
) -> None:
    monkeypatch.setattr(pathwise.up, "UP_STEPS", [pathwise.up.UpStep("seed demo organization and course", _seed)])
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(build_cli(), ["up", "--no-serve"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"state directory: {_isolated_home}" in lines[0]  # a path is never folded, however long
    assert all(len(line) <= 80 for line in lines if str(_isolated_home) not in line), result.output
    assert "…" not in result.output
    assert f"seed demo organization and course: {OUTCOME} (" in " ".join(result.output.split())
    assert lines[-1] == "set-up done; `pathwise up` without --no-serve, or `pathwise api`, serves the API"
    assert not any("http://" in line for line in lines)  # nothing serves: no address is printed
