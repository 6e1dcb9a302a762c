"""Declarative deploys, so that rollout changes reach running replicas through ``reconfigure()``.

An imperative ``serve.run`` gives every call a fresh code version, which restarts replicas.
A config deploy names ``serving.app:build_app`` and its args; as long as those args stay the
same, a changed ``user_config`` on the Router is a lightweight update: the controller calls
``reconfigure()`` on live replicas and their in-memory state survives. Ray Serve's config
deploy goes through the controller client (the REST path needs the dashboard, which is off).
A config deploy replaces the whole set of applications, so every app (the benchmark's no-op
floor included) goes through :func:`deploy` together.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from serving.schemas import AppArgs, RouterConfig

APP_NAME = "pathwise"
#: Access logs cost throughput on every request; Pathwise logs its own decisions instead.
LOGGING = {"enable_access_log": False, "log_level": "WARNING"}


def app_config(args: AppArgs, router: RouterConfig | None = None) -> dict[str, Any]:
    """The Pathwise application as a Serve config entry; ``router`` overrides the Router's ``user_config``."""
    from serving.app import router_config_for
    from serving.tracer import tracer_config

    config = router or router_config_for(args)
    kt = config.rollouts.get("kt", args.kt)
    user_config = config.model_dump(mode="json")
    return {
        "name": APP_NAME,
        "route_prefix": "/",
        "import_path": "serving.app:build_app",
        "args": args.model_dump(mode="json"),
        "logging_config": LOGGING,
        "deployments": [
            {"name": "Router", "user_config": user_config},
            {"name": "KnowledgeTracer", "user_config": tracer_config(kt.model_name, [kt.champion, kt.challenger])},
        ],
    }


def deploy(
    args: AppArgs,
    router: RouterConfig | None = None,
    *,
    extra: Sequence[dict[str, Any]] = (),
    timeout_s: float = 180.0,
) -> None:
    """Deploy (or update in place) the application, plus ``extra`` app configs, and wait until all are healthy."""
    from ray.serve.context import _get_global_client
    from ray.serve.schema import ServeApplicationSchema, ServeDeploySchema

    configs = [ServeApplicationSchema.model_validate(c) for c in (app_config(args, router), *extra)]
    client = _get_global_client()
    if client is None:
        raise RuntimeError("Ray Serve is not started in this process")
    client.deploy_apps(ServeDeploySchema(applications=configs))
    wait_healthy([c.name for c in configs], timeout_s)


def wait_healthy(names: Sequence[str], timeout_s: float) -> None:
    """Block until every named application runs with all its deployments healthy."""
    from ray import serve

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        apps = serve.status().applications
        for name in names:
            app = apps.get(name)
            if app is not None and "DEPLOY_FAILED" in str(app.status):
                raise RuntimeError(f"deploying {name} failed: {app.message}")
        if all(_healthy(apps.get(name)) for name in names):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{', '.join(names)} not running after {timeout_s:.0f} s")


def _healthy(app: Any) -> bool:
    if app is None or not str(app.status).endswith("RUNNING"):
        return False
    return all(str(d.status).endswith("HEALTHY") for d in app.deployments.values())
