"""``pathwise bench loop``: from a 200 on an answer to a changed mastery in the learner's recommendations.

The whole stack runs as a person starts it (``pathwise up`` in a subprocess, on a fresh home), on
the embedded defaults or on PostgreSQL + Redis. Learners log in with their own accounts, answer
items of the demo quiz through the assessment API or post an ``answered`` statement to ``/xAPI``,
and read their recommendations through the platform API (never serving directly). For each answer
the clock starts when the answer's 200/201 arrives and stops when the answered skill's mastery in
the recommendation response differs from the value read just before. The same response counts the
answers each skill's estimate rests on (``answers``): an answer that count never shows within the
timeout is *lost*; one it shows while the mastery stays put is *unmoved* (it arrived, but the model
is certain of the learner: BKT without forgetting holds a learner it considers to know a skill at
1 - slip whatever they answer). :class:`Stack` is shared with the end-to-end test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from filelock import FileLock

from features.xapi_vocabulary import answered_statement

PASSWORD = "pathwise-demo"
QUIZ_TITLE_PREFIX = "Check your understanding"
XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def home_env(home: Path) -> dict[str, str]:
    """This process's environment with no ``PATHWISE_`` setting but the state directory ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWISE_")}
    env["PATHWISE_HOME"] = str(home)
    return env


