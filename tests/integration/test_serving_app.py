"""Ray Serve for real: registered MLflow pyfunc versions behind the Router, variants named in every answer."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pathwise.config import CommonSettings
from pathwise.service_auth import (
    READ_METRICS,
    READ_RECOMMENDATIONS,
    WRITE_STATE,
    resolve_secret,
    service_token,
)
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


class Tokens:
    """Service tokens as the platform mints them, signed with the secret the Router reads from ``home``."""

    def __init__(self, home: Path) -> None:
        self.secret = resolve_secret(CommonSettings(home=home))

    def headers(self, scope: str, learner_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {service_token(self.secret, scope, learner_id=learner_id)}"}

    def read(self, learner_id: str) -> dict[str, str]:
        return self.headers(READ_RECOMMENDATIONS, learner_id)


def post_event(client: httpx.Client, tokens: Tokens, learner_id: str, event: dict[str, Any]) -> httpx.Response:
    """The internal state route (benchmarks, operators): a ``state:write`` token."""
    return client.post(f"/v1/learners/{learner_id}/events", json=event, headers=tokens.headers(WRITE_STATE))


def recommend(client: httpx.Client, tokens: Tokens, learner_id: str, **params: Any) -> httpx.Response:
    return client.get(f"/v1/learners/{learner_id}/recommendations", params=params, headers=tokens.read(learner_id))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Tokens]]:
    """One Ray Serve app for the module; ``deploy`` deploys on its first call and only stores specs after."""
    ray = pytest.importorskip("ray")
    from ray import serve

    from platform_api.core.migrate import upgrade
    from serving.config import ServingSettings
    from serving.deploy import deploy as deploy_app
    from serving.runtime import RolloutWatcher
    from serving.schemas import AppArgs

    tmp_path = tmp_path_factory.mktemp("served")
    home = tmp_path / "home"
    tokens = Tokens(home)  # the secret file exists before any replica reads it
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
                first.append(AppArgs(mlflow_uri=uri, kt=spec, home=str(home)))
                deploy_app(first[0])
            settings = ServingSettings(database_url=db_url, mlflow_tracking_uri=uri)
            watcher = RolloutWatcher(settings, first[0])
            watcher.store.save(spec)
            return watcher

        yield f"http://127.0.0.1:{port}", deploy, tokens
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


def _until(client: httpx.Client, tokens: Tokens, done: Any, seconds: float = 90) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + seconds
    while True:
        answer = recommend(client, tokens, "u1", course="algebra-1", k=3)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if done(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


@pytest.mark.integration
@pytest.mark.slow  # starts Ray Serve for real: about 100 s on this 2-core machine
@pytest.mark.timeout(420)
def test_recommendations_name_version_and_variant_and_fall_back(served: tuple[str, Any, Tokens]) -> None:
    base, deploy, tokens = served
    champion_only = RolloutSpec(slot=Slot.KT, model_name=MODEL, champion="1")
    deploy(champion_only)
    with httpx.Client(base_url=base, timeout=30) as client:
        _wait_ready(client)
        for correct in (True, True, True, True, False, True, True, True):
            event = {"skill": "Fractions", "item": "f", "correct": correct}
            assert post_event(client, tokens, "u1", event).status_code == 202
        body = _until(client, tokens, lambda b: b["fallback"] is None)  # a version's first load may be slow here
        assert body["model_versions"] == {"kt": f"{MODEL}/1"} and body["variant"] == {"kt": "champion"}
        assert body["fallback"] is None
        assert body["mastery"]["Fractions"] == pytest.approx(0.8)  # (7 + 1) / (8 + 2) from the registered model
        assert body["items"] and all(item["reason"] and item["type"] for item in body["items"])
        assert "quad-practice" not in {item["activity_id"] for item in body["items"]}  # Algebra not mastered: locked

        bad = recommend(client, tokens, "u1", course="nope")
        assert bad.status_code == 404 and bad.headers["content-type"].startswith("application/problem+json")
        ghost = recommend(client, tokens, "ghost", course="algebra-1")  # never seen, no Feast: the model's prior
        assert ghost.status_code == 200, ghost.text
        assert ghost.json()["mastery"]["Fractions"] == pytest.approx(0.5)  # (0 + 1) / (0 + 2)

        # every learner on the (failing) challenger, stored in the database as `pathwise rollout` does; the
        # watcher of a running `pathwise serve`/`up` pushes it to the live Router through reconfigure, so the
        # learner state it holds survives (a restart would lose u1's answers: the prior again)
        canary = champion_only.model_copy(
            update={"challenger": "2", "traffic_percent": 100.0, "mode": Mode.CANARY, "state": RolloutState.RUNNING}
        )
        watcher = deploy(canary)
        assert watcher.sync_once() and not watcher.sync_once()  # applied once; nothing new the second time
        body = _until(client, tokens, lambda b: b["fallback"] is not None)
        assert body["variant"] == {"kt": "champion"} and body["model_versions"] == {"kt": f"{MODEL}/1"}
        assert body["fallback"] == "champion: the challenger failed"
        live = client.get("/v1/rollouts/metrics", headers=tokens.headers(READ_METRICS)).json()
        assert live["challenger"]["errors"] >= 1 and live["challenger"]["error_rate"] == 1.0


def _problem(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    return str(answer.json()["detail"])


@pytest.mark.integration
@pytest.mark.slow  # shares the module's Ray Serve app (started here when this test runs alone)
@pytest.mark.timeout(420)
def test_serving_answers_only_the_platforms_service_tokens(served: tuple[str, Any, Tokens]) -> None:
    base, deploy, tokens = served
    deploy(RolloutSpec(slot=Slot.KT, model_name=MODEL, champion="1"))  # only stored when the app already runs
    path, params = "/v1/learners/auth-1/recommendations", {"course": "algebra-1", "k": 2}
    with httpx.Client(base_url=base, timeout=30) as client:
        _wait_ready(client)
        assert client.get("/healthz").json() == {"status": "ok"}  # open: probes carry no token

        # no token, or one serving cannot verify: 401 with a Bearer challenge
        missing = client.get(path, params=params)
        assert "missing" in _problem(missing, 401) and missing.headers["www-authenticate"] == "Bearer"
        assert _problem(client.get(path, params=params, headers={"Authorization": "Basic dTpw"}), 401)
        forged = service_token("a-secret-that-is-not-the-platforms-own-0123", READ_RECOMMENDATIONS, learner_id="auth-1")
        assert _problem(client.get(path, params=params, headers={"Authorization": f"Bearer {forged}"}), 401)
        expired = service_token(tokens.secret, READ_RECOMMENDATIONS, learner_id="auth-1", ttl_s=-5)
        assert "expired" in _problem(
            client.get(path, params=params, headers={"Authorization": f"Bearer {expired}"}), 401
        )
        event = {"skill": "Fractions", "item": "f", "correct": True}
        assert _problem(client.post("/v1/learners/auth-1/events", json=event), 401)
        assert _problem(client.get("/v1/rollouts/metrics"), 401)

        # a valid token for another learner, or for another scope: 403
        other = client.get(path, params=params, headers=tokens.read("auth-2"))
        assert "another learner" in _problem(other, 403)
        unbound = client.get(path, params=params, headers=tokens.headers(READ_RECOMMENDATIONS))
        assert _problem(unbound, 403)
        for scope in (WRITE_STATE, READ_METRICS):
            wrong = client.get(path, params=params, headers=tokens.headers(scope, "auth-1"))
            assert "recommendations:read" in _problem(wrong, 403)
        read_token = tokens.read("auth-1")
        assert _problem(client.post("/v1/learners/auth-1/events", json=event, headers=read_token), 403)
        assert _problem(client.get("/v1/rollouts/metrics", headers=read_token), 403)

        # the right token: 200, and the state route and metrics answer their own scopes
        answer = client.get(path, params=params, headers=read_token)
        assert answer.status_code == 200, answer.text
        assert answer.json()["learner_id"] == "auth-1" and answer.json()["items"]
        assert post_event(client, tokens, "auth-1", event).status_code == 202
        assert client.get("/v1/rollouts/metrics", headers=tokens.headers(READ_METRICS)).status_code == 200
