"""The two-command contract: ``pathwise up`` sets up and serves; re-running reuses state.

One test, because every ``up`` on a fresh home seeds and materializes the sample (the slow part):
the second run reuses the first run's home.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from experiments.loop_bench import free_port, home_env, one_start_at_a_time
from pathwise.config import CommonSettings
from pathwise.service_auth import READ_RECOMMENDATIONS, resolve_secret, service_token
from platform_api.demo.seed import DEMO_PASSWORD
from platform_api.lrs.sample_loader import DEMO_COURSE_CODE

PATHWISE = [sys.executable, "-m", "pathwise.cli"]


def test_up_serves_stops_cleanly_on_ctrl_c_and_reuses_state_when_run_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    starting = ExitStack()  # held from the start until both servers answer, as every stack the tests start
    starting.enter_context(one_start_at_a_time())
    port, serve_port = free_port(), free_port()
    proc = subprocess.Popen(
        [*PATHWISE, "up", "--port", str(port), "--serve-port", str(serve_port)],
        env=home_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    answered_when_printed: dict[str, int] = {}

    def read_output() -> None:
        """Collect the output; the moment the API's address is printed, both servers must already answer."""
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("API      :") and not answered_when_printed:
                for name, base in (("api", f"http://127.0.0.1:{port}"), ("serving", f"http://127.0.0.1:{serve_port}")):
                    try:
                        answered_when_printed[name] = httpx.get(f"{base}/healthz", timeout=15).status_code
                    except httpx.TransportError:
                        answered_when_printed[name] = 0

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 300  # the feature-store step backfills and materializes the sample
        while not answered_when_printed:
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "the API's address was never printed"
            time.sleep(0.3)
        starting.close()
        assert answered_when_printed == {"api": 200, "serving": 200}, "".join(lines)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json()["status"] == "ok"
        serving = f"http://127.0.0.1:{serve_port}"  # up at once: the API starts only after serving is deployed
        with sqlite3.connect(home / "pathwise.db") as db:  # serving speaks the platform's ids
            [(course,)] = db.execute("SELECT id FROM courses WHERE code = ?", (DEMO_COURSE_CODE,)).fetchall()
            learner, external = db.execute(
                "SELECT id, external_id FROM users WHERE email LIKE 'learner%@demo.pathwise.local' ORDER BY id LIMIT 1"
            ).fetchone()
        params = {"course": str(course), "k": 5}
        # serving answers nobody without the platform's service token
        closed = httpx.get(f"{serving}/v1/learners/{learner}/recommendations", params=params, timeout=30)
        assert closed.status_code == 401, closed.text
        assert closed.headers["content-type"].startswith("application/problem+json")

        # through the API: a demo learner reads their own recommendations (RBAC there, a service token to serving)
        api = f"http://127.0.0.1:{port}"
        form = {"username": f"learner{external}@demo.pathwise.local", "password": DEMO_PASSWORD}
        logged_in = httpx.post(f"{api}/v1/auth/token", data=form, timeout=30)
        assert logged_in.status_code == 200, logged_in.text
        headers = {"Authorization": f"Bearer {logged_in.json()['access_token']}"}
        answer = httpx.get(f"{api}/v1/learners/{learner}/recommendations", params=params, headers=headers, timeout=60)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["model_versions"]["kt"].startswith("pathwise-bkt/") and body["variant"] == {"kt": "champion"}
        assert body["fallback"] is None and body["items"] and body["mastery"]
        # the learner's sample history (seeded from Feast) moves mastery off the prior an unseen learner gets
        secret = resolve_secret(CommonSettings(home=home))
        token = service_token(secret, READ_RECOMMENDATIONS, learner_id="e2e-unseen")
        prior = httpx.get(
            f"{serving}/v1/learners/e2e-unseen/recommendations",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()["mastery"]
        assert set(prior) == set(body["mastery"])
        assert any(abs(body["mastery"][skill] - prior[skill]) > 0.01 for skill in prior), (body["mastery"], prior)
    finally:
        starting.close()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
        reader.join(timeout=10)
    out = "".join(lines)
    assert proc.returncode == 0, out
    printed = out.index(f"API      : http://127.0.0.1:{port}")
    assert out.index("recommendation serving: pathwise-bkt v1 deployed") < out.index("starting the API") < printed
    assert out.index(f"serving  : pathwise-bkt v1 on http://127.0.0.1:{serve_port}") > printed
    assert f"http://127.0.0.1:{port}/healthz" in out
    assert "Shutting down" in out
    assert "seeded" in out and (home / "pathwise.db").is_file()
    assert "an essay for the demo review queue:" in out  # graded by the essay champion, flagged for an instructor
    with sqlite3.connect(home / "pathwise.db") as db:
        assert db.execute("SELECT status FROM submissions").fetchall() == [("review",)]
    with sqlite3.connect(home / "mlflow.db") as registry:  # essays are scored out of the box
        aliases = registry.execute("SELECT name, alias FROM registered_model_aliases").fetchall()
    assert ("pathwise-essay", "champion") in aliases

    again = subprocess.run(
        [*PATHWISE, "up", "--no-serve"], env=home_env(home), capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert "already present, reused" in again.stdout
    assert "feature store: unchanged" in again.stdout.replace("\n", " ")
    assert "pathwise-essay@champion is version 1, reused" in again.stdout.replace("\n", " ")
