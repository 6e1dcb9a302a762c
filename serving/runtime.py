"""Running the serving application in this process: local Ray, Serve's proxy, and the rollout watcher.

``pathwise serve``, ``pathwise up`` and the benchmark all start serving through :func:`ray_serve`
and :func:`start`. The rollout spec lives in the database (``pathwise rollout …`` writes it from
another process), so :class:`RolloutWatcher` polls it and pushes every change to the running
app as a new ``user_config``: replicas are reconfigured in place, never restarted.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from pathwise.contract.catalog import Catalog, demo_catalog
from pathwise.logs import get_logger
from serving.config import ServingSettings, engine_url
from serving.rollout import RolloutDecision, RolloutSpec, RolloutState, Slot
from serving.schemas import AppArgs, RouterConfig

if TYPE_CHECKING:
    from serving.loop import StateConsumer


@contextmanager
def ray_serve(
    settings: ServingSettings, host: str, port: int, namespace: str | None = None, metrics_port: int | None = None
) -> Iterator[None]:
    """A private local Ray (own namespace, no dashboard, access logs off) with Serve's proxy on ``port``;
    Ray's metrics agent serves Prometheus text on ``metrics_port`` (a free one when None)."""
    import ray
    from ray import serve

    from serving.deploy import LOGGING

    ray.init(
        address="local",
        num_cpus=settings.ray_num_cpus,
        include_dashboard=False,
        namespace=namespace or f"pathwise-{uuid.uuid4().hex[:8]}",
        log_to_driver=False,
        logging_level=logging.WARNING,
        _metrics_export_port=metrics_port,
    )
    try:
        serve.start(http_options={"host": host, "port": port}, logging_config=LOGGING)
        yield
    finally:
        serve.shutdown()
        ray.shutdown()


def app_args(settings: ServingSettings, spec: RolloutSpec, sequencer: RolloutSpec | None = None) -> AppArgs:
    """Builder args for this deployment: the platform's courses as the catalog (the demo one when it has none)."""
    from sqlalchemy import create_engine

    features = settings.home / "features"
    engine = create_engine(engine_url(settings.db_url))
    try:
        catalog = platform_catalog(engine)
    finally:
        engine.dispose()
    return AppArgs(
        mlflow_uri=settings.mlflow_uri,
        kt=spec,
        sequencer=sequencer,
        catalog=catalog,
        state_redis_url=settings.redis_url,
        features_home=str(settings.home) if features.is_dir() else None,
        db_url=settings.db_url,
        home=str(settings.home),
        state_prefix=settings.state_prefix,
    )


def platform_catalog(engine: Engine) -> Catalog:
    """The platform's courses as the serving catalog; the demo course when the platform has none."""
    from pathwise.contract.catalog_store import load_catalog

    with engine.connect() as conn:
        catalog = load_catalog(conn)
    return catalog if catalog.courses else demo_catalog()


class RolloutWatcher:
    """Keeps the running Router in step with the database, every ``interval_s``.

    - Rollout specs, instructor rules and overrides: any change is deployed as the Router's new
      ``user_config`` (a ``reconfigure()`` on live replicas, never a restart).
    - The catalog: re-read every ``catalog_interval_s`` (a join over every activity, so less often
      than the rest) and deployed the same way when a course, activity or skill tag changed.
    - Canary gates: each running rollout is judged on metrics pooled over every replica
      (:class:`pathwise.contract.rollout.pooled.PooledMetrics`); advances, promotions and rollbacks are
      stored with their reason and applied on the same tick. Holds are only logged.
    """

    def __init__(
        self, settings: ServingSettings, args: AppArgs, interval_s: float = 2.0, catalog_interval_s: float = 30.0
    ) -> None:
        from sqlalchemy import create_engine

        from pathwise.contract.rollout.pooled import PooledMetrics
        from pathwise.contract.rollout.store import RolloutStore
        from serving.rules.store import RuleStore

        engine = create_engine(engine_url(settings.db_url))
        self.engine = engine
        self.store = RolloutStore(engine)
        self.rules = RuleStore(engine)
        self.pooled = PooledMetrics(engine)
        self.args = args
        self.specs = {Slot.KT: args.kt, Slot.SEQUENCER: args.sequencer}
        self.applied = self._config(self.specs)
        self.interval_s = interval_s
        self.catalog = args.catalog
        self.catalog_interval_s = catalog_interval_s
        self._catalog_read = time.monotonic()
        self._pruned = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rollout-watcher", daemon=True)
        self._log = get_logger("serving.runtime")

    def __enter__(self) -> RolloutWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _config(self, specs: dict[Slot, RolloutSpec | None], with_rules: bool = False) -> RouterConfig:
        from serving.app import router_config_for

        live = self.args.model_copy(update={"kt": specs[Slot.KT], "sequencer": specs[Slot.SEQUENCER]})
        config = router_config_for(live)
        if not with_rules:
            return config
        return self.rules.router_config(config).model_copy(update={"catalog": self.catalog})

    def desired(self) -> RouterConfig:
        """The Router config the database asks for now: stored specs, rules, overrides and the catalog."""
        self.specs = {slot: self.store.load(slot) or self.specs[slot] for slot in self.specs}
        if time.monotonic() - self._catalog_read >= self.catalog_interval_s:
            self.catalog = platform_catalog(self.engine)
            self._catalog_read = time.monotonic()
        return self._config(self.specs, with_rules=True)

    def sync_once(self) -> bool:
        """Deploy the desired config if it differs from the running one; True when it did."""
        from serving.deploy import deploy

        config = self.desired()
        if config == self.applied:
            return False
        deploy(self.args, config)
        self.applied = config
        self._log.info(
            "router_config_applied",
            rollouts={k: v.model_dump(mode="json") for k, v in config.rollouts.items()},
            rules=len(config.rules),
            overrides=len(config.overrides),
        )
        return True

    def judge_once(self) -> list[RolloutDecision]:
        """One canary tick per running rollout; returns the decisions that changed a spec (stored)."""
        from serving.rollout import CanaryController, DecisionAction

        changed: list[RolloutDecision] = []

        def keep(decision: RolloutDecision, spec: RolloutSpec) -> None:
            if decision.action is not DecisionAction.HOLD:
                self.store.record(decision, spec)
                changed.append(decision)

        for slot in Slot:
            spec = self.store.load(slot)
            if spec is not None and spec.state == RolloutState.RUNNING:
                CanaryController(spec, on_decision=keep).evaluate(*self.pooled.snapshots(spec))
        return changed

    def tick(self) -> None:
        self.judge_once()  # a step, promotion or rollback it stores is deployed just below, on the same tick
        self.sync_once()
        if time.monotonic() - self._pruned > 3600:
            self.pooled.prune(datetime.now(UTC) - timedelta(days=1))
            self._pruned = time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception as error:  # keep watching: the next tick retries
                self._log.warning("rollout_sync_failed", error=repr(error))


