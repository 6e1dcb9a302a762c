"""Run a test file against a submission inside bubblewrap, with limits, and collect trusted results.

Isolation (see ``_bwrap_command``):

- new PID, network, IPC, UTS and cgroup namespaces: no network at all (not even a resolver),
  and when the runner exits every process it forked dies with the namespace;
- a new mount namespace holding only ``/usr``, the Python interpreter and its environment
  (read-only), a fresh ``/proc`` and ``/dev``, the task files (read-only copies made from
  memory: the host paths of the tests are never visible), and a size-capped tmpfs at
  ``/scratch`` as the only writable place;
- no capabilities and ``no_new_privs``; setrlimit on CPU, address space, processes, file size
  and open files, applied by the runner before any untrusted code is imported;
- when the grader runs as root the runner switches to a random unprivileged uid, because the
  kernel never applies RLIMIT_NPROC to uid 0, even inside a user namespace;
- the parent enforces wall-time limits per test, at startup and in total, kills the whole
  process group (``--die-with-parent`` takes the sandbox with it), and keeps a bounded amount
  of stdout.

Results come only through a pipe as lines signed with a per-run key (see :mod:`.runner`).
After a crash or a timeout the remaining tests run in a fresh sandbox, so one hostile test
cannot take the others down with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.code.report import CaseResult, ContainmentEvent, EventKind, SandboxLimits

RUNNER_SOURCE = Path(__file__).with_name("runner.py")
RUNNER_IN_SANDBOX = "/opt/pathwise/runner.py"
TASK_DIR = "/task"
SCRATCH_DIR = "/scratch"
_LINE_LIMIT = 256 * 1024
_RESULT_BYTES_LIMIT = 16 * 1024 * 1024
_EXIT_GRACE_S = 2.0
_PYTEST_USAGE_ERROR = 4
# Random uids for the sandboxed process when the grader is root: far from any real account.
_UID_RANGE = (1_000_000, 2_000_000_000)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create the sandbox on this machine."""


@dataclass(frozen=True)
class Interpreter:
    """The Python that runs inside the sandbox and the directories it needs (bound read-only)."""

    executable: str
    prefixes: tuple[str, ...]
    site_paths: tuple[str, ...] = ()  # extra import paths (e.g. a pure-Python site dir with pytest)

    @classmethod
    def current(cls) -> Interpreter:
        prefixes = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
        return cls(sys.executable, tuple(sorted(prefixes)))


def bwrap_executable() -> str:
    found = shutil.which("bwrap")
    if found is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed; install the 'bubblewrap' package")
    return found


@dataclass
class SuiteOutcome:
    """What one suite (visible or hidden) produced, across one or more sandbox runs."""

    suite: str
    cases: dict[str, CaseResult] = field(default_factory=dict)
    exceptions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    collect_error: str | None = None
    failure: str | None = None  # why tests without a result got none
    events: list[ContainmentEvent] = field(default_factory=list)
    stdout: bytes = b""
    stdout_total: int = 0
    runs: int = 0


@dataclass
class _Run:
    """State of a single sandbox process."""

    key: bytes
    runner_pid: int | None = None
    collected: list[str] | None = None
    collect_error: str | None = None
    ended: dict[str, CaseResult] = field(default_factory=dict)
    exceptions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    running: str | None = None
    finished: bool = False
    exit_code: int | None = None
    session_started: bool = False
    stdout: bytearray = field(default_factory=bytearray)
    stdout_total: int = 0
    result_bytes: int = 0
    pending: bytearray = field(default_factory=bytearray)
    forged: int = 0
    foreign: int = 0
    cpu_s: float = 0.0
    kill_reason: EventKind | None = None
    kill_detail: str = ""


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return [str(Path("/", *parts[: i + 1])) for i in range(len(parts))]


