"""Ray Serve for real: registered MLflow pyfunc versions behind the Router, variants named in every answer."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from serving.rollout import Mode, RolloutSpec, RolloutState, Slot

MODEL = "pathwise-test-kt"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _register(uri: str, artifacts: Path) -> None:
    """Versions 1 and 3 answer with the smoothed share correct per skill; version 2 always raises."""
    import mlflow
    import mlflow.pyfunc

    class ShareCorrect(mlflow.pyfunc.PythonModel):  # local classes are pickled by value
        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            right: dict[str, int] = {}
            seen: dict[str, int] = {}
            out = []
            for skill, correct in zip(model_input["skill_id"], model_input["correct"], strict=True):
                out.append((right.get(skill, 0) + 1) / (seen.get(skill, 0) + 2))
                right[skill] = right.get(skill, 0) + int(correct)
                seen[skill] = seen.get(skill, 0) + 1
            return out

    class Broken(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("injected failure")

    mlflow.set_tracking_uri(uri)
    experiment = mlflow.create_experiment("serving-test", artifact_location=artifacts.as_uri())
    for model in (ShareCorrect(), Broken(), ShareCorrect()):
        with mlflow.start_run(experiment_id=experiment):
            mlflow.pyfunc.log_model(name="model", python_model=model, registered_model_name=MODEL)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    ray = pytest.importorskip("ray")
    from ray import serve

    from platform_api.core.migrate import upgrade
    from serving.config import ServingSettings
    from serving.deploy import deploy as deploy_app
    from serving.runtime import RolloutWatcher
    from serving.schemas import AppArgs

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    _register(uri, tmp_path / "artifacts")
    port = _free_port()
    ray.init(address="local", num_cpus=2, include_dashboard=False, namespace=f"t{uuid.uuid4().hex[:8]}")
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})

        first: list[AppArgs] = []
        db_url = f"sqlite:///{tmp_path / 'app.db'}"
        upgrade(db_url)

        def deploy(spec: RolloutSpec) -> RolloutWatcher:
            """The first call deploys; later calls store the spec for the watcher (which changes only user_config)."""
            if not first:
                first.append(AppArgs(mlflow_uri=uri, kt=spec))
                deploy_app(first[0])
            settings = ServingSettings(database_url=db_url, mlflow_tracking_uri=uri)
            watcher = RolloutWatcher(settings, first[0])
            watcher.store.save(spec)
            return watcher

        yield f"http://127.0.0.1:{port}", deploy
    finally:
        serve.shutdown()
        ray.shutdown()


def _wait_ready(client: httpx.Client) -> None:
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("serving did not become ready in 120 s")


def _until(client: httpx.Client, done: Any, seconds: float = 90) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + seconds
    while True:
        answer = client.get("/v1/learners/u1/recommendations", params={"course": "algebra-1", "k": 3})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if done(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


@pytest.mark.integration
@pytest.mark.slow  # starts Ray Serve for real: about 100 s on this 2-core machine
@pytest.mark.timeout(420)
def test_recommendations_name_version_and_variant_and_fall_back(served: tuple[str, Any]) -> None:
    base, deploy = served
    champion_only = RolloutSpec(slot=Slot.KT, model_name=MODEL, champion="1")
    deploy(champion_only)
    with httpx.Client(base_url=base, timeout=30) as client:
        _wait_ready(client)
        for correct in (True, True, True, True, False, True, True, True):
            assert (
                client.post(
                    "/v1/learners/u1/events", json={"skill": "Fractions", "item": "f", "correct": correct}
                ).status_code
                == 202
            )
        body = _until(client, lambda b: b["fallback"] is None)  # the first load of a version may be slow here
        assert body["model_versions"] == {"kt": f"{MODEL}/1"} and body["variant"] == {"kt": "champion"}
        assert body["fallback"] is None
        assert body["mastery"]["Fractions"] == pytest.approx(0.8)  # (7 + 1) / (8 + 2) from the registered model
        assert body["items"] and all(item["reason"] and item["type"] for item in body["items"])
        assert "quad-practice" not in {item["activity_id"] for item in body["items"]}  # Algebra not mastered: locked

        bad = client.get("/v1/learners/u1/recommendations", params={"course": "nope"})
        assert bad.status_code == 404 and bad.headers["content-type"].startswith("application/problem+json")
        assert client.get("/v1/learners/ghost/recommendations", params={"course": "algebra-1"}).status_code == 404

        # every learner on the (failing) challenger, stored in the database as `pathwise rollout` does; the
        # watcher of a running `pathwise serve`/`up` pushes it to the live Router through reconfigure, so the
        # learner state it holds survives (a restart would make u1 unknown: 404)
        canary = champion_only.model_copy(
            update={"challenger": "2", "traffic_percent": 100.0, "mode": Mode.CANARY, "state": RolloutState.RUNNING}
        )
        watcher = deploy(canary)
        assert watcher.sync_once() and not watcher.sync_once()  # applied once; nothing new the second time
        body = _until(client, lambda b: b["fallback"] is not None)
        assert body["variant"] == {"kt": "champion"} and body["model_versions"] == {"kt": f"{MODEL}/1"}
        assert body["fallback"] == "champion: the challenger failed"
        live = client.get("/v1/rollouts/metrics").json()
        assert live["challenger"]["errors"] >= 1 and live["challenger"]["error_rate"] == 1.0
