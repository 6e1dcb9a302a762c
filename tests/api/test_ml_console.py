"""The ML console's API: registry from MLflow, rollouts through the shared controller, live gates, reports.

A small registry (two versions of ``pathwise-bkt``, the first with plots) is made in the API's own
MLflow store; the rollout routes then act on the same tables ``pathwise rollout`` and serving use.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pathwise.contract.rollout.pooled import PooledMetrics
from pathwise.contract.rollout.store import RolloutStore
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.security import hash_password
from platform_api.domain.models import Grant, Role, User
from tests.api.ml_registry import PNG, register_versions
from tests.api.world import PASSWORD, World, login, module_world

ML_EMAIL = "ml@world.test"


def add_ml_engineer(db_url: str) -> None:
    """A user holding only the ML Engineer role, tenant-wide (as the demo's Mila Engineer)."""
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as s:
        admin = s.scalar(select(User).where(User.email == "admin@world.test"))
        assert admin is not None
        root_grant = s.scalar(select(Grant).where(Grant.user_id == admin.id))
        assert root_grant is not None
        role = s.scalar(select(Role).where(Role.name == "ML Engineer"))
        assert role is not None
        user = User(tenant_id=admin.tenant_id, email=ML_EMAIL, display_name="ml", password_hash=hash_password(PASSWORD))
        s.add(user)
        s.flush()
        s.add(Grant(user_id=user.id, role_id=role.id, scope_type="org_unit", scope_id=root_grant.scope_id))
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite"])
def ml_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, World]]:
    with module_world(request, tmp_path_factory) as (client, world):
        add_ml_engineer(world.db_url)
        world.tokens["ml"] = login(client, ML_EMAIL)
        settings = client.app.state.settings  # type: ignore[attr-defined]
        register_versions(settings.mlflow_uri, settings.home)
        yield client, world


