"""The API's address is printed only once the API answers there (``pathwise api``, and ``pathwise up``'s serve_api).

uvicorn binds its port only after the app's start-up; the address used to be printed before it,
pointing at nothing for as long as start-up took (about 20 s after ``pathwise up`` loads the sample).
"""

from __future__ import annotations

import http.server
import io
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from rich.console import Console

from experiments.loop_bench import free_port, home_env
from platform_api.cli import serve_api, wait_until_answering
from platform_api.core.config import APISettings
from platform_api.core.migrate import upgrade

PATHWISE = [sys.executable, "-m", "pathwise.cli"]


class _Healthy(http.server.BaseHTTPRequestHandler):
    """Answers 200 to every GET: another server, already on the port."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _other_server(port: int) -> Iterator[None]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """The process's stdout, line by line as it comes (None at its end)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def test_pathwise_api_prints_its_address_once_it_answers_there(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    upgrade(f"sqlite:///{home / 'pathwise.db'}")
    port = free_port()
    with (tmp_path / "stderr.log").open("w") as errors:
        proc = subprocess.Popen(
            [*PATHWISE, "api", "--port", str(port)],
            env=home_env(home),
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    seen: list[str] = []
    try:
        lines = _lines(proc)
        deadline = time.monotonic() + 120
        while not any(f"http://127.0.0.1:{port}" in line for line in seen):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, (seen, (tmp_path / "stderr.log").read_text())
            seen.append(line)
        # the address is out: it answers at once, not some seconds later
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert seen[0] == f"starting the API on port {port}; its addresses follow once it answers"
    assert seen[-1] == f"API on http://127.0.0.1:{port}  (docs: http://127.0.0.1:{port}/docs)"


def test_a_port_another_server_holds_prints_no_address(tmp_path: Path) -> None:
    """The other server answers /healthz too; only this process listening counts."""
    home = tmp_path / "home"
    home.mkdir()
    upgrade(f"sqlite:///{home / 'pathwise.db'}")
    port = free_port()
    with _other_server(port):
        done = subprocess.run(
            [*PATHWISE, "api", "--port", str(port)], env=home_env(home), capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 3, done.stdout + done.stderr
    assert f"http://127.0.0.1:{port}" not in done.stdout
    assert "address already in use" in done.stderr.lower()


def test_the_address_waits_for_what_serves_beside_the_api(sqlite_url: str) -> None:
    """``pathwise up`` waits for serving's readiness too: nothing is printed while it does not answer."""
    upgrade(sqlite_url)
    port, serving_port = free_port(), free_port()
    out = io.StringIO()
    observed: dict[str, object] = {}
    stopped = threading.Event()

    def drive() -> None:
        give_up = threading.Event()
        timer = threading.Timer(60, give_up.set)
        timer.daemon = True
        timer.start()
        try:
            observed["api answered"] = wait_until_answering([f"http://127.0.0.1:{port}/healthz"], give_up)
            time.sleep(1.0)  # the API answers; serving does not yet
            observed["printed before serving answered"] = out.getvalue()
            with _other_server(serving_port):
                deadline = time.monotonic() + 30
                while "READY" not in out.getvalue() and time.monotonic() < deadline:
                    time.sleep(0.1)
            observed["printed after"] = out.getvalue()
        finally:
            timer.cancel()
            if not stopped.is_set():
                os.kill(os.getpid(), signal.SIGINT)  # serve_api stops as on Ctrl-C

    driver = threading.Thread(target=drive)
    driver.start()
    settings = APISettings(database_url=sqlite_url, port=port)
    try:
        serve_api(
            settings,
            console=Console(file=out, width=200),
            ready_lines=["READY"],
            also_ready=[f"http://127.0.0.1:{serving_port}/healthz"],
        )
    finally:
        stopped.set()
    driver.join(timeout=60)
    assert observed["api answered"] is True
    assert observed["printed before serving answered"] == (
        f"starting the API on port {port}; its addresses follow once it answers\n"
    )
    assert observed["printed after"] == observed["printed before serving answered"] + "READY\n"