def _bwrap_command(
    bwrap: str,
    interpreter: Interpreter,
    limits: SandboxLimits,
    files: dict[str, int],
    payload_fd: int,
    result_fd: int,
    as_root: bool,
) -> list[str]:
    cmd = [bwrap]
    if as_root:
        # No user namespace: the runner drops to an unprivileged uid itself (see module docstring).
        cmd += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
    cmd += ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": SCRATCH_DIR,
        "TMPDIR": SCRATCH_DIR,
        "LANG": "C.UTF-8",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
    }
    cmd.append("--clearenv")
    for name, value in env.items():
        cmd += ["--setenv", name, value]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for top in ("bin", "lib", "lib64", "sbin"):
        host = Path("/", top)
        if host.is_symlink():
            cmd += ["--symlink", str(host.readlink()), f"/{top}"]
        elif host.is_dir():
            cmd += ["--ro-bind", str(host), f"/{top}"]
    cmd += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    made = {"/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc"}
    paths = [*interpreter.prefixes, *interpreter.site_paths]
    binds = [(path, path) for path in paths if path != "/usr" and not path.startswith("/usr/")]
    binds.append((str(RUNNER_SOURCE), RUNNER_IN_SANDBOX))
    for _, dest in binds:
        for parent in _ancestors(dest):
            if parent not in made:  # skeleton directories only hold the binds: nobody writes there
                cmd += ["--perms", "0555", "--dir", parent]
                made.add(parent)
    for source, dest in binds:
        cmd += ["--ro-bind", source, dest]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    cmd += ["--perms", "1777", "--size", str(limits.scratch_mb * 1024 * 1024), "--tmpfs", SCRATCH_DIR]
    if "/tmp" not in made:  # an environment installed under /tmp keeps /tmp a read-only skeleton; TMPDIR is scratch
        cmd += ["--symlink", SCRATCH_DIR, "/tmp"]
    cmd += ["--perms", "0755", "--dir", TASK_DIR]
    for name, fd in files.items():
        cmd += ["--perms", "0444", "--ro-bind-data", str(fd), f"{TASK_DIR}/{name}"]
    cmd += ["--chdir", SCRATCH_DIR]
    cmd += [interpreter.executable, "-I", "-B", RUNNER_IN_SANDBOX]
    cmd += ["--payload-fd", str(payload_fd), "--result-fd", str(result_fd)]
    return cmd


