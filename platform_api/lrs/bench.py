"""``pathwise bench ingest``: statements/s over HTTP into the configured database, end to end.

It starts the API (uvicorn, several workers) and a stream consumer as real processes,
posts pre-built batches with a small pool of keep-alive connections, measures
single-statement latency, then waits until the consumer has seen every statement and
checks that nothing was lost or handled twice. It also reports the CPU the API, the consumer,
PostgreSQL and the load generator itself spent per 100 statements, and the load average, because on
a shared machine statements/s says as much about the neighbours as about the code.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from typing import Annotated, Any

import orjson
import typer

from features.xapi_vocabulary import answered_statement


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(base: str, process: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API exited with code {process.returncode} during start-up")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the API did not become healthy within 60 s")


async def _post_batches(base: str, headers: dict[str, str], bodies: list[bytes], concurrency: int) -> tuple[int, float]:
    """Post every body over ``concurrency`` keep-alive connections (aiohttp: the client must stay cheap,
    since it shares the machine's cores with the server it measures)."""
    import aiohttp

    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    accepted = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base, headers=headers, connector=connector, timeout=timeout) as client:

        async def worker() -> None:
            nonlocal accepted
            while not queue.empty():
                body = queue.get_nowait()
                async with client.post("/xAPI/statements", data=body) as response:
                    content = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"batch refused: {response.status} {content[:300]!r}")
                accepted += len(orjson.loads(content))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return accepted, time.perf_counter() - started


