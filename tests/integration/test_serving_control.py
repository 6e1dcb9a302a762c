"""The running serving app follows the database: API-made rules, exposures, and canary gates judged on a timer.

One real Ray Serve app (Router + KnowledgeTracer on registered MLflow versions) over the platform
database of ``tests.api.world``; the rule is created through the platform API, the rollouts as
``pathwise rollout`` stores them, and the watcher that ``pathwise serve`` runs does the rest.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pathwise.cli import build_cli
from serving.rollout import CanaryController, DecisionAction, Gates, Mode, RolloutSpec, Slot
from tests.api.world import World, build_world, login, make_client, publish_course
from tests.integration.test_serving_app import MODEL, Tokens, _register, _wait_ready, post_event, recommend

PORT = 8790  # this area's port base
QUICK = Gates(
    max_error_rate=0.01,
    max_p95_latency_ms=60_000,  # a version's first load is slow on this machine; latency is not under test
    min_online_auc=0.0,
    min_requests=3,
    min_outcomes=1,
    min_step_seconds=0,
)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[httpx.Client, Any, World, str, Tokens]]:
    ray = pytest.importorskip("ray")
    from ray import serve

    from serving.config import ServingSettings
    from serving.deploy import deploy
    from serving.runtime import RolloutWatcher, app_args
    from serving.schemas import RouterConfig

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    _register(uri, tmp_path / "artifacts")
    db_url = f"sqlite:///{tmp_path / 'app.db'}"
    world = build_world(db_url)
    publish_course(db_url, world.ids["course"])  # serving recommends from the published version
    settings = ServingSettings(database_url=db_url, mlflow_tracking_uri=uri)
    tokens = Tokens(settings.home)  # the Router reads the same home's secret
    args = app_args(settings, RolloutSpec(slot=Slot.KT, model_name=MODEL, champion="1"))
    args = args.model_copy(update={"router": RouterConfig(flush_interval_s=0.5)})
    ray.init(address="local", num_cpus=2, include_dashboard=False, namespace=f"serving2-{uuid.uuid4().hex[:8]}")
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": PORT})
        watcher = RolloutWatcher(settings, args, interval_s=0.5)
        watcher.applied = watcher.desired()
        deploy(args, watcher.applied)
        with watcher, httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as client:
            _wait_ready(client)
            yield client, watcher, world, db_url, tokens
    finally:
        serve.shutdown()
        ray.shutdown()


def _until(check: Callable[[], Any], seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def _traffic(client: httpx.Client, tokens: Tokens, world: World, learners: range) -> list[dict[str, Any]]:
    """One answer then one recommendation per learner, then a second answer (the outcome of what was served)."""
    course, skill = str(world.ids["course"]), str(world.ids["skill"])  # serving speaks platform ids
    bodies = []
    for n in learners:
        event = {"skill": skill, "item": "i1", "correct": n % 3 != 0}
        assert post_event(client, tokens, str(n), event).status_code == 202
        answer = recommend(client, tokens, str(n), course=course, k=3)
        assert answer.status_code == 200, answer.text
        bodies.append(answer.json())
        assert post_event(client, tokens, str(n), {**event, "correct": n % 2 == 0}).status_code == 202
    return bodies


def _start(watcher: Any, challenger: str, **kwargs: Any) -> None:
    """What `pathwise rollout start` does: the controller's start decision, stored."""
    spec = watcher.store.load(Slot.KT) or RolloutSpec(slot=Slot.KT, model_name=MODEL, champion="1")
    CanaryController(spec, on_decision=watcher.store.record).start(challenger, gates=QUICK, **kwargs)


def _actions(watcher: Any) -> list[str]:
    return [row["action"] for row in watcher.store.decisions(Slot.KT)]