def _memfd(name: str, content: bytes) -> int:
    fd = os.memfd_create(name, 0)
    os.write(fd, content)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class _Sandbox:
    """One sandbox process: spawn, pump its pipes, enforce deadlines, collect signed messages."""

    def __init__(self, limits: SandboxLimits, interpreter: Interpreter) -> None:
        self.limits = limits
        self.interpreter = interpreter
        self.bwrap = bwrap_executable()

    def run(self, files: dict[str, bytes], test_file: str, deselect: list[str], deadline: float) -> _Run:
        state = _Run(key=secrets.token_bytes(32))
        as_root = os.geteuid() == 0
        payload = {
            "key": state.key.hex(),
            "limits": self.limits.model_dump(include={"cpu_s", "memory_mb", "processes", "file_size_mb", "open_files"}),
            "uid": secrets.randbelow(_UID_RANGE[1] - _UID_RANGE[0]) + _UID_RANGE[0] if as_root else None,
            "test_file": f"{TASK_DIR}/{test_file}",
            "site_paths": list(self.interpreter.site_paths),
            "deselect": deselect,
        }
        file_fds = {name: _memfd(name, content) for name, content in files.items()}
        payload_read, payload_write = os.pipe()
        result_read, result_write = os.pipe()
        child_fds = (payload_read, result_write, *file_fds.values())
        try:
            cmd = _bwrap_command(
                self.bwrap, self.interpreter, self.limits, file_fds, payload_read, result_write, as_root
            )
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=child_fds,
                start_new_session=True,
            )
        except OSError as error:
            for fd in (*child_fds, payload_write, result_read):
                os.close(fd)
            raise SandboxUnavailable(f"could not start bwrap: {error}") from error
        for fd in child_fds:
            os.close(fd)
        # Small (no file contents), so it fits in the pipe buffer even before the runner reads.
        with contextlib.suppress(BrokenPipeError), os.fdopen(payload_write, "wb") as pipe:
            pipe.write(json.dumps(payload).encode())
        try:
            self._pump(proc, state, result_read, deadline)
        finally:
            os.close(result_read)
            self._kill(proc, state)
        if state.runner_pid is None and state.kill_reason is None and proc.returncode not in (None, -9):
            text = bytes(state.stdout).decode(errors="replace")
            if text.startswith("bwrap:") or "runner: " in text:
                raise SandboxUnavailable(text.strip()[:500])
        if state.exit_code == _PYTEST_USAGE_ERROR and not state.session_started:
            text = bytes(state.stdout).decode(errors="replace")
            raise SandboxUnavailable(f"pytest rejected the runner's arguments: {text.strip()[:500]}")
        state.kill_detail = state.kill_detail or _exit_detail(proc.returncode)
        if "SIGKILL" in state.kill_detail and state.cpu_s >= self.limits.cpu_s * 0.9:
            state.kill_detail += f" after {state.cpu_s:.1f}s of CPU (the CPU limit)"
        return state

    def _reap(self, proc: subprocess.Popen[bytes], state: _Run, timeout: float) -> bool:
        """waitpid with rusage: the CPU time tells a CPU-limit SIGKILL from any other kill."""
        deadline = time.monotonic() + timeout
        while proc.returncode is None:
            try:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            except ChildProcessError:
                proc.returncode = -signal.SIGKILL
                break
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                state.cpu_s = usage.ru_utime + usage.ru_stime
                break
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def _kill(self, proc: subprocess.Popen[bytes], state: _Run) -> None:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        self._reap(proc, state, timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()

    def _pump(self, proc: subprocess.Popen[bytes], state: _Run, result_fd: int, total_deadline: float) -> None:
        assert proc.stdout is not None
        limits = self.limits
        out_fd = proc.stdout.fileno()
        os.set_blocking(out_fd, False)
        os.set_blocking(result_fd, False)
        selector = selectors.DefaultSelector()
        selector.register(out_fd, selectors.EVENT_READ, "out")
        selector.register(result_fd, selectors.EVENT_READ, "result")
        open_pipes = 2
        phase_deadline = time.monotonic() + limits.startup_timeout_s
        try:
            while True:
                now = time.monotonic()
                deadline = min(phase_deadline, total_deadline)
                if now >= deadline:
                    budget = deadline == total_deadline and total_deadline < phase_deadline
                    self._expire(proc, state, budget)
                    return
                if open_pipes == 0:
                    if self._reap(proc, state, timeout=0):
                        return
                    time.sleep(0.02)
                    continue
                for key, _ in selector.select(timeout=min(0.25, deadline - now)):
                    try:
                        chunk = os.read(key.fd, 65536)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        selector.unregister(key.fd)
                        open_pipes -= 1
                        continue
                    if key.data == "out":
                        self._stdout(proc, state, chunk)
                    else:
                        phase_deadline = self._results(proc, state, chunk, phase_deadline)
                if state.kill_reason is not None:
                    return
        finally:
            selector.close()

    def _expire(self, proc: subprocess.Popen[bytes], state: _Run, budget: bool) -> None:
        self._kill(proc, state)
        if state.finished:
            return
        state.kill_reason = EventKind.GRADING_BUDGET if budget else EventKind.TIMEOUT
        if budget:
            state.kill_detail = f"the grading time budget of {self.limits.total_wall_s:g}s ran out"
        elif state.running is not None:
            state.kill_detail = f"exceeded the {self.limits.test_timeout_s:g}s wall-time limit per test"
        elif state.collected is None:
            state.kill_detail = (
                f"did not finish loading the tests and the submission within {self.limits.startup_timeout_s:g}s"
            )
        else:
            state.kill_detail = f"no progress between tests for {self.limits.test_timeout_s:g}s"

    def _stdout(self, proc: subprocess.Popen[bytes], state: _Run, chunk: bytes) -> None:
        state.stdout_total += len(chunk)
        room = self.limits.max_output_bytes - len(state.stdout)
        if room > 0:
            state.stdout += chunk[:room]
        if state.stdout_total > self.limits.output_kill_bytes:
            self._kill(proc, state)
            state.kill_reason = EventKind.OUTPUT_LIMIT
            state.kill_detail = f"printed more than {self.limits.output_kill_bytes} bytes; the run was stopped"

    def _results(self, proc: subprocess.Popen[bytes], state: _Run, chunk: bytes, deadline: float) -> float:
        state.result_bytes += len(chunk)
        if state.result_bytes > _RESULT_BYTES_LIMIT:
            self._kill(proc, state)
            state.forged += 1
            state.kill_reason = EventKind.FORGED_RESULT_REJECTED
            state.kill_detail = "the result channel was flooded; the run was stopped"
            return deadline
        state.pending += chunk
        *lines, rest = bytes(state.pending).split(b"\n")
        if len(rest) > _LINE_LIMIT:
            state.forged += 1
            rest = b""
        state.pending = bytearray(rest)
        for line in lines:
            message = self._verify(state, line)
            if message is not None:
                deadline = self._apply(state, message, deadline)
        return deadline

    def _verify(self, state: _Run, line: bytes) -> dict[str, Any] | None:
        signature, _, body = line.partition(b" ")
        expected = hmac.new(state.key, body, hashlib.sha256).hexdigest().encode()
        if not hmac.compare_digest(signature, expected):
            state.forged += 1
            return None
        message: dict[str, Any] = json.loads(body)
        if state.runner_pid is None and message.get("type") == "hello":
            state.runner_pid = message.get("pid")
        if message.get("pid") != state.runner_pid:
            state.foreign += 1
            return None
        return message

    def _apply(self, state: _Run, message: dict[str, Any], deadline: float) -> float:
        now = time.monotonic()
        kind = message.get("type")
        if kind == "session":
            state.session_started = True
        elif kind == "collected":
            state.collected = [str(nodeid) for nodeid in message.get("ids", [])]
            return now + self.limits.test_timeout_s
        elif kind == "collect_error":
            state.collect_error = str(message.get("message", ""))
        elif kind == "start":
            state.running = str(message["nodeid"])
            return now + self.limits.test_timeout_s
        elif kind == "end":
            nodeid = str(message["nodeid"])
            state.running = None
            state.exceptions[nodeid] = list(message.get("exceptions", []))
            state.ended[nodeid] = CaseResult(
                nodeid=nodeid,
                status=message.get("outcome", "error"),
                duration_s=float(message.get("duration_s", 0.0)),
                message=str(message.get("message", "")),
            )
            return now + self.limits.test_timeout_s
        elif kind == "internal_error":
            broken = message.get("nodeid")
            if broken:
                state.exceptions[str(broken)] = list(message.get("exceptions", []))
                state.kill_detail = "the test broke the test runner (pytest internal error)"
        elif kind == "done":
            state.finished = True
            state.exit_code = int(message.get("exit_code", 0))
            return now + _EXIT_GRACE_S
        return deadline


def _exit_detail(returncode: int | None) -> str:
    if returncode is None or returncode == 0:
        return ""
    if returncode > 128:
        number = returncode - 128
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(number).name}"
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-returncode).name}"
    return f"exited with code {returncode}"


