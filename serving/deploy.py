"""Declarative deploys, so that rollout changes reach running replicas through ``reconfigure()``.

An imperative ``serve.run`` gives every call a fresh code version, which restarts replicas.
A config deploy names ``serving.app:build_app`` and its args; as long as those args stay the
same, a changed ``user_config`` on the Router is a lightweight update: the controller calls
``reconfigure()`` on live replicas and their in-memory state survives. Ray Serve's config
deploy goes through the controller client (the REST path needs the dashboard, which is off).
"""

from __future__ import annotations

import time

from serving.schemas import AppArgs, RouterConfig

APP_NAME = "pathwise"


def deploy(args: AppArgs, router: RouterConfig | None = None, *, timeout_s: float = 180.0) -> None:
    """Deploy (or update in place) the application; ``router`` overrides the Router's ``user_config``."""
    from ray import serve
    from ray.serve.context import _get_global_client
    from ray.serve.schema import ServeApplicationSchema, ServeDeploySchema

    from serving.app import router_config_for

    user_config = (router or router_config_for(args)).model_dump(mode="json")
    config = ServeApplicationSchema.model_validate(
        {
            "name": APP_NAME,
            "route_prefix": "/",
            "import_path": "serving.app:build_app",
            "args": args.model_dump(mode="json"),
            "deployments": [{"name": "Router", "user_config": user_config}],
        }
    )
    client = _get_global_client()
    assert client is not None
    client.deploy_apps(ServeDeploySchema(applications=[config]))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app = serve.status().applications.get(APP_NAME)
        if app is not None and str(app.status) in {"RUNNING", "ApplicationStatus.RUNNING"}:
            deployments = app.deployments.values()
            if all(str(d.status) in {"HEALTHY", "DeploymentStatus.HEALTHY"} for d in deployments):
                return
        if app is not None and "DEPLOY_FAILED" in str(app.status):
            raise RuntimeError(f"deploying {APP_NAME} failed: {app.message}")
        time.sleep(0.5)
    raise TimeoutError(f"{APP_NAME} was not running after {timeout_s:.0f} s")