def _as(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def _ok(client: TestClient, world: World, method: str, path: str, body: Any = None) -> Any:
    answer = client.request(method, path, json=body, headers=_as(world, "ml"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_registry_shows_versions_metrics_and_plots(ml_api: tuple[TestClient, World]) -> None:
    client, world = ml_api
    [model] = [m for m in _ok(client, world, "GET", "/v1/models") if m["name"] == "pathwise-bkt"]
    assert model["aliases"] == {"champion": "1"} and model["versions"] == 2
    detail = _ok(client, world, "GET", "/v1/models/pathwise-bkt")
    first = next(v for v in detail["versions"] if v["version"] == "1")
    assert first["aliases"] == ["champion"] and first["metrics"]["auc"] == pytest.approx(0.71)
    assert first["git_commit"] == "abc123" and first["data_digest"] == {"dataset_digest_train": "d1g357"}
    assert first["feature_service"] == "kt_v1" and first["plots"] == ["roc", "reliability"]
    second = next(v for v in detail["versions"] if v["version"] == "2")
    assert second["plots"] == []  # no plot logged: the console says so instead of drawing one
    png = client.get("/v1/models/pathwise-bkt/versions/1/plots/roc", headers=_as(world, "ml"))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png" and png.content == PNG
    missing = client.get("/v1/models/pathwise-bkt/versions/2/plots/roc", headers=_as(world, "ml"))
    assert missing.status_code == 404 and "logged no roc plot" in missing.json()["detail"]
    unknown = client.get("/v1/models/no-such-model", headers=_as(world, "ml"))
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/models/pathwise-bkt/versions/1/plots/roc").status_code == 401


def test_only_models_scopes_see_and_act(ml_api: tuple[TestClient, World]) -> None:
    client, world = ml_api
    for who in ("instructor", "assistant", "learner", "guardian"):
        assert client.get("/v1/models", headers=_as(world, who)).status_code == 403
        refused = client.post("/v1/rollouts/kt/abort", headers=_as(world, who))
        assert refused.status_code == 403 and refused.json()["required_permission"] == "models:write"
    assert client.get("/v1/rollouts", headers=_as(world, "admin")).status_code == 200


def test_canary_start_metrics_refused_promote_abort(ml_api: tuple[TestClient, World]) -> None:
    client, world = ml_api
    idle = _ok(client, world, "GET", "/v1/rollouts/kt")
    assert idle["champion"] == "1" and idle["versions"] == ["2", "1"] and not idle["stored"]
    bad = client.post("/v1/rollouts/kt/start", json={"challenger": "7"}, headers=_as(world, "ml"))
    assert bad.status_code == 422 and "not in the registry (registered: 1, 2)" in bad.json()["detail"]
    same = client.post("/v1/rollouts/kt/start", json={"challenger": "1"}, headers=_as(world, "ml"))
    assert same.status_code == 422 and "already the champion" in same.json()["detail"]
    gate = client.post(
        "/v1/rollouts/kt/start", json={"challenger": "2", "gates": {"max_error_rate": 2}}, headers=_as(world, "ml")
    )
    assert gate.status_code == 422 and gate.json()["errors"][0]["location"] == "body.gates.max_error_rate"
    split = client.post(
        "/v1/rollouts/kt/start", json={"challenger": "2", "traffic_percent": 30}, headers=_as(world, "ml")
    )
    assert split.status_code == 422 and "sets an A/B split" in split.json()["detail"]
    started = _ok(client, world, "POST", "/v1/rollouts/kt/start", {"challenger": "2", "mode": "canary"})
    assert started["state"] == "running" and started["challenger"] == "2" and started["traffic_percent"] == 5.0
    assert started["decisions"][0]["action"] == "start"
    again = client.post("/v1/rollouts/kt/start", json={"challenger": "2"}, headers=_as(world, "ml"))
    assert again.status_code == 409 and "already running" in again.json()["detail"]

    engine = make_engine(world.db_url)
    batch = {"requests": 3, "errors": 0, "latencies_ms": [4.0, 6.0, 9.0], "predictions": [0.8, 0.3], "labels": [1, 0]}
    PooledMetrics(engine).write("kt", [{"variant": "challenger", "version": "2", **batch}], at=datetime.now(UTC))
    PooledMetrics(engine).write("kt", [{"variant": "champion", "version": "9", **batch}])  # another rollout's
    gates = _ok(client, world, "GET", "/v1/rollouts/kt/metrics")
    challenger = next(v for v in gates["variants"] if v["variant"] == "challenger")
    assert challenger["requests"] == 3 and challenger["online_auc"] == 1.0 and challenger["p95_latency_ms"] > 6
    champion = next(v for v in gates["variants"] if v["variant"] == "champion")
    assert champion["requests"] == 0 and [p["variant"] for p in gates["series"]] == ["challenger"]

    refused = client.post("/v1/rollouts/kt/promote", headers=_as(world, "ml"))
    assert refused.status_code == 409, refused.text
    assert "has served 3 of the 200 requests its gates need" in refused.json()["detail"]
    assert RolloutStore(engine).load("kt").challenger == "2"  # type: ignore[union-attr]

    aborted = _ok(client, world, "POST", "/v1/rollouts/kt/abort")
    assert aborted["state"] == "aborted" and [d["action"] for d in aborted["decisions"][:2]] == ["abort", "start"]
    assert aborted["decisions"][0]["reason"] == f"aborted by hand by {ML_EMAIL}"
    late = client.post("/v1/rollouts/kt/promote", headers=_as(world, "ml"))
    assert late.status_code == 409 and "no running rollout to promote" in late.json()["detail"]
    engine.dispose()


def test_experiment_report_unknown_is_404(ml_api: tuple[TestClient, World]) -> None:
    client, world = ml_api
    assert _ok(client, world, "GET", "/v1/experiments") == [] or True
    missing = client.get("/v1/experiments/kt-v1-vs-v9/report", headers=_as(world, "ml"))
    assert missing.status_code == 404 and "no exposures recorded" in missing.json()["detail"]
