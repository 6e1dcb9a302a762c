"""``pathwise bench serve``: Pathwise's recommendation endpoint against a no-op floor, and a fault run.

Both apps sit behind the same Ray Serve proxy in one Ray instance, so the floor is this
machine's, measured in the same minute. The load generator (:mod:`serving.loadgen`) runs in
this process and shares the CPUs with Ray; it loads both targets identically.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from typing import Annotated, Any

import typer

from serving.config import ServingSettings
from serving.rollout import Mode, RolloutSpec, RolloutState, Slot

BENCH_TAG = "pathwise.bench"
COURSE = "algebra-1"
SKILLS = ("Fractions", "Algebra", "Quadratics")


def _settings() -> ServingSettings:
    from pathwise.commands import settings_or_exit

    return settings_or_exit(ServingSettings)


def champion_spec(settings: ServingSettings) -> RolloutSpec:
    """The registered champion (trained on the bundled sample first if the registry has none)."""
    from pipelines.champion import ensure_default_champion
    from serving.cli import champion_from_registry

    if settings.kt_model_name == "pathwise-bkt":
        ensure_default_champion(settings)
    return RolloutSpec(slot=Slot.KT, model_name=settings.kt_model_name, champion=champion_from_registry(settings))


def canary_copy(settings: ServingSettings, spec: RolloutSpec) -> str:
    """A second registry version of the champion's artefact, tagged as a benchmark copy (reused across runs)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=settings.mlflow_uri, registry_uri=settings.mlflow_uri)
    query = f"name='{spec.model_name}' and tag.`{BENCH_TAG}`='canary-copy'"
    for found in client.search_model_versions(query):
        if str(found.version) != spec.champion:
            return str(found.version)
    champion = client.get_model_version(spec.model_name, spec.champion)
    copy = client.create_model_version(
        spec.model_name,
        source=str(champion.source),
        run_id=champion.run_id,
        tags={BENCH_TAG: "canary-copy"},
        description=f"copy of version {spec.champion} for `pathwise bench serve`'s canary run",
        model_id=getattr(champion, "model_id", None),
    )
    return str(copy.version)


class Tokens:
    """Service tokens as the platform mints them: one per learner for reads, one for direct state writes."""

    def __init__(self, secret: str, learners: int) -> None:
        from pathwise.service_auth import READ_RECOMMENDATIONS, WRITE_STATE, service_token

        day = 86_400

        def bearer(scope: str, learner_id: str | None = None) -> dict[str, str]:
            return {"Authorization": "Bearer " + service_token(secret, scope, learner_id=learner_id, ttl_s=day)}

        self.read = {i: bearer(READ_RECOMMENDATIONS, f"bench-{i}") for i in range(learners)}
        self.write = bearer(WRITE_STATE)


async def seed(base: str, learners: int, tokens: Tokens) -> None:
    """Give every benchmark learner a short history over HTTP (the internal state-write route)."""
    import aiohttp

    rng = random.Random(7)
    async with aiohttp.ClientSession(headers=tokens.write) as session:
        for i in range(learners):
            for n in range(8):
                skill = SKILLS[n % 2]
                body = {"skill": skill, "item": f"{skill}-{n}", "correct": rng.random() < 0.7, "seconds": 30}
                async with session.post(f"{base}/v1/learners/bench-{i}/events", json=body) as response:
                    if response.status != 202:
                        raise RuntimeError(f"seeding failed: {response.status} {await response.text()}")


async def wait_model(base: str, tokens: Tokens, timeout_s: float = 180.0, variant: str = "champion") -> None:
    """Until a recommendation comes from the model (the first MLflow load can take a while)."""
    import aiohttp

    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            for i in range(min(64, len(tokens.read))):
                url = f"{base}/v1/learners/bench-{i}/recommendations?course={COURSE}&k=5"
                async with session.get(url, headers=tokens.read[i]) as response:
                    body = await response.json()
                if response.status == 200 and body.get("fallback") is None and body["variant"]["kt"] == variant:
                    return
            await asyncio.sleep(0.5)
    raise TimeoutError(f"no {variant} recommendation from the model within {timeout_s:.0f} s")


def pathwise_series(url: str, wait_s: float = 30.0) -> list[str]:
    """The Pathwise metric series Ray's agent exports (Prometheus text), to show they are live."""
    import httpx

    deadline = time.monotonic() + wait_s
    names: set[str] = set()
    while time.monotonic() < deadline:
        try:
            text = httpx.get(url, timeout=5).text
        except httpx.HTTPError:
            text = ""
        names = {line.split("{")[0] for line in text.splitlines() if line.startswith("ray_pathwise_")}
        if any(name.startswith("ray_pathwise_requests") for name in names):
            break
        time.sleep(2)
    return sorted(names)


def _progress() -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(), console=Console(stderr=True))


