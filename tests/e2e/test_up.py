"""The two-command contract: ``pathwise up`` sets up and serves; re-running reuses state.

One test, because every ``up`` on a fresh home seeds and materializes the sample (the slow part):
the second run reuses the first run's home.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from platform_api.lrs.sample_loader import DEMO_COURSE_CODE

PATHWISE = [sys.executable, "-m", "pathwise.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWISE_")}
    env["PATHWISE_HOME"] = str(home)
    return env


def test_up_serves_stops_cleanly_on_ctrl_c_and_reuses_state_when_run_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port, serve_port = _free_port(), _free_port()
    proc = subprocess.Popen(
        [*PATHWISE, "up", "--port", str(port), "--serve-port", str(serve_port)],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300  # the feature-store step backfills and materializes the sample
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "API did not become ready"
            time.sleep(0.3)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json()["status"] == "ok"
        serving = f"http://127.0.0.1:{serve_port}"  # up at once: the API starts only after serving is deployed
        links = httpx.get(f"http://127.0.0.1:{port}/v1/recommendations").json()
        assert links["events"] == serving + "/v1/learners/{learner_id}/events"
        event = {"skill": "Fractions", "item": "f-1", "correct": True, "seconds": 40}
        assert httpx.post(f"{serving}/v1/learners/e2e-1/events", json=event).status_code == 202
        with sqlite3.connect(tmp_path / "home" / "pathwise.db") as db:  # serving speaks the platform's course ids
            [(course,)] = db.execute("SELECT id FROM courses WHERE code = ?", (DEMO_COURSE_CODE,)).fetchall()
        params = {"course": str(course)}
        answer = httpx.get(f"{serving}/v1/learners/e2e-1/recommendations", params=params, timeout=30)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["model_versions"]["kt"].startswith("pathwise-bkt/") and body["variant"] == {"kt": "champion"}
        assert body["fallback"] is None and body["items"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert f"http://127.0.0.1:{port}/healthz" in out
    assert "Shutting down" in out
    assert "seeded" in out and (home / "pathwise.db").is_file()

    again = subprocess.run([*PATHWISE, "up", "--no-serve"], env=_env(home), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "already present, reused" in again.stdout
    assert "feature store: unchanged" in again.stdout.replace("\n", " ")
