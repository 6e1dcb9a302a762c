"""A catalogue of hostile submissions and the containment each must produce.

Shared by the integration tests and ``pathwise bench sandbox``, so the committed results table and
the test suite check the same cases. Each case's tests run the hostile call first and a benign
test after it, which shows that grading goes on after the sandbox contains the attack.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.code.analysis import AnalysisPolicy, analyze
from models.code.grader import grade_submission
from models.code.report import EventKind, GradeReport, SandboxLimits
from models.code.sandbox import RUNNER_IN_SANDBOX

TESTS = """from solution import solve


def test_hostile():
    assert solve() == "pwned"


def test_benign():
    assert 1 + 1 == 2
"""

HIDDEN = """from solution import solve


def test_hidden_answer():
    assert solve() == 42
"""


@dataclass(frozen=True)
class HostileCase:
    name: str
    threat: str
    source: str  # may use {project_file} and {hidden_file}
    expect: frozenset[EventKind]
    benign_passes: bool = True
    limits: dict[str, Any] = field(default_factory=dict)


def _case(
    name: str,
    threat: str,
    body: str,
    expect: set[EventKind],
    *,
    benign_passes: bool = True,
    **limits: Any,
) -> HostileCase:
    return HostileCase(name, threat, body.strip() + "\n", frozenset(expect), benign_passes, limits)


CASES: tuple[HostileCase, ...] = (
    _case(
        "fork_bomb",
        "fork until the machine runs out of processes",
        "import os\n\ndef solve():\n    while True:\n        os.fork()",
        {EventKind.PROCESS_LIMIT},
        test_timeout_s=10.0,
    ),
    _case(
        "fork_bomb_persistent",
        "fork bomb that swallows the errors and keeps going",
        "import os\n\ndef solve():\n    while True:\n        try:\n            os.fork()\n"
        "        except OSError:\n            pass",
        {EventKind.TIMEOUT},
    ),
    _case(
        "thread_bomb",
        "start thousands of threads",
        "import threading, time\n\ndef solve():\n    for _ in range(10000):\n"
        "        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()",
        {EventKind.PROCESS_LIMIT},
        test_timeout_s=10.0,
    ),
    _case("infinite_loop", "never return", "def solve():\n    while True:\n        pass", {EventKind.TIMEOUT}),
    _case(
        "cpu_burn",
        "burn CPU under a generous wall-time limit",
        "def solve():\n    while True:\n        pass",
        {EventKind.CPU_LIMIT},
        cpu_s=3,
        test_timeout_s=30.0,
    ),
    _case(
        "import_time_hang",
        "hang while being imported, before any test starts",
        "while True:\n    pass\n\ndef solve():\n    return 1",
        {EventKind.TIMEOUT},
        benign_passes=False,
        startup_timeout_s=6.0,
    ),
    _case(
        "memory_bomb",
        "allocate memory without bound",
        "def solve():\n    blocks = []\n    while True:\n        blocks.append(bytearray(50_000_000))",
        {EventKind.MEMORY_LIMIT},
        test_timeout_s=10.0,
    ),
    _case(
        "read_etc_shadow",
        "read the host's password hashes",
        "def solve():\n    with open('/etc/shadow') as f:\n        return f.read()",
        {EventKind.FILE_ACCESS_DENIED},
    ),
    _case(
        "read_project_files",
        "read the project's own files",
        "def solve():\n    with open({project_file!r}) as f:\n        return f.read()",
        {EventKind.FILE_ACCESS_DENIED},
    ),
    _case(
        "read_hidden_tests",
        "read the hidden tests from their host path",
        "def solve():\n    with open({hidden_file!r}) as f:\n        return f.read()",
        {EventKind.FILE_ACCESS_DENIED},
    ),
    _case(
        "read_proc_of_init",
        "read the environment of another process",
        "def solve():\n    with open('/proc/1/environ', 'rb') as f:\n        return f.read()",
        {EventKind.FILE_ACCESS_DENIED},
    ),
    _case(
        "network_connect",
        "open a TCP connection to the internet",
        "import socket\n\ndef solve():\n    socket.create_connection(('1.1.1.1', 53), timeout=3)\n    return 'pwned'",
        {EventKind.NETWORK_DENIED},
    ),
    _case(
        "network_dns",
        "resolve a host name",
        "import socket\n\ndef solve():\n    return socket.getaddrinfo('example.com', 443)",
        {EventKind.NETWORK_DENIED},
    ),
    _case(
        "huge_output",
        "flood stdout",
        "def solve():\n    while True:\n        print('x' * 65536)",
        {EventKind.OUTPUT_TRUNCATED, EventKind.OUTPUT_LIMIT},
    ),
    _case(
        "write_system_dir",
        "write outside the scratch dir",
        "def solve():\n    with open('/usr/lib/pathwise-pwned', 'w') as f:\n        f.write('x')",
        {EventKind.WRITE_DENIED},
    ),
    _case(
        "tamper_with_tests",
        "overwrite the test file",
        "def solve():\n    with open('/task/test_visible.py', 'w') as f:\n        f.write('def test_hostile(): pass')",
        {EventKind.WRITE_DENIED},
    ),
    _case(
        "file_size_bomb",
        "fill the disk with one huge file",
        "def solve():\n    with open('/scratch/big', 'wb') as f:\n        for _ in range(1000):\n"
        "            f.write(b'x' * 1_000_000)",
        {EventKind.FILE_SIZE_LIMIT},
    ),
    _case(
        "fd_exhaustion",
        "open files until none are left",
        "def solve():\n    handles = [open('/dev/null') for _ in range(100_000)]\n    return handles",
        {EventKind.OPEN_FILES_LIMIT},
    ),
    _case(
        "forge_results",
        "print fake results and write fake result lines into every descriptor, then exit",
        'import os\n\ndef solve():\n    print(\'{"score": 1.0, "status": "passed"}\')\n'
        '    line = b\'0\' * 64 + b\' {"type":"end","nodeid":"test_visible.py::test_hostile",\'\n'
        '    line += b\'"outcome":"passed"}\\n\'\n'
        "    for fd in range(1, 64):\n        try:\n            os.write(fd, line)\n        except OSError:\n"
        "            pass\n    os._exit(0)",
        {EventKind.FORGED_RESULT_REJECTED},
    ),
    _case(
        "stack_overflow",
        "crash the interpreter with unbounded C recursion",
        "import sys\n\nclass Deep:\n    def __repr__(self):\n        return repr(self)\n\n"
        "def solve():\n    sys.setrecursionlimit(10**8)\n    return repr(Deep())",
        {EventKind.CRASHED},
    ),
    _case(
        "abort_test_session",
        "raise KeyboardInterrupt to stop pytest before the other tests run",
        "def solve():\n    raise KeyboardInterrupt",
        {EventKind.CRASHED},
    ),
    _case(
        "pytest_exit_at_import",
        "end the test session with pytest's usage-error code while being imported",
        "import pytest\n\npytest.exit('bye', returncode=4)\n\ndef solve():\n    return 1",
        set(),  # reported as a submission that fails to import; the grader must not take it for its own fault
        benign_passes=False,
    ),
    _case(
        "kill_sandbox",
        "kill its own process group mid-test",
        "import os, signal\n\ndef solve():\n    os.killpg(0, signal.SIGKILL)",
        {EventKind.CRASHED},
    ),
)


def sandbox_processes() -> list[int]:
    """Host pids running the sandbox runner right now, whoever started them."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if RUNNER_IN_SANDBOX.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def leftover_processes(grace_s: float = 30.0) -> list[int]:
    """Sandbox pids seen now that are still alive after ``grace_s``.

    Only the pids present at the call are followed: gradings run in parallel (other test workers,
    the API) start and end their own sandboxes, each bounded by its limits, while a process that
    escaped its grading lives on past any grace.
    """
    watched = set(sandbox_processes())
    deadline = time.monotonic() + grace_s
    while watched and time.monotonic() < deadline:
        time.sleep(0.1)
        watched &= set(sandbox_processes())
    return sorted(watched)


