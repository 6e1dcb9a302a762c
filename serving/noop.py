"""A no-op Ray Serve ingress: the benchmark's floor, served by the same proxy as Pathwise."""

from typing import Any

from fastapi import FastAPI
from ray import serve
from ray.serve import Application

noop_api = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@serve.deployment(name="Noop", max_ongoing_requests=256)
@serve.ingress(noop_api)
class Noop:
    @noop_api.get("/")
    async def root(self) -> dict[str, bool]:
        return {"ok": True}


def build_noop(args: dict[str, Any]) -> Application:
    """Same CPU reservation and options as the Router, so the two ingresses compare fairly."""
    cpus = float(args.get("replica_cpus", 0.5))
    return Noop.options(ray_actor_options={"num_cpus": cpus}).bind()  # type: ignore[attr-defined]


def noop_config(route_prefix: str = "/noop", replica_cpus: float = 0.5) -> dict[str, Any]:
    from serving.deploy import LOGGING

    return {
        "name": "noop",
        "route_prefix": route_prefix,
        "import_path": "serving.noop:build_noop",
        "args": {"replica_cpus": replica_cpus},
        "logging_config": LOGGING,
    }