@dataclass
class Stack:
    """A running ``pathwise up``: its URLs, database and what the demo seeded."""

    api: str
    serving: str
    db_url: str
    env: dict[str, str]
    pid: int  # ``pathwise up``'s process: SIGINT stops the stack (:func:`stop_pid`)
    course: int = 0
    quiz: int = 0
    skill: str = ""
    learners: list[int] = field(default_factory=list)
    emails: dict[int, str] = field(default_factory=dict)
    lrs_auth: tuple[str, str] = ("", "")

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the platform database directly (SQLite or PostgreSQL), as an operator would."""
        if self.db_url.startswith("sqlite"):
            with sqlite3.connect(self.db_url.removeprefix("sqlite:///")) as db:
                return db.execute(sql, params).fetchall()
        import psycopg

        with psycopg.connect(self.db_url) as db:
            return db.execute(sql.replace("%", "%%").replace("?", "%s"), params).fetchall()

    def to_json(self) -> str:
        """The stack as another process reads it (:meth:`from_json`), to share one running stack."""
        return json.dumps({**self.__dict__, "emails": {str(k): v for k, v in self.emails.items()}})

    @classmethod
    def from_json(cls, text: str) -> Stack:
        fields = json.loads(text)
        fields["emails"] = {int(k): v for k, v in fields["emails"].items()}
        fields["lrs_auth"] = tuple(fields["lrs_auth"])
        return cls(**fields)

    def login(self, client: httpx.Client, learner: int) -> dict[str, str]:
        form = {"username": self.emails[learner], "password": PASSWORD}
        answer = client.post(f"{self.api}/v1/auth/token", data=form)
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@contextmanager
def one_start_at_a_time() -> Iterator[None]:
    """Hold the machine-wide lock for starting a stack (``pathwise up`` until it answers).

    A start is two minutes of mostly CPU (training, materializing, starting Ray). Stacks started side by
    side on a small machine (test workers, a bench beside a test) each take several times longer, and
    all of them miss their deadline; one after another, each starts in its own two minutes.
    """
    with FileLock(Path(tempfile.gettempdir()) / "pathwise-stack-start.lock"):
        yield


def _wait_ready(process: subprocess.Popen[str], api: str, timeout_s: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pathwise up exited with {process.returncode}; its output is in {log_path}")
        try:
            if httpx.get(f"{api}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the API did not become ready within {timeout_s:.0f} s")


@contextmanager
def running_stack(home: Path, backend: str = "embedded", *, timeout_s: float = 420.0) -> Iterator[Stack]:
    """``pathwise up`` on a fresh ``home``, stopped (Ctrl-C, as a person would) when the block ends."""
    stack, stop = start_stack(home, backend, timeout_s=timeout_s)
    try:
        yield stack
    finally:
        stop()


def start_stack(home: Path, backend: str = "embedded", *, timeout_s: float = 420.0) -> tuple[Stack, Callable[[], None]]:
    """Start ``pathwise up`` on a fresh ``home``: embedded (SQLite, in-process bus) or ``postgres`` (+ Redis).

    Returns the stack once a learner's recommendations come back, and the call that stops it. With
    ``postgres`` a throw-away database, stream and state prefix are made for the run and removed by
    that call.
    """
    env = home_env(home)
    # Every learner logs in from this one address, and each polls its recommendations far faster than
    # a person would: the default limits (20 log-ins a minute per address, 1,200 requests a minute per
    # client) would turn the benchmark's requests into 429s, which is not what it measures.
    env["PATHWISE_LOGIN_ATTEMPTS_PER_MINUTE"] = "100000"
    env["PATHWISE_REQUESTS_PER_MINUTE"] = "100000"
    run = uuid.uuid4().hex[:8]
    database = None
    if backend == "postgres":
        import psycopg

        database = f"pathwise_loop_{run}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        env["PATHWISE_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
        env["PATHWISE_REDIS_URL"] = "redis://127.0.0.1:6379/0"
        env["PATHWISE_EVENTS_STREAM"] = f"pathwise.events.loop-{run}"
        env["PATHWISE_STATE_PREFIX"] = f"pathwise:loop-{run}:"
    elif backend != "embedded":
        raise ValueError(f"unknown backend {backend!r}; use embedded or postgres")
    # the stack's output goes to a file: a pipe nobody reads fills up and blocks the stack's logging
    log = (home.parent / f"up-{backend}.log").open("w")
    db_url = env.get("PATHWISE_DATABASE_URL", f"sqlite:///{home / 'pathwise.db'}")

    def stop() -> None:
        stop_pid(process.pid, process)
        log.close()
        if database is not None:
            _drop(env, database)

    with one_start_at_a_time():  # the ports are picked once it is this stack's turn: nobody takes them meanwhile
        port, serve_port = free_port(), free_port()
        command = [sys.executable, "-m", "pathwise.cli", "up", "--port", str(port), "--serve-port", str(serve_port)]
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        api = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(process, api, timeout_s, Path(log.name))
        except BaseException:
            stop()
            raise
    try:
        stack = Stack(api, f"http://127.0.0.1:{serve_port}", db_url, env, process.pid)
        _describe_demo(stack)
        _wait_served(stack, timeout_s)
    except BaseException:
        stop()
        raise
    return stack, stop


def _wait_served(stack: Stack, timeout_s: float) -> None:
    """Until a demo learner's recommendations come back through the API (a 503 while serving warms up).

    Ready means the API answers; on a machine busy with other work the first request through Ray Serve
    can still outlast the API's 5 s budget for serving. The tests and benches measure the warm loop.
    """
    deadline = time.monotonic() + timeout_s
    learner = stack.learners[0]
    with httpx.Client(timeout=30) as client:
        headers = stack.login(client, learner)
        while True:
            answer = client.get(
                f"{stack.api}/v1/learners/{learner}/recommendations", params={"course": stack.course}, headers=headers
            )
            if answer.status_code == 200:
                return
            if answer.status_code != 503 or time.monotonic() > deadline:
                raise RuntimeError(f"recommendations answered {answer.status_code}: {answer.text}")
            time.sleep(1)


def stop_pid(pid: int, process: subprocess.Popen[str] | None = None, timeout_s: float = 120.0) -> None:
    """Ctrl-C to ``pathwise up``, as a person would; a kill if it has not stopped after ``timeout_s``.

    ``process`` is the handle when this process started the stack (it reaps it); a stack another process
    started is followed by its pid alone.
    """
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (process.poll() is not None) if process is not None else not _alive(pid):
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    if process is not None:
        process.wait()


def _alive(pid: int) -> bool:
    """Running, and not a zombie: an orphan's exit waits on a PID 1 that, in a container, may never reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _drop(env: dict[str, str], database: str) -> None:
    import psycopg
    import redis

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    client = redis.Redis.from_url(env["PATHWISE_REDIS_URL"])
    client.delete(env["PATHWISE_EVENTS_STREAM"])
    for key in client.scan_iter(match=env["PATHWISE_STATE_PREFIX"] + "*", count=500):
        client.delete(key)
    client.close()


