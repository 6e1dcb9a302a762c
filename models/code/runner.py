"""The test runner that executes *inside* the sandbox (standard library and pytest only).

It is bound read-only into the sandbox and started by :mod:`models.code.sandbox`. Before any
untrusted code is imported it reads its payload (a per-run secret key, limits, the sandbox uid)
from a pipe and closes it, applies the resource limits, drops root if it has it, and only
then lets pytest import the tests, which import the submission.

Every message to the grader goes through a dedicated pipe as ``<hmac> <json>`` lines signed
with the per-run key and carrying this process id, so text printed by the submission, or
lines written into the pipe by the submission or by processes it forks, are rejected. The
grader never reads results from stdout.

Why a hand-written pytest plugin: it is the smallest piece that streams a start/end event per
test, which lets the grader enforce a wall-time limit per test and resume after a crash.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import resource
import signal
import sys
import time
from typing import Any

MESSAGE_LIMIT = 2000
SCRATCH = "/scratch"
TASK = "/task"


def _safe_text(value: object, limit: int = MESSAGE_LIMIT) -> str:
    """``str(value)`` that survives hostile ``__str__`` methods and stays short."""
    try:
        text = str(value)
    except BaseException:  # a submission's exception may raise anything from __str__
        text = f"<unprintable {type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + " …[truncated]"


class Channel:
    """Signed, line-framed messages to the grader over an inherited pipe."""

    def __init__(self, fd: int, key: bytes) -> None:
        self._fd = fd
        self._key = key
        self._pid = os.getpid()
        os.register_at_fork(after_in_child=self._disable)

    def _disable(self) -> None:
        # A forked copy of the runner (a submission calling os.fork) must never report.
        self._fd = -1

    def send(self, kind: str, **fields: Any) -> None:
        if self._fd < 0 or os.getpid() != self._pid:
            return
        body = json.dumps({"type": kind, "pid": self._pid, **fields}, separators=(",", ":"), default=str)
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
        data = f"{digest} {body}\n".encode()
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
        except OSError:
            self._fd = -1


def _exception_chain(exc: BaseException | None) -> list[dict[str, Any]]:
    """Type, module, errno and filename of an exception and what caused it (bounded)."""
    chain: list[dict[str, Any]] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen and len(chain) < 4:
        seen.add(id(exc))
        entry: dict[str, Any] = {"type": type(exc).__name__, "module": type(exc).__module__}
        if isinstance(exc, OSError):
            entry["errno"] = exc.errno if isinstance(exc.errno, int) else None
            entry["filename"] = _safe_text(exc.filename, 300) if exc.filename is not None else None
        entry["message"] = _safe_text(exc, 300)
        chain.append(entry)
        exc = exc.__cause__ or exc.__context__
    return chain


class Reporter:
    """pytest plugin: streams collection and per-test results through the channel."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.outcome: dict[str, str] = {}
        self.message: dict[str, str] = {}
        self.exceptions: dict[str, list[dict[str, Any]]] = {}
        self.started: dict[str, float] = {}
        self.running: str | None = None

    def pytest_sessionstart(self, session: Any) -> None:
        # After this point pytest's own argument errors are excluded: any later failure is the tests'.
        self.channel.send("session")

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.channel.send("collect_error", nodeid=report.nodeid, message=_safe_text(report.longreprtext))

    def pytest_collection_finish(self, session: Any) -> None:
        self.channel.send("collected", ids=[item.nodeid for item in session.items])

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.started[nodeid] = time.monotonic()
        self.running = nodeid
        self.outcome[nodeid] = "passed"
        self.channel.send("start", nodeid=nodeid)

    def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
        if call.excinfo is not None and item.nodeid not in self.exceptions:
            self.exceptions[item.nodeid] = _exception_chain(call.excinfo.value)

    def pytest_runtest_logreport(self, report: Any) -> None:
        nodeid = report.nodeid
        if report.passed or self.outcome.get(nodeid) != "passed":
            return
        if report.skipped:
            self.outcome[nodeid] = "skipped"
        elif report.when == "call":
            is_assertion = (self.exceptions.get(nodeid) or [{}])[0].get("type") == "AssertionError"
            self.outcome[nodeid] = "failed" if is_assertion else "error"
        else:
            self.outcome[nodeid] = "error"
        crash = getattr(report.longrepr, "reprcrash", None)
        text = crash.message if crash is not None else report.longreprtext
        self.message[nodeid] = _safe_text(f"{report.when}: {text}")

    def pytest_internalerror(self, excrepr: Any, excinfo: Any) -> None:
        # pytest itself failed (typically out of memory while reporting a hostile test).
        self.channel.send("internal_error", nodeid=self.running, exceptions=_exception_chain(excinfo.value))

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        self.running = None
        self.channel.send(
            "end",
            nodeid=nodeid,
            outcome=self.outcome.get(nodeid, "error"),
            message=self.message.get(nodeid, ""),
            exceptions=self.exceptions.get(nodeid, []),
            duration_s=round(time.monotonic() - self.started.get(nodeid, time.monotonic()), 4),
        )