def _latencies(base: str, headers: dict[str, str], samples: int) -> list[float]:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one log line per request would skew the figure

    out = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for n in range(samples):
            body = orjson.dumps(answered_statement(f"lat{n}", n, n % 7, n % 2 == 0))
            started = time.perf_counter()
            response = client.post("/xAPI/statements", content=body)
            out.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"statement refused: {response.status_code} {response.text[:300]}")
    return out


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process and its children (the API's workers), by pid."""
    import psutil

    out: dict[int, float] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                times = proc.cpu_times()
                out[proc.pid] = times.user + times.system
        except psutil.Error:
            continue
    return out


def _wait_settled(pid: int, workers: int, others: list[int], timeout_s: float = 120.0) -> None:
    """Wait until the API's ``workers`` processes and the ``others`` (the consumer) sit idle.

    ``/healthz`` answers as soon as one worker is up; on a loaded machine the others may still
    be importing for many seconds, which would both skew the rate and charge their start-up CPU
    to the request path.
    """
    import psutil

    deadline = time.monotonic() + timeout_s
    previous: dict[int, float] = {}
    while time.monotonic() < deadline:
        try:
            processes = [*psutil.Process(pid).children(), *map(psutil.Process, others)]
            now = {process.pid: sum(process.cpu_times()[:2]) for process in processes}
        except psutil.Error:
            now = {}
        settled = len(now) >= workers + len(others) and previous.keys() == now.keys()
        if settled and all(now[p] - previous[p] < 0.05 for p in now):  # under 10 % of a core for 0.5 s
            return
        previous = now
        time.sleep(0.5)


def _wait_for(count: Any, target: int, timeout_s: float = 120.0) -> int | None:
    """Poll ``count()`` until it reaches ``target`` (or the time runs out); returns the last value."""
    deadline = time.monotonic() + timeout_s
    value = count()
    while (value is None or value < target) and time.monotonic() < deadline:
        time.sleep(0.5)
        value = count()
    return value


def _backend_pids(factory: Any) -> list[int]:
    """PostgreSQL server processes serving the benchmark's database (CPU is read from /proc: local only)."""
    from sqlalchemy import text

    with factory() as session:
        if session.get_bind().dialect.name != "postgresql":
            return []
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return list(session.scalars(query))


def _cpu_ms_per_100(before: dict[int, float], after: dict[int, float], statements: int) -> float:
    spent = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
    return round(spent * 1000 / statements * 100, 2)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def ingest(
    statements: Annotated[int, typer.Option(min=100, help="Statements to post in batches")] = 20_000,
    batch: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    workers: Annotated[int, typer.Option(min=1, max=16, help="uvicorn worker processes")] = 2,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Concurrent client connections")] = 8,
    latency_samples: Annotated[int, typer.Option(min=10)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Measure ingest throughput, consumer delivery and single-statement latency."""
    from sqlalchemy import func, select

    from pathwise.commands import settings_or_exit
    from platform_api.core.config import APISettings
    from platform_api.core.db import make_engine, make_session_factory, transaction
    from platform_api.core.migrate import upgrade
    from platform_api.domain.lrs.models import Statement
    from platform_api.events.models import ConsumedEvent
    from platform_api.lrs.credentials import create_credential

    settings = settings_or_exit(APISettings)
    settings.ensure_home()
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        issued = create_credential(session, "bench ingest")
        before = session.scalar(select(func.count()).select_from(Statement)) or 0
    run_id = uuid.uuid4().hex[:8]
    stream, group = f"pathwise.bench.{run_id}", f"bench-{run_id}"
    port = _free_port()
    env = {**os.environ, "PATHWISE_DATABASE_URL": settings.db_url, "PATHWISE_EVENTS_STREAM": stream}
    if settings.db_url.startswith("sqlite"):
        workers = 1  # SQLite has one writer; more workers only add lock contention
    server = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "platform_api.main:app_from_env", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--no-access-log", "--log-level", "warning", "--loop", "uvloop", "--http", "httptools",
        ],
        env=env,
    )  # fmt: skip
    consumer = None
    if settings.redis_url:
        consumer = subprocess.Popen(
            [
                sys.executable, "-m", "pathwise.cli", "events", "consume", "--group", group, "--name", "bench",
                "--handler", "markers", "--stream", stream, "--batch", "500",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    headers = {
        "Authorization": issued.basic_header,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    cpu_before: dict[str, dict[int, float]] = {}
    cpu_after: dict[str, dict[int, float]] = {}
    try:
        _wait_healthy(base, server)
        _wait_settled(server.pid, workers if workers > 1 else 0, [consumer.pid] if consumer else [])
        bodies = [
            orjson.dumps(
                [
                    answered_statement(f"u{(start + i) % 500}", (start + i) % 2000, i % 50, i % 3 > 0)
                    for i in range(batch)
                ]
            )
            for start in range(0, statements, batch)
        ]
        # Single statements first, so their CPU stays out of the batch figures below.
        latencies = _latencies(base, headers, latency_samples)

        def consumed() -> int | None:
            with factory() as session:
                return session.scalar(
                    select(func.count()).select_from(ConsumedEvent).where(ConsumedEvent.consumer == group)
                )

        reached = None
        if consumer is not None:
            reached = _wait_for(consumed, latency_samples)
        cpu_before["api"] = _cpu_seconds([server.pid])
        cpu_before["consumer"] = _cpu_seconds([consumer.pid] if consumer else [])
        cpu_before["postgres"] = _cpu_seconds(_backend_pids(factory))
        cpu_before["client"] = {os.getpid(): time.process_time()}
        accepted, elapsed = asyncio.run(_post_batches(base, headers, bodies, concurrency))
        cpu_after["client"] = {os.getpid(): time.process_time()}
        expected = accepted + latency_samples
        with factory() as session:
            stored = (session.scalar(select(func.count()).select_from(Statement)) or 0) - before
        if consumer is not None:
            reached = _wait_for(consumed, expected)
        cpu_after["api"] = _cpu_seconds([server.pid])
        cpu_after["consumer"] = _cpu_seconds([consumer.pid] if consumer else [])
        cpu_after["postgres"] = _cpu_seconds(_backend_pids(factory))
    finally:
        for process in (server, consumer):
            if process is not None:
                process.terminate()
                process.wait(30)
    delivered = _stream_length(settings.redis_url, stream)
    engine.dispose()
    report: dict[str, Any] = {
        "backend": engine.dialect.name,
        "statements": statements,
        "batch": batch,
        "workers": workers,
        "concurrency": concurrency,
        "accepted": accepted,
        "seconds": round(elapsed, 3),
        "statements_per_s": round(accepted / elapsed, 1),
        "stored_in_db": stored,
        "expected_in_db": expected,
        "stream": stream if settings.redis_url else "in-process",
        # One entry per request's statements (and per single statement), not per statement.
        "stream_entries": delivered,
        "reached_consumer": reached,
        "lost": None if reached is None else expected - reached,
        "duplicated_in_db": stored - expected,
        "single_post_latency_ms": {"p50": _percentile(latencies, 0.5), "p95": _percentile(latencies, 0.95)},
        # CPU per 100 batched statements, from the first batch posted to the last event consumed (after
        # start-up and the single-statement posts): a figure the machine's load changes far less than
        # statements/s. "postgres" counts only server processes of this database; "client" is this
        # process, the load generator, while it posts the batches.
        "cpu_ms_per_100_statements": {
            name: _cpu_ms_per_100(cpu_before[name], cpu_after.get(name, {}), accepted) for name in cpu_before
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if as_json:
        typer.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        for key, value in report.items():
            typer.echo(f"{key:>24}: {value}")


def _stream_length(redis_url: str | None, stream: str) -> int | None:
    if not redis_url:
        return None
    import redis

    client = redis.Redis.from_url(redis_url)
    length = int(client.xlen(stream))
    client.delete(stream)
    return length