class RouterForwarder:
    """The embedded learner loop's transport: the platform's in-process event bus hands each batch
    to the Router replica that holds the learner state (a Ray handle call, never HTTP).

    It is a forwarder of the bus (``events -> None``): called outside any database transaction, so the
    platform's writers never wait on serving; a failed call makes the relay deliver the batch again,
    and the Router applies each event id once.
    """

    def __init__(self, timeout_s: float = 30.0) -> None:
        from ray import serve

        from serving.deploy import APP_NAME

        self.timeout_s = timeout_s
        self._handle = serve.get_deployment_handle("Router", app_name=APP_NAME)
        # the first call through a new handle waits for Serve to tell it the replicas; pay that now, not on
        # the first learner's answer
        self._handle.apply_events.remote([]).result(timeout_s=timeout_s)

    def __call__(self, events: Sequence[Any]) -> None:
        started = time.perf_counter()
        batch = [(event.type, event.key, event.payload) for event in events]
        applied = self._handle.apply_events.remote(batch).result(timeout_s=self.timeout_s)
        get_logger("serving.loop").info(
            "events_forwarded",
            events=len(batch),
            answers=applied["answers"],
            signals=applied["signals"],
            skipped=applied["duplicates"],
            took_ms=round((time.perf_counter() - started) * 1000, 1),
        )


def learner_state_consumer(
    settings: ServingSettings,
    catalog: Catalog,
    *,
    state_prefix: str,
    features_home: str | None = None,
    name: str | None = None,
    count: int = 50,
    since: datetime | None = None,
) -> StateConsumer:
    """One consumer of the Redis event stream (``settings.events_stream``) in serving's group, applying to the
    shared learner state under ``state_prefix``; with ``features_home``, an unseen learner is first seeded
    from Feast over every skill of ``catalog``. Its Redis client is ``consumer.redis`` (close it when done)."""
    import redis

    from serving.feast_seed import FeastSeed
    from serving.loop import LearnerLoop, StateConsumer
    from serving.state import RedisState

    assert settings.redis_url is not None
    state = RedisState(settings.redis_url, state_prefix)
    skills = sorted({skill for course in catalog.courses for skill in course.skills})
    seeder = None
    if features_home is not None:
        feast = FeastSeed(features_home)

        def seeder(learner_ids: list[str]) -> object:
            return feast.seed_many(state, learner_ids, skills)

    client = redis.Redis.from_url(settings.redis_url)
    return StateConsumer(
        client,
        LearnerLoop(state, seeder, since if seeder is not None else None),
        name=name or f"serving-{uuid.uuid4().hex[:8]}",
        stream=settings.events_stream,
        count=count,
    )


@contextmanager
def state_consumer(settings: ServingSettings, args: AppArgs) -> Iterator[StateConsumer]:
    """Serving's learner-state consumer on the Redis stream, in a thread, for as long as the block runs."""
    # what the LRS stored before serving started is in the Feast history (pathwise up backfilled it just
    # before), so the backlog the API relays at start seeds nobody and is skipped
    consumer = learner_state_consumer(
        settings,
        args.catalog,
        state_prefix=args.state_prefix,
        features_home=args.features_home,
        since=datetime.now(UTC),
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), name="learner-state-consumer", daemon=True)
    thread.start()
    try:
        yield consumer
    finally:
        stop.set()
        thread.join(timeout=10)
        consumer.redis.close()


@contextmanager
def serving(settings: ServingSettings, spec: RolloutSpec, host: str, port: int) -> Iterator[str]:
    """Ray Serve with the Pathwise app for ``spec`` (plus a registered policy), its stored rules, the watcher,
    and, with Redis, the learner-state consumer (embedded, the platform forwards events: :class:`RouterForwarder`)."""
    from serving.cli import policy_spec
    from serving.deploy import deploy

    args = app_args(settings, spec, policy_spec(settings))
    with ray_serve(settings, host, port), ExitStack() as stack:
        watcher = RolloutWatcher(settings, args)
        watcher.applied = watcher.desired()
        deploy(args, watcher.applied)
        stack.enter_context(watcher)
        if settings.redis_url:
            stack.enter_context(state_consumer(settings, args))
        yield f"http://{host}:{port}"


def hold(seconds: float) -> None:
    """Keep a foreground ``serve`` command running for ``seconds`` (0: until Ctrl-C)."""
    import time

    started = time.monotonic()
    try:
        while not seconds or time.monotonic() - started < seconds:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
