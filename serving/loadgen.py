"""A closed-loop async HTTP load generator (aiohttp) with a live progress bar.

``concurrency`` workers each send one request, wait for the answer, and send the next, for
``duration`` seconds after a discarded warm-up. Written here rather than shelling out to
wrk/locust because the benchmark must run both targets in one process, count Pathwise's
degraded answers (``fallback``) per request, and mark events (a replica kill) on the same clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEGRADED = b'"fallback":"rule_based'


@dataclass
class Sample:
    """Per-request records of one phase: start offset (s), latency (ms), status (0: transport error)."""

    started: list[float] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    status: list[int] = field(default_factory=list)
    degraded: list[bool] = field(default_factory=list)

    def summary(self, seconds: float) -> dict[str, float]:
        lat = np.asarray(self.latency_ms) if self.latency_ms else np.asarray([float("nan")])
        p50, p95, p99 = np.percentile(lat, [50, 95, 99])
        return {
            "rps": round(len(self.latency_ms) / seconds, 1),
            "p50_ms": round(float(p50), 2),
            "p95_ms": round(float(p95), 2),
            "p99_ms": round(float(p99), 2),
        }

    @property
    def errors(self) -> int:
        return sum(1 for s in self.status if not 200 <= s < 300)


#: What a load generator sends: a URL to GET, a (URL, JSON body) pair to POST, or either with headers
#: as (URL, body or None, headers).
Target = str | tuple[str, dict[str, Any]] | tuple[str, dict[str, Any] | None, dict[str, str]]


def unpack(target: Target) -> tuple[str, dict[str, Any] | None, dict[str, str] | None]:
    if isinstance(target, str):
        return target, None, None
    if len(target) == 2:
        return target[0], target[1], None
    return target[0], target[1], target[2]


async def run_load(
    url_for: Callable[[int], Target],
    *,
    concurrency: int,
    duration: float,
    warmup: float = 2.0,
    label: str = "load",
    progress: Any = None,
    on_tick: Callable[[float], Any] | None = None,
) -> Sample:
    """Drive ``url_for(i)`` (i counts requests) with ``concurrency`` workers; returns the measured window.

    ``url_for`` returns a :data:`Target`.
    """
    import aiohttp

    sample = Sample()
    counter = iter(range(1 << 62))
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    task = progress.add_task(label, total=warmup + duration) if progress is not None else None
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        begin = time.perf_counter()
        measure_from, stop_at = begin + warmup, begin + warmup + duration

        async def worker() -> None:
            while (now := time.perf_counter()) < stop_at:
                target = url_for(next(counter))
                url, body_json, headers = unpack(target)
                if body_json is None:
                    request = session.get(url, headers=headers)
                else:
                    request = session.post(url, json=body_json, headers=headers)
                try:
                    async with request as response:
                        body = await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    body, status = b"", 0
                done = time.perf_counter()
                if now >= measure_from:
                    sample.started.append(now - measure_from)
                    sample.latency_ms.append((done - now) * 1000)
                    sample.status.append(status)
                    sample.degraded.append(DEGRADED in body)

        async def ticker() -> None:
            while (now := time.perf_counter()) < stop_at:
                if progress is not None:
                    progress.update(task, completed=now - begin, description=f"{label} ({len(sample.status)} req)")
                if on_tick is not None and now >= measure_from:
                    await on_tick(now - measure_from)
                await asyncio.sleep(0.25)

        await asyncio.gather(ticker(), *(worker() for _ in range(concurrency)))
    if progress is not None:
        progress.update(task, completed=warmup + duration)
    return sample