def _apply_limits(limits: dict[str, int]) -> None:
    """Soft and hard rlimits; hard = soft (CPU gets one extra second before SIGKILL)."""
    mib = 1024 * 1024
    pairs = {
        resource.RLIMIT_CPU: (limits["cpu_s"], limits["cpu_s"] + 1),
        resource.RLIMIT_AS: (limits["memory_mb"] * mib, limits["memory_mb"] * mib),
        resource.RLIMIT_NPROC: (limits["processes"], limits["processes"]),
        resource.RLIMIT_FSIZE: (limits["file_size_mb"] * mib, limits["file_size_mb"] * mib),
        resource.RLIMIT_NOFILE: (limits["open_files"], limits["open_files"]),
        resource.RLIMIT_CORE: (0, 0),
    }
    for which, (soft, hard) in pairs.items():
        resource.setrlimit(which, (soft, hard))


def _drop_privileges(uid: int | None) -> None:
    """Become an unprivileged uid (when started as root) and verify no capability is left."""
    if os.geteuid() == 0:
        if uid is None or uid == 0:
            raise SystemExit("runner: refusing to run tests as root")
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123 (stdlib-only, no pathlib needed)
        fields = dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)
    if int(fields.get("CapEff", "0"), 16) or int(fields.get("CapPrm", "0"), 16) or fields.get("NoNewPrivs") != "1":
        raise SystemExit("runner: privileges remain after the drop; refusing to run")


def _read_payload(fd: int) -> dict[str, Any]:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    payload: dict[str, Any] = json.loads(b"".join(chunks))
    return payload


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="runner")
    parser.add_argument("--payload-fd", type=int, required=True)
    parser.add_argument("--result-fd", type=int, required=True)
    args = parser.parse_args(argv)

    payload = _read_payload(args.payload_fd)
    channel = Channel(args.result_fd, bytes.fromhex(payload.pop("key")))
    _apply_limits(payload["limits"])
    _drop_privileges(payload.get("uid"))
    # Writing past RLIMIT_FSIZE then fails with EFBIG, which is reported, instead of a silent SIGXFSZ.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    channel.send("hello")
    sys.path.extend(payload.get("site_paths", []))

    import pytest

    os.chdir(SCRATCH)
    sys.path.insert(0, TASK)
    pytest_args = [
        payload["test_file"],
        "-s",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:stepwise",
        "-p",
        "no:terminal",
        "--rootdir",
        TASK,
        "-c",
        f"{TASK}/pytest.ini",
        "-o",
        "markers=weight(points): points this test is worth",
    ]
    for nodeid in payload.get("deselect", []):
        pytest_args += ["--deselect", nodeid]
    code = pytest.main(pytest_args, plugins=[Reporter(channel)])
    channel.send("done", exit_code=int(code))
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: it is slow and would run the submission's atexit handlers.
    os._exit(0)


if __name__ == "__main__":
    main()