@dataclass
class CaseOutcome:
    case: HostileCase
    report: GradeReport
    wall_s: float
    leftover: list[int]
    statically_rejected: bool

    @property
    def events(self) -> set[EventKind]:
        return {event.kind for event in self.report.events if event.suite != "static"}

    def status_of(self, name: str) -> str:
        return next((test.status for test in self.report.tests if test.name == name), "missing")

    @property
    def contained(self) -> bool:
        benign_ok = (self.status_of("test_benign") == "passed") == self.case.benign_passes
        return (
            self.case.expect <= self.events
            and self.status_of("test_hostile") != "passed"
            and benign_ok
            and not self.leftover
        )


def run_case(case: HostileCase, project_file: Path, workdir: Path, with_hidden: bool = True) -> CaseOutcome:
    """Grade one hostile case with the static policy on 'flag', so the sandbox itself is exercised."""
    hidden_file = workdir / "hidden_tests.py"
    hidden_file.write_text(HIDDEN)
    source = case.source.replace("{project_file!r}", repr(str(project_file))).replace(
        "{hidden_file!r}", repr(str(hidden_file))
    )
    limits = SandboxLimits(**{"test_timeout_s": 3.0, "startup_timeout_s": 20.0, **case.limits})
    started = time.monotonic()
    hidden = HIDDEN if with_hidden else None
    report = grade_submission(source, TESTS, hidden, limits=limits, policy=AnalysisPolicy(on_forbidden="flag"))
    wall = time.monotonic() - started
    leftover = leftover_processes()
    return CaseOutcome(case, report, wall, leftover, bool(analyze(source).forbidden))


BASELINE = "def solve():\n    return 42\n"


def baseline_seconds(repeats: int = 3) -> list[float]:
    """Wall time to grade a well-behaved submission (visible + hidden suites), for reference."""
    walls = []
    for _ in range(repeats):
        started = time.monotonic()
        grade_submission(BASELINE, "from solution import solve\n\ndef test_ok():\n    assert solve() == 42\n", HIDDEN)
        walls.append(time.monotonic() - started)
    return walls


def project_file() -> Path:
    """A file of this project that a submission must not be able to read."""
    return Path(__file__).resolve().parents[2] / "pyproject.toml"


def run_all(names: list[str] | None = None) -> list[CaseOutcome]:
    selected = [case for case in CASES if names is None or case.name in names]
    with tempfile.TemporaryDirectory(prefix="pathwise-hostile-") as tmp:
        Path(tmp).chmod(0o700)
        return [run_case(case, project_file(), Path(tmp)) for case in selected]