def bench_serve(
    concurrency: Annotated[int, typer.Option(min=1, max=1024, help="Concurrent connections")] = 64,
    duration: Annotated[float, typer.Option(min=1, help="Measured seconds per concurrency-N phase")] = 30.0,
    c1_duration: Annotated[float, typer.Option(min=1, help="Measured seconds per concurrency-1 phase")] = 10.0,
    learners: Annotated[int, typer.Option(min=1, max=100_000, help="Distinct learners in the load")] = 256,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for Serve's HTTP proxy")] = 8740,
    canary: Annotated[bool, typer.Option(help="Also measure with a 10% canary running")] = True,
    fault: Annotated[bool, typer.Option("--fault", help="Kill a KnowledgeTracer replica under load instead")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Recommendation endpoint vs a no-op Ray Serve floor over HTTP (or, with --fault, a replica-kill run).

    Every Pathwise request carries the service token the platform would mint for that learner, so the
    figures include verifying it; the no-op floor takes none.
    """
    from pathwise.service_auth import resolve_secret
    from serving.deploy import deploy
    from serving.loadgen import Target, run_load
    from serving.noop import noop_config
    from serving.runtime import ray_serve
    from serving.schemas import AppArgs

    settings = _settings()
    spec = champion_spec(settings)
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    namespace = f"pathwise-bench-{uuid.uuid4().hex[:8]}"
    with ray_serve(settings, "127.0.0.1", port, namespace, metrics_port=port + 1), _progress() as progress:
        args = AppArgs(
            mlflow_uri=settings.mlflow_uri, kt=spec, tracer_replicas=2 if fault else 1, home=str(settings.home)
        )
        tokens = Tokens(resolve_secret(settings), learners)
        floor = [] if fault else [noop_config()]
        deploy(args, extra=floor)
        asyncio.run(seed(base, learners, tokens))
        asyncio.run(wait_model(base, tokens))

        def pathwise_url(i: int) -> Target:
            learner = i % learners
            return f"{base}/v1/learners/bench-{learner}/recommendations?course={COURSE}&k=5", None, tokens.read[learner]

        def mixed(i: int) -> Target:
            """Each learner answers, then asks for the next activity: half posts, half (uncached) reads."""
            learner = (i // 2) % learners
            if i % 2 == 0:
                event = {"skill": SKILLS[i % 3 % 2], "item": f"load-{i}", "correct": i % 3 != 0, "seconds": 20}
                return f"{base}/v1/learners/bench-{learner}/events", event, tokens.write
            return pathwise_url(learner)

        def noop_url(_: int) -> str:
            return f"{base}/noop/"

        def phase(url: Any, c: int, seconds: float, label: str, **kw: Any) -> Any:
            return asyncio.run(run_load(url, concurrency=c, duration=seconds, label=label, progress=progress, **kw))

        if fault:
            from serving.fault import fault_run

            result: dict[str, Any] = fault_run(mixed, concurrency, duration, phase)
        else:
            samples = {
                "pathwise": phase(pathwise_url, concurrency, duration, f"pathwise c={concurrency}"),
                "noop_floor": phase(noop_url, concurrency, duration, f"no-op c={concurrency}"),
                "pathwise_c1": phase(pathwise_url, 1, c1_duration, "pathwise c=1"),
                "noop_c1": phase(noop_url, 1, c1_duration, "no-op c=1"),
                "mixed": phase(mixed, concurrency, duration, f"answer+read c={concurrency}"),
            }
            result = {key: samples[key].summary(duration) for key in ("pathwise", "noop_floor")}
            result["ratio_rps"] = round(result["pathwise"]["rps"] / max(result["noop_floor"]["rps"], 1e-9), 3)
            result["c1"] = {
                "pathwise_p95_ms": samples["pathwise_c1"].summary(c1_duration)["p95_ms"],
                "noop_p95_ms": samples["noop_c1"].summary(c1_duration)["p95_ms"],
            }
            result["answer_then_read"] = samples["mixed"].summary(duration)  # every read follows a fresh event
            errors = {key: sample.errors for key, sample in samples.items()}
            if canary:
                # the comparison run right before the canary, so both see the same machine load
                before = phase(pathwise_url, concurrency, duration, f"pathwise c={concurrency}, before the canary")
                errors["before_canary"] = before.errors
                challenger = canary_copy(settings, spec)
                running = spec.model_copy(
                    update={
                        "challenger": challenger,
                        "mode": Mode.CANARY,
                        "steps": (10.0, 25.0, 50.0, 100.0),
                        "traffic_percent": 10.0,
                        "state": RolloutState.RUNNING,
                    }
                )
                from serving.app import router_config_for

                deploy(args, router_config_for(args.model_copy(update={"kt": running})), extra=floor)
                asyncio.run(wait_model(base, tokens, variant="challenger"))
                sample = phase(pathwise_url, concurrency, duration, f"pathwise c={concurrency}, 10% canary")
                errors["canary"] = sample.errors
                summary = sample.summary(duration)
                result["canary"] = {
                    **summary,
                    "challenger": f"{spec.model_name}/{challenger}",
                    "champion_only_rps": before.summary(duration)["rps"],
                    "rps_vs_champion_only": round(summary["rps"] / max(before.summary(duration)["rps"], 1e-9), 3),
                }
            result["errors"] = errors
        result["prometheus_series"] = pathwise_series(f"http://127.0.0.1:{port + 1}/metrics")
    result["load_avg"] = {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]}
    typer.echo(json.dumps(result) if json_out else json.dumps(result, indent=2))


def register_bench() -> None:
    from pathwise.commands import bench_app

    if "serve" not in {c.name for c in bench_app.registered_commands}:
        bench_app.command("serve")(bench_serve)