def _crash_kind(detail: str) -> EventKind:
    if "SIGXCPU" in detail or "(the CPU limit)" in detail:
        return EventKind.CPU_LIMIT
    if "SIGXFSZ" in detail:
        return EventKind.FILE_SIZE_LIMIT
    return EventKind.CRASHED


def run_suite(
    suite: str,
    files: dict[str, bytes],
    test_file: str,
    limits: SandboxLimits,
    deadline: float,
    interpreter: Interpreter | None = None,
) -> SuiteOutcome:
    """Run every test in ``test_file`` (one of ``files``), resuming in a new sandbox after a crash."""
    sandbox = _Sandbox(limits, interpreter or Interpreter.current())
    outcome = SuiteOutcome(suite=suite)
    collected: list[str] | None = None
    while True:
        done = list(outcome.cases)
        state = sandbox.run(files, test_file, done, deadline)
        outcome.runs += 1
        _merge_output(outcome, state, limits)
        if state.forged:
            outcome.events.append(
                ContainmentEvent(
                    kind=EventKind.FORGED_RESULT_REJECTED,
                    suite=suite,
                    detail=f"{state.forged} unsigned or tampered result line(s) ignored",
                )
            )
        if state.foreign:
            outcome.events.append(
                ContainmentEvent(
                    kind=EventKind.FORKED_RUNNER_IGNORED,
                    suite=suite,
                    detail=f"{state.foreign} result line(s) from a forked copy of the runner ignored",
                )
            )
        collected = collected if collected is not None else state.collected
        outcome.collect_error = outcome.collect_error or state.collect_error
        outcome.cases.update(state.ended)
        outcome.exceptions.update(state.exceptions)
        progress = bool(state.ended)
        if state.running is not None:
            reason = state.kill_reason or _crash_kind(state.kill_detail)
            status = "timeout" if reason in (EventKind.TIMEOUT, EventKind.GRADING_BUDGET) else "error"
            detail = state.kill_detail or "the test process stopped without reporting"
            outcome.cases[state.running] = CaseResult(nodeid=state.running, status=status, message=detail)
            outcome.events.append(ContainmentEvent(kind=reason, suite=suite, test=state.running, detail=detail))
            progress = True
        elif state.kill_reason is not None or (not state.finished and state.kill_detail):
            reason = state.kill_reason or _crash_kind(state.kill_detail)
            outcome.events.append(ContainmentEvent(kind=reason, suite=suite, detail=state.kill_detail))
        remaining = [nodeid for nodeid in (collected or []) if nodeid not in outcome.cases]
        if not remaining or not progress or time.monotonic() >= deadline:
            if remaining or collected is None:
                if not state.finished:
                    outcome.failure = state.kill_detail or "the sandbox stopped before running every test"
                elif not outcome.collect_error:
                    outcome.failure = f"the test session ended early (pytest exit code {state.exit_code})"
                    outcome.events.append(ContainmentEvent(kind=EventKind.CRASHED, suite=suite, detail=outcome.failure))
            return outcome


def _merge_output(outcome: SuiteOutcome, state: _Run, limits: SandboxLimits) -> None:
    room = limits.max_output_bytes - len(outcome.stdout)
    outcome.stdout += bytes(state.stdout[: max(room, 0)])
    outcome.stdout_total += state.stdout_total