@pytest.mark.integration
@pytest.mark.slow  # starts Ray Serve for real
@pytest.mark.timeout(420)
def test_rules_exposures_and_canary_steps_reach_the_running_app(
    stack: tuple[httpx.Client, Any, World, str, Tokens], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, watcher, world, db_url, tokens = stack
    course = str(world.ids["course"])  # the platform's course id: the catalog is built from the database
    assert recommend(client, tokens, "1", course="algebra-1").status_code == 404

    # 1. a rule made through the platform API reaches the live Router and is named in the reason
    with make_client(db_url) as api:
        token = login(api, "instructor@world.test")
        made = api.post(
            "/v1/rules",
            json={
                "name": "fractions-first",
                "source": 'if mastery("Fractions") < 99% then recommend "Practice"',
                "scope_kind": "course",
                "scope_id": course,
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert made.status_code == 201, made.text

    def ruled() -> dict[str, Any] | None:
        body = _traffic(client, tokens, world, range(1, 2))[0]
        return body if body["rules_applied"] else None

    body = _until(ruled)
    assert body, "the stored rule never reached the running Router"
    assert body["rules_applied"][0]["source"] == f"rule-{made.json()['id']}"
    first = body["items"][0]
    assert first["activity_id"] == str(world.ids["activity"]) and first["source"] == "rule"
    assert 'Instructor rule "fractions-first"' in first["reason"]

    # 2. a 50% A/B test: every served learner is exposed once, under the variant they were assigned
    _start(watcher, "3", mode=Mode.AB, traffic_percent=50.0)
    assert _until(
        lambda: "challenger" in {b["variant"]["kt"] for b in _traffic(client, tokens, world, range(100, 110))}
    )
    bodies = _traffic(client, tokens, world, range(200, 240))
    assert {b["variant"]["kt"] for b in bodies} == {"champion", "challenger"}
    monkeypatch.setenv("PATHWISE_DATABASE_URL", db_url)

    def report() -> dict[str, Any] | None:
        result = CliRunner().invoke(build_cli(), ["experiments", "report", "kt-v1-vs-v3", "--json"])
        data = json.loads(result.output) if result.exit_code == 0 else None
        return data if data and data["variants"].get("challenger", {}).get("learners", 0) >= 10 else None

    data = _until(report, 20)
    assert data and set(data["variants"]) == {"champion", "challenger"}
    assert data["variants"]["champion"]["learners"] >= 10  # 40+ learners at 50%: both arms well filled

    # 3. a healthy canary advances a step on its own; a failing one is rolled back on its own
    watcher.store.record(*_abort(watcher))
    _start(watcher, "3", mode=Mode.CANARY, steps=(25.0, 50.0, 100.0))
    learners = iter(range(1000, 100_000, 20))

    def advanced() -> bool:
        _traffic(client, tokens, world, range(next(learners), next(learners)))
        return DecisionAction.ADVANCE in _actions(watcher)

    assert _until(advanced, 90), _actions(watcher)
    assert (watcher.store.load(Slot.KT) or RolloutSpec).traffic_percent >= 50.0

    watcher.store.record(*_abort(watcher))
    _start(watcher, "2", mode=Mode.CANARY, steps=(25.0, 50.0, 100.0))

    def rolled_back() -> bool:
        _traffic(client, tokens, world, range(next(learners), next(learners)))
        return _actions(watcher)[0] == DecisionAction.ROLLBACK

    assert _until(rolled_back, 90), _actions(watcher)
    latest = watcher.store.decisions(Slot.KT)[0]
    assert latest["reason"].startswith("gate breached: error rate") and latest["traffic_after"] == 0.0
    # the rollback reaches the Router too: nobody is assigned the challenger any more
    assert _until(lambda: all(b["variant"]["kt"] == "champion" for b in _traffic(client, tokens, world, range(5, 25))))


def _abort(watcher: Any) -> tuple[Any, RolloutSpec]:
    controller = CanaryController(watcher.store.load(Slot.KT))
    decision = controller.abort("next experiment")
    return decision, controller.spec
