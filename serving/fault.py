"""The fault run: kill one ``KnowledgeTracer`` replica actor under load and watch Pathwise recover.

Failed requests are answers other than 2xx (or no answer). Degraded ones are 200s that fell
back to the rule-based estimate because no model replica answered; both are reported. Recovery
is the time from the kill until Serve's controller again reports every replica running, having
first seen one missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

APP = "pathwise"
DEPLOYMENT = "KnowledgeTracer"


def kill_replica(app: str = APP, deployment: str = DEPLOYMENT) -> str:
    """``ray.kill`` one replica actor of the deployment (no restart: Serve must replace it itself)."""
    import ray
    from ray.serve._private.common import REPLICA_ID_FULL_ID_STR_PREFIX
    from ray.serve._private.constants import SERVE_NAMESPACE

    prefix = f"{REPLICA_ID_FULL_ID_STR_PREFIX}{app}#{deployment}#"
    names = sorted(
        actor["name"]
        for actor in ray.util.list_named_actors(all_namespaces=True)
        if actor["namespace"] == SERVE_NAMESPACE and actor["name"].startswith(prefix)
    )
    if not names:
        raise RuntimeError(f"no running replica of {app}/{deployment}")
    ray.kill(ray.get_actor(names[0], namespace=SERVE_NAMESPACE), no_restart=True)
    return names[0].removeprefix(REPLICA_ID_FULL_ID_STR_PREFIX)


def running_replicas(app: str = APP, deployment: str = DEPLOYMENT) -> int:
    from ray import serve
    from ray.serve._private.common import ReplicaState

    found = serve.status().applications.get(app)
    status = found.deployments.get(deployment) if found else None
    return int(status.replica_states.get(ReplicaState.RUNNING, 0)) if status else 0


def fault_run(
    url_for: Callable[[int], Any], concurrency: int, duration: float, phase: Callable[..., Any]
) -> dict[str, Any]:
    """Load for ``duration`` s, kill a replica a third of the way in, and summarise what learners saw."""
    expected = running_replicas()
    kill_at = duration / 3
    marks: dict[str, Any] = {"killed": None, "killed_at": None, "seen_down": False, "recovered_at": None}

    async def on_tick(t: float) -> None:
        if marks["killed"] is None:
            if t >= kill_at:
                marks["killed"] = await asyncio.to_thread(kill_replica)
                marks["killed_at"] = t
            return
        if marks["recovered_at"] is None:
            running = await asyncio.to_thread(running_replicas)
            if running < expected:
                marks["seen_down"] = True
            elif marks["seen_down"]:
                marks["recovered_at"] = t

    sample = phase(url_for, concurrency, duration, f"pathwise c={concurrency}, one replica killed", on_tick=on_tick)
    total = len(sample.status)
    failed = [t for t, s in zip(sample.started, sample.status, strict=True) if not 200 <= s < 300]
    degraded = [t for t, d in zip(sample.started, sample.degraded, strict=True) if d]
    killed_at = marks["killed_at"]
    last_bad = max(failed + degraded, default=None)
    return {
        "fault": {
            **sample.summary(duration),
            "requests": total,
            "replicas": expected,
            "killed": marks["killed"],
            "killed_at_s": None if killed_at is None else round(killed_at, 2),
            "failed": len(failed),
            "failed_fraction": round(len(failed) / max(total, 1), 6),
            "degraded": len(degraded),
            "degraded_fraction": round(len(degraded) / max(total, 1), 6),
            "degraded_before_kill": sum(1 for t in degraded if killed_at is None or t < killed_at),
            "replica_replaced_after_s": None
            if marks["recovered_at"] is None or killed_at is None
            else round(marks["recovered_at"] - killed_at, 2),
            "last_bad_answer_after_kill_s": None
            if last_bad is None or killed_at is None
            else round(last_bad - killed_at, 2),
        }
    }