def _describe_demo(stack: Stack) -> None:
    """The demo course, its quiz, the quiz's skill, the seeded learners and an LRS client of the tenant."""
    [(course,)] = stack.query("SELECT id FROM courses WHERE code = ?", "ASSIST-MATH")
    [(quiz, skill)] = stack.query(
        "SELECT a.id, i.skill_id FROM assessments a JOIN items i ON i.id = "
        "(SELECT min(x.id) FROM items x WHERE x.external_id LIKE 'demo-frac-%') WHERE a.kind = 'formative'"
    )
    learners = stack.query("SELECT id, email FROM users WHERE email LIKE 'learner%@demo.pathwise.local' ORDER BY id")
    # learners the KT model is not yet certain about on the quiz's skill (BKT without forgetting keeps a
    # learner it holds certain at the top whatever they answer, so their mastery could not show the answer)
    practised = stack.query(
        "SELECT a.user_id FROM attempts a JOIN items i ON i.id = a.item_id WHERE i.skill_id = ? "
        "GROUP BY a.user_id HAVING count(*) > 8",
        int(skill),
    )
    certain = {int(row[0]) for row in practised}
    learners = [row for row in learners if int(row[0]) not in certain]
    stack.course, stack.quiz, stack.skill = int(course), int(quiz), str(skill)
    stack.learners = [int(row[0]) for row in learners]
    stack.emails = {int(ident): str(email) for ident, email in learners}
    made = subprocess.run(
        [sys.executable, "-m", "pathwise.cli", "lrs", "credentials", "create", "--name", "loop", "--org", "demo"],
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    )
    fields = dict(line.split(":", 1) for line in made.stdout.splitlines() if ":" in line)
    stack.lrs_auth = (fields["key"].strip(), fields["secret"].strip())


def wrong_answer(item: dict[str, Any]) -> dict[str, Any]:
    """An answer of the item's own kind that its key cannot accept (the learner gets it wrong)."""
    kind, body = item.get("kind"), item.get("body") or {}
    choices = sorted(body.get("choices") or {"a": ""})
    if kind == "multiple_choice":  # the demo's keys are never the first choice
        return {"choice": choices[0]}
    if kind == "multiple_response":
        return {"choices": choices[-2:-1] or choices[:1]}
    if kind == "numeric":
        return {"value": 987654.0}
    if kind == "ordering":
        return {"order": sorted(body.get("items") or {}, reverse=True)}
    if kind == "matching":
        return {"pairs": {}}
    return {"text": "no idea"}


def mastery(
    client: httpx.Client, stack: Stack, learner: int, headers: dict[str, str], k: int = 5
) -> tuple[float, dict[str, Any]]:
    """The quiz skill's mastery in the learner's recommendations (and the whole answer, ``k`` activities).

    A 503 (serving did not answer within the API's budget, as on a machine busy with other work) is asked
    again after a second, twice, as a client would; any other failure ends the run at once.
    """
    for wait_s in (1.0, 1.0, 0.0):
        answer = client.get(
            f"{stack.api}/v1/learners/{learner}/recommendations",
            params={"course": stack.course, "k": k},
            headers=headers,
        )
        if answer.status_code != 503 or not wait_s:
            break
        time.sleep(wait_s)
    if answer.status_code != 200:
        raise AssertionError(f"recommendations for learner {learner} answered {answer.status_code}: {answer.text}")
    body = answer.json()
    return float(body["mastery"].get(stack.skill, float("nan"))), body


@dataclass
class Timing:
    via: str
    latency_ms: float | None  # to the changed mastery; None: it never moved
    arrived_ms: float | None  # to the answer counted in the served state; None: lost


def answers_on_skill(body: dict[str, Any], skill: str) -> int:
    return int(body.get("answers", {}).get(skill, 0))


def _wait_change(
    client: httpx.Client, stack: Stack, learner: int, headers: dict[str, str], before: dict[str, Any], timeout_s: float
) -> tuple[float | None, float | None]:
    """(ms to a changed mastery, ms to the answer counted) for one answer; None where it did not happen."""
    was, counted = float(before["mastery"].get(stack.skill, float("nan"))), answers_on_skill(before, stack.skill)
    started, arrived = time.perf_counter(), None
    while time.perf_counter() - started < timeout_s:
        now, body = mastery(client, stack, learner, headers)
        elapsed = (time.perf_counter() - started) * 1000
        if now != was:
            return elapsed, arrived or elapsed
        if arrived is None and answers_on_skill(body, stack.skill) > counted:
            arrived = elapsed  # counted, and the estimate stayed where it was: keep looking until the timeout
            timeout_s = min(timeout_s, elapsed / 1000 + 1.0)
        time.sleep(0.02)
    return None, arrived


def answer_quiz(client: httpx.Client, stack: Stack, headers: dict[str, str], sitting: int) -> bool:
    """One wrong answer to the quiz's current item; False when the quiz has nothing left to answer.

    An item whose tries are spent answers 409; the sitting then moves on, so the next item is asked for
    again rather than counting a refused answer as one that was made.
    """
    for _ in range(3):
        item = client.get(f"{stack.api}/v1/sittings/{sitting}/next", headers=headers)
        item.raise_for_status()
        if item.json() is None:
            return False
        body = item.json()
        answer = {"item_id": body["id"], "answer": wrong_answer(body), "duration_ms": 15_000}
        posted = client.post(f"{stack.api}/v1/sittings/{sitting}/answers", json=answer, headers=headers)
        if posted.status_code != 409:
            posted.raise_for_status()
            return True
    return False


