"""Running the serving application in this process: local Ray, Serve's proxy, and the rollout watcher.

``pathwise serve``, ``pathwise up`` and the benchmark all start serving through :func:`ray_serve`
and :func:`start`. The rollout spec lives in the database (``pathwise rollout …`` writes it from
another process), so :class:`RolloutWatcher` polls it and pushes every change to the running
app as a new ``user_config``: replicas are reconfigured in place, never restarted.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from pathwise.logs import get_logger
from serving.config import ServingSettings, engine_url
from serving.rollout import RolloutSpec, Slot
from serving.schemas import AppArgs


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
    features = settings.home / "features"
    return AppArgs(
        mlflow_uri=settings.mlflow_uri,
        kt=spec,
        sequencer=sequencer,
        state_redis_url=settings.redis_url,
        features_home=str(settings.home) if features.is_dir() else None,
    )


class RolloutWatcher:
    """Polls the stored ``kt`` rollout spec and redeploys the Router's ``user_config`` when it changes."""

    def __init__(self, settings: ServingSettings, args: AppArgs, interval_s: float = 2.0) -> None:
        from sqlalchemy import create_engine

        from serving.rollout.store import RolloutStore

        self.store = RolloutStore(create_engine(engine_url(settings.db_url)))
        self.args = args
        self.applied = {Slot.KT: args.kt, Slot.SEQUENCER: args.sequencer}
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rollout-watcher", daemon=True)
        self._log = get_logger("serving.runtime")

    def __enter__(self) -> RolloutWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def sync_once(self) -> bool:
        """Apply the stored spec if it differs from the running one; True when it did."""
        from serving.app import router_config_for
        from serving.deploy import deploy

        stored = {slot: self.store.load(slot) or self.applied[slot] for slot in self.applied}
        if stored == self.applied:
            return False
        live = self.args.model_copy(update={"kt": stored[Slot.KT], "sequencer": stored[Slot.SEQUENCER]})
        deploy(self.args, router_config_for(live))
        self.applied = stored
        self._log.info("rollout_applied", **{str(k): v.model_dump(mode="json") for k, v in stored.items() if v})
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sync_once()
            except Exception as error:  # keep watching: the next tick retries
                self._log.warning("rollout_sync_failed", error=repr(error))


@contextmanager
def serving(settings: ServingSettings, spec: RolloutSpec, host: str, port: int) -> Iterator[str]:
    """Ray Serve with the Pathwise app for ``spec`` (plus a registered policy) and the rollout watcher."""
    from serving.cli import policy_spec
    from serving.deploy import deploy

    args = app_args(settings, spec, policy_spec(settings))
    with ray_serve(settings, host, port):
        deploy(args)
        with RolloutWatcher(settings, args):
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
