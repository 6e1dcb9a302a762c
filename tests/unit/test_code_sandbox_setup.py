"""Sandbox set-up that needs no bubblewrap: the command line it builds and the missing-bwrap error."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.code.grader import grade_submission
from models.code.report import SandboxLimits
from models.code.sandbox import Interpreter, SandboxUnavailable, _bwrap_command
from pathwise.cli import build_cli

TESTS = "from solution import f\n\ndef test_f():\n    assert f() == 1\n"


@pytest.mark.parametrize("as_root", [True, False])
def test_command_isolates_network_processes_and_filesystem(as_root: bool) -> None:
    interpreter = Interpreter("/opt/py/bin/python", ("/opt/py", "/usr/local"))
    cmd = _bwrap_command("bwrap", interpreter, SandboxLimits(scratch_mb=7), {"solution.py": 5}, 3, 4, as_root)
    joined = " ".join(cmd)
    assert ("--unshare-net" in cmd) if as_root else ("--unshare-all" in cmd)
    assert "--unshare-pid" in cmd or "--unshare-all" in cmd
    assert {"--die-with-parent", "--new-session", "--clearenv"} <= set(cmd)
    assert "--share-net" not in cmd
    assert ("CAP_SETUID" in cmd) == as_root
    # Only read-only binds of system and interpreter paths; the one writable place is the tmpfs.
    binds = [cmd[i + 1 : i + 3] for i, arg in enumerate(cmd) if arg in ("--bind", "--dev-bind")]
    assert binds == []
    ro = {cmd[i + 2] for i, arg in enumerate(cmd) if arg == "--ro-bind"}
    assert ro == {"/usr", "/opt/py", "/opt/pathwise/runner.py"}
    assert f"--size {7 * 1024 * 1024} --tmpfs /scratch" in joined
    assert "--ro-bind-data 5 /task/solution.py" in joined
    assert cmd[-4:] == ["--payload-fd", "3", "--result-fd", "4"]


def test_missing_bwrap_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        grade_submission("def f():\n    return 1\n", TESTS)


def test_cli_exit_code_3_without_bwrap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    submission = tmp_path / "s.py"
    tests = tmp_path / "t.py"
    submission.write_text("def f():\n    return 1\n")
    tests.write_text(TESTS)
    monkeypatch.setenv("PATH", "/nonexistent")
    result = CliRunner().invoke(build_cli(), ["grade", "code", "--submission", str(submission), "--tests", str(tests)])
    assert result.exit_code == 3
    assert "bubblewrap" in result.output