def answer_xapi(client: httpx.Client, stack: Stack, learner: int, n: int, correct: bool = False) -> None:
    statement = answered_statement(learner, f"loop-{learner}-{n}", stack.skill, correct, duration_s=12.0)
    posted = client.post(f"{stack.api}/xAPI/statements", json=statement, auth=stack.lrs_auth, headers=XAPI_HEADERS)
    posted.raise_for_status()


def drive_learner(stack: Stack, learner: int, answers: int, timeout_s: float = 10.0) -> list[Timing]:
    """Alternate a wrong quiz answer and a right xAPI answer for one learner; time each from its 2xx.

    Right and wrong alternate because a run of wrong answers drives BKT to its fixed point, where one
    more wrong answer moves the (4-decimal) mastery no more, and that answer would read as lost.
    """
    timings: list[Timing] = []
    with httpx.Client(timeout=30) as client:
        headers = stack.login(client, learner)
        sitting = client.post(f"{stack.api}/v1/assessments/{stack.quiz}/sittings", headers=headers)
        sitting.raise_for_status()
        sitting_id = int(sitting.json()["id"])
        quiz_open = True
        for n in range(answers):
            _, before = mastery(client, stack, learner, headers)
            right = n % 2 == 1
            via = "xapi"
            if quiz_open and not right:
                quiz_open = answer_quiz(client, stack, headers, sitting_id)
                via = "quiz" if quiz_open else via
            if via == "xapi":
                answer_xapi(client, stack, learner, n, correct=right)
            timings.append(Timing(via, *_wait_change(client, stack, learner, headers, before, timeout_s)))
    return timings


def _drive(stack: Stack, learners: list[int], answers: int, concurrency: int, progress: Any) -> list[Timing]:
    timings: list[Timing] = []
    with progress, ThreadPoolExecutor(concurrency) as pool:
        task = progress.add_task("learners answering", total=len(learners))
        for result in pool.map(lambda learner: drive_learner(stack, learner, answers), learners):
            timings += result
            progress.advance(task)
    return timings


def summarize(backend: str, timings: list[Timing]) -> dict[str, Any]:
    import numpy as np

    moved = [t.latency_ms for t in timings if t.latency_ms is not None]
    arrived = [t.arrived_ms for t in timings if t.arrived_ms is not None]
    p50, p95 = np.percentile(moved, [50, 95]) if moved else (float("nan"), float("nan"))
    return {
        "backend": backend,
        "answers": len(timings),
        "lost": len(timings) - len(arrived),
        "unmoved": sum(1 for t in timings if t.arrived_ms is not None and t.latency_ms is None),
        "p50_ms": round(float(p50), 1),
        "p95_ms": round(float(p95), 1),
        "max_ms": round(max(moved), 1) if moved else None,
        "arrived_p95_ms": round(float(np.percentile(arrived, 95)), 1) if arrived else None,
        "by_source": {via: sum(1 for t in timings if t.via == via) for via in ("quiz", "xapi")},
    }


def bench_loop(
    learners: Annotated[int, typer.Option(min=1, max=400, help="Demo learners answering")] = 50,
    answers: Annotated[int, typer.Option(min=1, max=100, help="Answers per learner (quiz and xAPI alternately)")] = 10,
    backends: Annotated[str, typer.Option(help="Comma-separated: embedded, postgres")] = "embedded,postgres",
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Learners answering at once")] = 8,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object per backend")] = False,
) -> None:
    """Loop latency: an answer's 2xx → its skill's mastery changed in the authenticated recommendations."""
    import tempfile

    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    for backend in [b.strip() for b in backends.split(",") if b.strip()]:
        with tempfile.TemporaryDirectory(prefix="pathwise-loop-") as home:
            console.print(f"starting pathwise up ({backend}) on a fresh home")
            with running_stack(Path(home) / "home", backend) as stack:
                timings = _drive(stack, stack.learners[:learners], answers, concurrency, Progress(console=console))
        summary = summarize(backend, timings)
        typer.echo(json.dumps(summary) if json_out else json.dumps(summary, indent=2))


def register_bench() -> None:
    from pathwise.commands import bench_app

    if "loop" not in {c.name for c in bench_app.registered_commands}:
        bench_app.command("loop")(bench_loop)
