"""Code grading in the real bubblewrap sandbox: scoring, feedback, and every hostile case contained."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models.code.analysis import AnalysisPolicy
from models.code.grader import grade_submission
from models.code.hostile import CASES, HostileCase, leftover_processes, project_file, run_case
from models.code.report import EventKind, SandboxLimits
from models.code.suite import GradingInputError

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed"),
]

FAST = SandboxLimits(test_timeout_s=3.0)
CLI = [sys.executable, "-m", "pathwise.cli", "grade", "code"]

SOLUTION = "def add(a, b):\n    return a + b\n"
TESTS = """import pytest
from solution import add


@pytest.mark.weight(2)
def test_small():
    assert add(1, 2) == 3


@pytest.mark.parametrize("a,b", [(1, 1), (2, 3), (10, -4), (0, 0)])
def test_many(a, b):
    assert add(a, b) == a + b


class TestNegative:
    def test_negative(self):
        assert add(-1, -1) == -2
"""


def kinds(report: object) -> set[EventKind]:
    return {event.kind for event in report.events}  # type: ignore[attr-defined]


def test_correct_submission_scores_full_marks() -> None:
    report = grade_submission(SOLUTION, TESTS, limits=FAST)
    assert report.status == "graded"
    assert report.score == 1.0
    assert report.points_possible == 4.0
    assert {test.name: test.cases_total for test in report.tests} == {
        "test_small": 1,
        "test_many": 4,
        "TestNegative::test_negative": 1,
    }
    assert not [event for event in report.events if event.suite != "static"]


def test_partial_credit_per_case_and_weight_with_feedback() -> None:
    wrong = "def add(a, b):\n    if a == 2:\n        return 0\n    return a + b\n"
    report = grade_submission(wrong, TESTS, limits=FAST)
    many = next(test for test in report.tests if test.name == "test_many")
    assert (many.status, many.cases_passed, many.cases_total) == ("failed", 3, 4)
    assert many.points == pytest.approx(0.75)
    assert "assert 0 == (2 + 3)" in many.feedback
    assert report.score == pytest.approx((2 + 0.75 + 1) / 4)


def test_hidden_failures_withhold_details_unless_revealed() -> None:
    hidden = "from solution import add\nimport pytest\n\n@pytest.mark.parametrize('x', [7, 8])\n"
    hidden += "def test_secret(x):\n    assert add(x, 1) == 99, 'secret input'\n"
    report = grade_submission(SOLUTION, TESTS, hidden, limits=FAST)
    secret = next(test for test in report.tests if test.suite == "hidden")
    assert secret.status == "failed"
    assert "secret" not in secret.feedback and "99" not in secret.feedback
    assert [case.nodeid for case in secret.cases] == ["test_secret[0]", "test_secret[1]"]
    assert report.score == pytest.approx(4 / 5)
    leaky = "def add(a, b):\n    open(f'/etc/secret-{a}')\n"
    events = [event for event in grade_submission(leaky, TESTS, hidden, limits=FAST).events if event.suite == "hidden"]
    assert {(event.kind, event.test) for event in events} == {(EventKind.FILE_ACCESS_DENIED, "test_secret")}
    assert not any("secret-7" in event.detail or "[7]" in str(event.test) for event in events)
    revealed = grade_submission(SOLUTION, TESTS, hidden, limits=FAST, reveal_hidden_feedback=True)
    assert "secret input" in next(test for test in revealed.tests if test.suite == "hidden").feedback


HIDDEN_ONLY = (
    "from solution import add\nimport pytest\n\n"
    "def test_pair():\n    assert add(40, 2) == 42\n\n"
    "@pytest.mark.parametrize('x', [31337])\ndef test_secret(x):\n    assert add(x, 1) == x + 1, 'secret-marker'\n"
)


def test_hidden_tests_alone_stay_hidden() -> None:
    """With no visible suite, the hidden tests are still graded as hidden: no messages, no inputs."""
    wrong = "def add(a, b):\n    return a - b\n"
    report = grade_submission(wrong, None, HIDDEN_ONLY, limits=FAST)
    assert [(test.suite, test.name, test.status) for test in report.tests] == [
        ("hidden", "test_pair", "failed"),
        ("hidden", "test_secret", "failed"),
    ]
    shown = report.model_dump_json(exclude={"analysis"})
    for secret in ("secret-marker", "31337", "add(40", "== 42", "assert"):
        assert secret not in shown, secret
    assert report.output.visible_stdout == "" and report.score == 0.0
    assert grade_submission(SOLUTION, None, HIDDEN_ONLY, limits=FAST).score == 1.0
    with pytest.raises(GradingInputError, match="no tests"):
        grade_submission(SOLUTION, None, None, limits=FAST)


def test_submission_that_fails_to_import_gets_zero_with_a_reason() -> None:
    report = grade_submission("raise ValueError('boom at import')\n", TESTS, limits=FAST)
    assert report.score == 0.0
    assert all(test.status == "error" for test in report.tests)
    assert "boom at import" in report.tests[0].feedback


def test_syntax_error_is_feedback_not_a_crash() -> None:
    report = grade_submission("def add(a, b) return a\n", TESTS, limits=FAST)
    assert (report.status, report.score, report.sandbox_runs) == ("graded", 0.0, 0)
    assert "syntax error" in report.tests[0].feedback


def test_forbidden_construct_rejected_by_default_and_run_when_flagged() -> None:
    source = "import os\n\ndef add(a, b):\n    return a + b\n"
    rejected = grade_submission(source, TESTS, limits=FAST)
    assert (rejected.status, rejected.score, rejected.sandbox_runs) == ("rejected", 0.0, 0)
    assert EventKind.FORBIDDEN_CONSTRUCT in kinds(rejected)
    flagged = grade_submission(source, TESTS, limits=FAST, policy=AnalysisPolicy(on_forbidden="flag"))
    assert (flagged.status, flagged.score) == ("graded", 1.0)
    assert EventKind.FORBIDDEN_CONSTRUCT in kinds(flagged)


def test_submission_stdout_is_captured_and_bounded() -> None:
    chatty = "def add(a, b):\n    print('adding', a, b)\n    return a + b\n"
    report = grade_submission(chatty, TESTS, limits=FAST.model_copy(update={"max_output_bytes": 20}))
    assert report.score == 1.0
    assert len(report.output.visible_stdout) == 20 and report.output.visible_stdout.startswith("adding")
    assert report.output.truncated
    assert EventKind.OUTPUT_TRUNCATED in kinds(report)


@pytest.mark.parametrize(
    ("tests", "hidden", "module", "message"),
    [
        ("def test_x(:\n", None, "solution", "tests: syntax error"),
        ("def helper():\n    pass\n", None, "solution", "no test functions"),
        (TESTS, "def test_a():\n    pass\ndef test_a():\n    pass\n", "solution", "defined twice"),
        ("import pytest\n@pytest.mark.weight(-1)\ndef test_a():\n    pass\n", None, "solution", "must be positive"),
        ("import pytest\n@pytest.mark.weight('2')\ndef test_a():\n    pass\n", None, "solution", "literal number"),
        (TESTS, None, "os.path", "must be a Python identifier"),
        (TESTS, None, "test_solution", "not starting with 'test'"),
        ("x" * 300_000, None, "solution", "the limit is"),
    ],
)
def test_unusable_inputs_raise_clear_errors(tests: str, hidden: str | None, module: str, message: str) -> None:
    with pytest.raises(GradingInputError, match=message):
        grade_submission(SOLUTION, tests, hidden, limits=FAST, module=module)


# The CPU-limit case needs several seconds of CPU per run by design: it is in `make test-all` and the bench.
HOSTILE = [pytest.param(case, marks=pytest.mark.slow) if case.name == "cpu_burn" else case for case in CASES]


@pytest.mark.parametrize("case", HOSTILE, ids=[case.name for case in CASES])
def test_hostile_submission_is_contained(case: HostileCase, tmp_path: Path) -> None:
    outcome = run_case(case, project_file(), tmp_path, with_hidden=False)
    report = outcome.report
    assert case.expect <= outcome.events, [event.model_dump() for event in report.events]
    assert outcome.status_of("test_hostile") != "passed"
    assert (outcome.status_of("test_benign") == "passed") == case.benign_passes, report.tests
    assert report.score <= 0.5
    assert outcome.leftover == []
    assert outcome.wall_s < case.limits.get("test_timeout_s", 3.0) * 2 + 30


def test_cli_grade_code_prints_json_report(tmp_path: Path) -> None:
    (tmp_path / "sol.py").write_text(SOLUTION)
    (tmp_path / "tests.py").write_text(TESTS)
    (tmp_path / "hidden.py").write_text("from solution import add\n\ndef test_h():\n    assert add(2, 2) == 4\n")
    args = ["--submission", tmp_path / "sol.py", "--tests", tmp_path / "tests.py", "--hidden", tmp_path / "hidden.py"]
    result = subprocess.run(
        [*CLI, *args, "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["score"] == 1.0 and report["points_possible"] == 5.0
    assert {test["suite"] for test in report["tests"]} == {"visible", "hidden"}
    assert leftover_processes() == []


def test_cli_grades_with_hidden_tests_only(tmp_path: Path) -> None:
    (tmp_path / "sol.py").write_text("def add(a, b):\n    return a - b\n")
    (tmp_path / "hidden.py").write_text(HIDDEN_ONLY)
    run = [*CLI, "--submission", str(tmp_path / "sol.py")]
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [*run, "--hidden", str(tmp_path / "hidden.py"), "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {test["suite"] for test in report["tests"]} == {"hidden"} and report["score"] == 0.0
    assert "secret-marker" not in result.stdout and "31337" not in result.stdout
    neither = subprocess.run(run, capture_output=True, text=True, check=False, cwd=root, timeout=60)
    assert neither.returncode == 2 and "--tests, --hidden or both" in neither.stderr


def test_cli_rejects_bad_tests_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "sol.py").write_text(SOLUTION)
    (tmp_path / "tests.py").write_text("def nothing_here():\n    pass\n")
    result = subprocess.run(
        [*CLI, "--submission", str(tmp_path / "sol.py"), "--tests", str(tmp_path / "tests.py")],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
    )
    assert result.returncode == 2
    assert "no test functions" in result.stderr


NON_ROOT_SCRIPT = """
import json, sys
from models.code.analysis import AnalysisPolicy
from models.code.grader import grade_submission
from models.code.hostile import CASES, TESTS
from models.code.report import SandboxLimits
from models.code.sandbox import Interpreter

interpreter = Interpreter(sys.executable, ("/usr",), (sys.argv[1],))
results = {}
for name in ("fork_bomb", "network_connect", "read_etc_shadow", "write_system_dir"):
    case = next(case for case in CASES if case.name == name)
    report = grade_submission(
        case.source, TESTS, interpreter=interpreter, policy=AnalysisPolicy(on_forbidden="flag"),
        limits=SandboxLimits(test_timeout_s=10),
    )
    results[name] = {
        "events": sorted({event.kind.value for event in report.events}),
        "tests": {test.name: test.status for test in report.tests},
    }
print(json.dumps(results))
"""


AS_NOBODY = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]


def _system_python() -> str | None:
    candidate = shutil.which("python3", path="/usr/bin")
    if candidate is None:
        return None
    probe = [candidate, "-c", "import sys; print(sys.version_info[:2])"]
    version = subprocess.run(probe, capture_output=True, text=True, check=False)
    return candidate if version.stdout.strip() == str(sys.version_info[:2]) else None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to run the grader as another user")
def test_grader_running_as_an_ordinary_user_uses_a_user_namespace() -> None:
    """The non-root path: bwrap with an unprivileged user namespace, where RLIMIT_NPROC applies as is."""
    import sysconfig

    python = _system_python()
    if python is None or shutil.which("setpriv") is None:
        pytest.skip("needs /usr/bin/python3 of the same minor version and setpriv")
    site = sysconfig.get_paths()["purelib"]
    repo = str(Path(__file__).resolve().parents[2])
    result = subprocess.run(
        [*AS_NOBODY, "env", "HOME=/tmp", f"PYTHONPATH={repo}:{site}", python, "-c", NON_ROOT_SCRIPT, site],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    expected = {
        "fork_bomb": "process_limit",
        "network_connect": "network_denied",
        "read_etc_shadow": "file_access_denied",
        "write_system_dir": "write_denied",
    }
    for name, event in expected.items():
        assert event in outcomes[name]["events"], (name, outcomes[name])
        assert outcomes[name]["tests"] == {"test_hostile": "error", "test_benign": "passed"}, (name, outcomes[name])
