"""The Ray Serve application: a ``Router`` ingress plus one ``KnowledgeTracer`` deployment.

Hot path: HTTP proxy → Router → KnowledgeTracer (one hop). Variant assignment, the
sequencer and instructor rules run inside the Router, because on this machine every extra
deployment hop costs about a third of the throughput. Rollout specs, rules and overrides
reach running replicas through ``user_config``/``reconfigure()``, never a restart.

Degradation: if the assigned variant fails, the Router retries the champion; if that fails
too it estimates mastery with a smoothed share correct. The response's ``fallback`` says which.
"""

# No ``from __future__ import annotations`` here: FastAPI must see real types on the route methods
# (string annotations inside ``serve.ingress`` views turn bodies into 422s).
import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import FastAPI, Header, Query
from fastapi.responses import JSONResponse
from ray import serve
from ray.exceptions import ActorUnavailableError, RayActorError
from ray.serve import Application
from ray.serve.deployment import Deployment
from ray.serve.handle import DeploymentHandle

from pathwise.config import CommonSettings
from pathwise.contract.catalog import Catalog
from pathwise.contract.rollout.pooled import PooledMetrics
from pathwise.contract.rules import (
    Candidate,
    LearnerContext,
    Override,
    RuleError,
    Scope,
    ScopedRule,
    ScopeKind,
    apply,
    decide,
)
from pathwise.contract.sequencer import Signals, rank
from pathwise.contract.stream import Event
from pathwise.logs import get_logger
from pathwise.service_auth import (
    READ_METRICS,
    READ_RECOMMENDATIONS,
    WRITE_STATE,
    ServiceTokenError,
    resolve_secret,
    verify_service_token,
)
from serving.config import engine_url
from serving.exposures import ExposureSink, open_exposure_log
from serving.feast_seed import FeastSeed
from serving.loop import LearnerLoop
from serving.policy import REGISTERED_MODEL as POLICY_MODEL
from serving.policy import PolicyHook, load_policy
from serving.rollout import LiveMetrics, RolloutSpec, Slot, Variant, assign
from serving.schemas import AppArgs, EventIn, RecommendationOut, RecommendationsOut, RouterConfig
from serving.state import Learner, open_state
from serving.tracer import KnowledgeTracer, tracer_config

#: mastery per skill, model versions, variants and the fallback note, as the Router returns them
Mastery = tuple[dict[str, float], dict[str, str], dict[str, str], str | None]

api = FastAPI(title="Pathwise recommendations", docs_url=None, redoc_url=None)


class ServingProblem(Exception):
    """An HTTP problem (RFC 9457) raised inside the Router."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


@api.exception_handler(ServingProblem)
async def _problem(_request: Any, error: ServingProblem) -> JSONResponse:
    body = {"type": "about:blank", "title": error.title, "status": error.status, "detail": error.detail}
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(body, status_code=error.status, media_type="application/problem+json", headers=headers)


#: The ``Authorization`` header of a request to serving (a platform service token).
AuthHeader = Annotated[str | None, Header(alias="Authorization")]


def parse_rules(config: RouterConfig, catalog: Catalog) -> list[ScopedRule]:
    """Parse every configured rule, failing the whole reconfigure on the first bad one (nothing half-applied)."""
    rules = []
    catalog = config.catalog or catalog
    for item in config.rules:
        try:
            scope = Scope(ScopeKind(item.scope_kind), item.scope_id)
            names = catalog.names(item.scope_id if item.scope_kind == "course" else None)
            parsed = ScopedRule.from_source(item.id, item.name, item.source, scope, item.priority, names)
            rules.append(replace(parsed, enabled=item.enabled))
        except RuleError as error:
            raise ValueError(f"rule {item.id!r}: {error}") from error
    return rules


class _Meters:
    """Per-deployment, per-variant Prometheus metrics through Ray's metrics agent (created per replica)."""

    def __init__(self) -> None:
        from ray.util import metrics

        tags = ("deployment", "slot", "variant", "version")
        self.requests = metrics.Counter("pathwise_requests_total", "Recommendation requests", tag_keys=tags)
        self.errors = metrics.Counter("pathwise_errors_total", "Failed model calls", tag_keys=tags)
        self.latency = metrics.Histogram(
            "pathwise_latency_ms", "Model call latency", boundaries=[1, 2, 5, 10, 25, 50, 100, 250, 1000], tag_keys=tags
        )
        self.served = metrics.Gauge("pathwise_served_version", "1 for each version currently served", tag_keys=tags)

    def observe(
        self, slot: str, variant: str, version: str, latency_ms: float, ok: bool, deployment: str = "KnowledgeTracer"
    ) -> None:
        tags = {"deployment": deployment, "slot": slot, "variant": variant, "version": version}
        self.requests.inc(1, tags)
        self.latency.observe(latency_ms, tags)
        self.served.set(1, tags)
        if not ok:
            self.errors.inc(1, tags)


@serve.deployment(name="Router", max_ongoing_requests=256)
@serve.ingress(api)
class Router:
    def __init__(
        self,
        tracer: DeploymentHandle,
        catalog: dict[str, Any],
        redis_url: str | None = None,
        prefix: str = "",
        mlflow_uri: str = "",
        features_home: str | None = None,
        db_url: str | None = None,
        home: str = "",
    ) -> None:
        # the platform's secret, from PATHWISE_SECRET_KEY or the home's key file: serving accepts its tokens only
        self._secret = resolve_secret(CommonSettings(home=Path(home))) if home else ""
        if not self._secret:
            raise ValueError("serving needs the platform's signing secret: it answers no request without a token")
        self.mlflow_uri = mlflow_uri
        self.db_url = db_url
        self._pooled: PooledMetrics | None = None
        # opening makes an engine but connects nowhere
        self._exposures: ExposureSink | None = open_exposure_log(db_url) if db_url else None
        self._flusher: asyncio.Task[None] | None = None
        self.feast = self._open_feast(features_home) if features_home else None
        self.policy: PolicyHook | None = None
        self.tracer = tracer
        self.catalog = Catalog.model_validate(catalog)
        self.state = open_state(redis_url, prefix or "pathwise:serving:")
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        self.metrics = LiveMetrics()
        self.meters = _Meters()
        self.config = RouterConfig()
        self.rules: list[ScopedRule] = []
        self.log = get_logger("serving.router")
        self._background: set[asyncio.Task[None]] = set()
        # statements stored before this replica started are in the Feast history unseen learners start from
        since = datetime.now(UTC) if self.feast is not None else None
        self.loop = LearnerLoop(self.state, self._seed if self.feast is not None else None, since)

    def _authorize(self, authorization: str | None, scope: str, learner_id: str | None = None) -> None:
        """Every data route: a platform service token for ``scope`` (and this learner), else 401/403."""
        try:
            verify_service_token(self._secret, authorization, scope, learner_id)
        except ServiceTokenError as error:
            title = "Unauthorized" if error.status == 401 else "Forbidden"
            raise ServingProblem(error.status, title, str(error)) from None

    async def reconfigure(self, config: dict[str, Any]) -> None:
        new = RouterConfig.model_validate(config)
        rules = parse_rules(new, self.catalog)
        self.config, self.rules = new, rules
        if new.catalog is not None:  # a course published since start-up becomes servable without a restart
            self.catalog = new.catalog
        await self._load_policy(new.rollouts.get(str(Slot.SEQUENCER)))
        self.log.info("router_reconfigured", rollouts={k: v.model_dump(mode="json") for k, v in new.rollouts.items()})

    async def _load_policy(self, spec: RolloutSpec | None) -> None:
        """Load the registered sequencing policy in this process (no extra hop); keep the old one on failure."""
        if spec is None:
            self.policy = None
        elif self.policy is None or self.policy.version != spec.champion:
            try:
                self.policy = await asyncio.to_thread(load_policy, self.mlflow_uri, spec.champion)
            except Exception as error:
                self.log.warning("policy_load_failed", version=spec.champion, error=repr(error))

    # --- model calls -------------------------------------------------------------------------
    async def _call(self, spec: RolloutSpec, variant: Variant, frame: dict[str, list[Any]]) -> list[float]:
        version = spec.challenger if variant is Variant.CHALLENGER and spec.challenger else spec.champion
        started = time.perf_counter()
        ok = False
        try:
            result = await self._predict(version, frame)
            ok = True
            return list(result["p_correct"])
        finally:
            latency = (time.perf_counter() - started) * 1000
            self.metrics.record_request(variant, latency, ok=ok, version=version)
            self.meters.observe(str(spec.slot), str(variant), version, latency, ok)

    async def _predict(self, version: str, frame: dict[str, list[Any]]) -> dict[str, Any]:
        """One model call; a replica that dies or vanishes mid-call is retried on another one
        (the handle drops dead replicas), a model error is not (the caller falls back instead)."""
        handle = self.tracer.options(multiplexed_model_id=version)
        for attempt in range(self.config.model_retries + 1):
            try:
                return cast(
                    dict[str, Any],
                    await asyncio.wait_for(handle.predict.remote(frame), timeout=self.config.model_timeout_s),
                )
            except (RayActorError, ActorUnavailableError) as error:
                if attempt == self.config.model_retries:
                    raise
                self.log.warning("model_replica_lost", version=version, attempt=attempt + 1, error=type(error).__name__)
        raise AssertionError("unreachable")

    async def _shadow(self, spec: RolloutSpec, learner_id: str, frame: dict[str, list[Any]]) -> None:
        try:
            scores = await self._call(spec, Variant.CHALLENGER, frame)
            self.log.info("shadow_scored", learner_id=learner_id, version=spec.challenger, probes=scores[-5:])
        except Exception as error:
            self.log.warning("shadow_failed", learner_id=learner_id, version=spec.challenger, error=str(error))

    def _variant(self, spec: RolloutSpec, learner_id: str) -> Variant:
        if not spec.serving_challenger:
            return Variant.CHAMPION
        return assign(learner_id, spec.traffic_percent, slot="kt", salt=spec.salt)

    async def _score(
        self, spec: RolloutSpec, variant: Variant, learner_id: str, learner: Learner, skills: list[str]
    ) -> Mastery:
        """Ask the model (one hop) for ``skills``; cache what it answers under its version."""
        frame = learner.frame(learner_id, skills)
        if spec.shadowing:
            self._spawn(self._shadow(spec, learner_id, frame))
        attempts = [variant] if variant is Variant.CHAMPION else [variant, Variant.CHAMPION]
        for index, attempt in enumerate(attempts):
            try:
                scores = await self._call(spec, attempt, frame)
            except Exception as error:
                self.log.warning("model_call_failed", learner_id=learner_id, variant=str(attempt), error=repr(error))
                continue
            key = f"{spec.model_name}/{spec.challenger if attempt is Variant.CHALLENGER else spec.champion}"
            mastery = dict(zip(skills, scores[-len(skills) :], strict=True)) if skills else {}
            self.state.store_mastery(learner_id, key, learner.seq, mastery)
            fallback = "champion: the challenger failed" if index > 0 else None
            return mastery, {"kt": key}, {"kt": str(attempt)}, fallback
        mastery = learner.fallback_mastery(skills)
        return mastery, {}, {"kt": "fallback"}, "rule_based: no model version answered"

    async def _mastery(self, learner_id: str, learner: Learner, skills: list[str]) -> Mastery:
        """The latest mastery per skill: cached when the learner's assigned version computed it after their
        last event (no hop), else scored now. An event refresh still in flight is awaited first."""
        spec = self.config.rollouts.get(str(Slot.KT))
        if spec is None:
            return learner.fallback_mastery(skills), {}, {"kt": "fallback"}, "rule_based: no kt rollout"
        pending = self._refreshing.get(learner_id)
        if pending is not None:
            await asyncio.wait([pending], timeout=self.config.model_timeout_s)
            learner = self.state.load(learner_id) or learner
        variant = self._variant(spec, learner_id)
        key = f"{spec.model_name}/{spec.challenger if variant is Variant.CHALLENGER else spec.champion}"
        cached = learner.cached_mastery(key, skills)
        if cached is not None:
            return cached, {"kt": key}, {"kt": str(variant)}, None
        wanted = sorted(set(skills) | (set(learner.mastery) if learner.mastery_key == key else set()))
        mastery, versions, variants, fallback = await self._score(spec, variant, learner_id, learner, wanted)
        return {s: mastery[s] for s in skills}, versions, variants, fallback

    async def _refresh(self, learner_id: str, skill: str | None = None) -> None:
        """After an event: rescore the skills the learner's cache holds (plus the event's) off the request path."""
        try:
            spec = self.config.rollouts.get(str(Slot.KT))
            learner = self.state.load(learner_id)
            if spec is not None and learner is not None:
                skills = sorted(set(learner.mastery) | ({skill} if skill else set()))
                await self._score(spec, self._variant(spec, learner_id), learner_id, learner, skills)
        finally:
            if self._refreshing.get(learner_id) is asyncio.current_task():
                del self._refreshing[learner_id]

    def _open_feast(self, home: str) -> FeastSeed | None:
        """The Feast store, or None (logged) when it cannot be opened: serving must start without it."""
        try:
            return FeastSeed(home)
        except Exception as error:
            get_logger("serving.router").warning("feast_unavailable", home=home, error=repr(error))
            return None

    def _seed(self, learner_ids: list[str]) -> None:
        """Replay unseen learners' histories from Feast (``serving.feast_seed``) over every catalog skill."""
        assert self.feast is not None
        skills = sorted({skill for course in self.catalog.courses for skill in course.skills})
        self.feast.seed_many(self.state, learner_ids, skills)

    async def _from_features(self, learner_id: str) -> Learner | None:
        """Seed an unseen learner's state from Feast; None when Feast knows nothing of them."""
        await asyncio.to_thread(self._seed, [learner_id])
        learner = self.state.load(learner_id)
        return learner if learner is not None and learner.seq > 0 else None

    def _spawn(self, coroutine: Any) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # --- canary metrics and exposures, written off the event loop ------------------------
    def _start_flushing(self) -> None:
        """Start the flush loop once, from the first request (a running event loop), when there is a database."""
        if self.db_url is not None and self._flusher is None:
            self._flusher = self._spawn(self._flush_loop())

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.flush_interval_s)
            batches = self.metrics.drain()  # on the loop: the request path appends to the same windows
            try:
                await asyncio.to_thread(self._write, batches)
            except Exception as error:  # the next round retries the exposures; these metric batches are lost
                self.log.warning("flush_failed", error=repr(error), batches=len(batches))

    def _write(self, batches: list[dict[str, Any]]) -> None:
        assert self.db_url is not None
        if self._pooled is None:
            from sqlalchemy import create_engine

            self._pooled = PooledMetrics(create_engine(engine_url(self.db_url)))
        self._pooled.write(str(Slot.KT), batches)
        if self._exposures is not None:
            self._exposures.flush()

    def _expose(self, spec: RolloutSpec | None, learner_id: str, served: str | None) -> None:
        """Log the learner's exposure to a running experiment under the variant that ``served`` them.

        Only when that is the variant they are assigned: a call that fell back (the challenger failed,
        or no model answered) exposes them to nothing, so a broken challenger's arm stays empty.
        """
        if spec is None or spec.experiment is None or self._exposures is None:
            return
        variant = self._variant(spec, learner_id)
        if served != str(variant):
            return
        version = spec.challenger if variant is Variant.CHALLENGER else spec.champion
        self._exposures.record(spec.experiment, str(variant), learner_id, slot=str(spec.slot), version=version or "")

    # --- routes ------------------------------------------------------------------------------
    @api.get("/healthz")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/v1/learners/{learner_id}/recommendations", response_model=RecommendationsOut)
    async def recommendations(
        self,
        learner_id: str,
        course: Annotated[str, Query(min_length=1, max_length=100)],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
        cohort: Annotated[list[str] | None, Query()] = None,
        org_unit: Annotated[list[str] | None, Query()] = None,
        authorization: AuthHeader = None,
    ) -> RecommendationsOut:
        """Ranked activities; every answer is counted per variant and version (a 4xx is the caller's, not ours)."""
        self._authorize(authorization, READ_RECOMMENDATIONS, learner_id)
        started = time.perf_counter()
        self._start_flushing()
        try:
            answer = await self._recommend(learner_id, course, k, cohort, org_unit)
        except ServingProblem:
            raise
        except Exception:
            self.meters.observe("kt", "unknown", "unknown", (time.perf_counter() - started) * 1000, False, "Router")
            raise
        version = answer.model_versions.get("kt", "fallback")
        latency = (time.perf_counter() - started) * 1000
        self.meters.observe("kt", answer.variant.get("kt", "fallback"), version, latency, True, "Router")
        return answer

    async def _recommend(
        self, learner_id: str, course: str, k: int, cohort: list[str] | None, org_unit: list[str] | None
    ) -> RecommendationsOut:
        found = self.catalog.course(course)
        if found is None:
            raise ServingProblem(404, "Unknown course", f"course {course!r} is not in the serving catalog")
        learner = self.state.load(learner_id)
        if learner is None and self.feast is not None:
            learner = await self._from_features(learner_id)
        if learner is None:
            learner = Learner()  # no activity anywhere yet: the model's prior for every skill
        skills = found.skills
        mastery, versions, variant, fallback = await self._mastery(learner_id, learner, skills)
        self._expose(self.config.rollouts.get(str(Slot.KT)), learner_id, variant.get("kt"))
        if variant.get("kt") in {"champion", "challenger"}:
            self.state.remember_served(learner_id, variant["kt"], mastery)
        now = datetime.now(UTC)
        signals = Signals.of(learner.preferences, learner.video_share, learner.active_days)
        ranked = rank(found, mastery, learner.due_by_skill(now), signals)
        if self.policy is not None and self.policy.reorder(found, mastery, learner, ranked):
            versions = {**versions, "sequencer": f"{POLICY_MODEL}/{self.policy.version}"}
        model_ranked = [Candidate(r.activity.id, r.activity.title, r.reason, source="model") for r in ranked]
        by_id = {a.id: a for a in found.activities}
        types = {r.activity.id: str(r.type) for r in ranked}
        context = LearnerContext(learner_id, course, frozenset(cohort or ()), frozenset(org_unit or ()))
        override_raw = self.config.overrides.get(learner_id)
        override = Override(learner_id, **override_raw) if override_raw else None
        decision = decide(self.rules, context, learner.rules_state(learner_id, mastery), now=now, override=override)
        items = []
        for candidate in apply(decision, model_ranked, k=k):
            activity = by_id.get(candidate.activity_id) or next(
                (a for a in found.activities if a.title.casefold() == candidate.title.casefold()), None
            )
            if activity is not None and any(mastery.get(s, 0.0) < 0.8 for s in activity.prerequisites):
                continue  # never offer a locked activity, whatever a rule says
            items.append(
                RecommendationOut(
                    activity_id=activity.id if activity else candidate.activity_id,
                    title=activity.title if activity else candidate.title,
                    type=types.get(activity.id, "practice") if activity else "practice",
                    reason=candidate.reason,
                    skill=activity.skill if activity else None,
                    skill_name=activity.skill_label if activity else None,
                    mastery=round(mastery.get(activity.skill, 0.0), 4) if activity and activity.skill else None,
                    source=candidate.source,
                )
            )
        return RecommendationsOut(
            learner_id=learner_id,
            course=course,
            items=items,
            mastery={s: round(v, 4) for s, v in mastery.items()},
            skill_names=found.skill_names(),
            answers={s: learner.attempts[s] for s in mastery if s in learner.attempts},
            model_versions=versions,
            variant=variant,
            fallback=fallback,
            rules_applied=[
                {
                    "source": a.source,
                    "verb": str(a.verb),
                    "target": a.target,
                    "reason": a.reason,
                    "shadowed_by": a.shadowed_by,
                }
                for a in decision.applied
            ],
        )

    async def apply_events(self, events: list[tuple[str, str, Any]]) -> dict[str, Any]:
        """The embedded loop's entry (a Ray handle call, not HTTP): stream events as (type, key, payload).

        The platform's in-process dispatcher calls this with each batch it relays; applying is
        exactly-once per event key, so a redelivered batch changes nothing.
        """
        self._start_flushing()
        applied = await asyncio.to_thread(self.loop.apply, [Event(t, k, p) for t, k, p in events])
        for learner_id in applied.learners or ():
            self._refreshing[learner_id] = self._spawn(self._refresh(learner_id))
        return applied.to_dict()

    @api.post("/v1/learners/{learner_id}/events", status_code=202)
    async def events(self, learner_id: str, event: EventIn, authorization: AuthHeader = None) -> dict[str, Any]:
        """Internal: change learner state directly (benchmarks, operators); needs a ``state:write`` token.
        The product path is the event stream (:mod:`serving.loop`)."""
        self._authorize(authorization, WRITE_STATE)
        self._start_flushing()
        served = self.state.record(learner_id, event.skill, event.item, event.correct, event.seconds, event.at)
        spec = self.config.rollouts.get(str(Slot.KT))
        if served is not None and served[0] in {"champion", "challenger"} and spec is not None:
            variant = Variant(served[0])
            version = (spec.challenger if variant is Variant.CHALLENGER else spec.champion) or ""
            self.metrics.record_outcome(variant, served[1], event.correct, version=version)
        self._refreshing[learner_id] = self._spawn(self._refresh(learner_id, event.skill))
        return {"accepted": True, "learner_id": learner_id}

    @api.get("/v1/rollouts/metrics")
    async def rollout_metrics(self, authorization: AuthHeader = None) -> dict[str, Any]:
        """This replica's live per-variant window (what the canary gates read)."""
        self._authorize(authorization, READ_METRICS)
        return {str(variant): self.metrics.snapshot(variant).to_dict() for variant in Variant}


def router_config_for(args: AppArgs) -> RouterConfig:
    """The Router's initial ``user_config``: the configured rules plus the ``kt`` (and ``sequencer``) specs."""
    slots = {"kt": args.kt, **({"sequencer": args.sequencer} if args.sequencer else {})}
    return args.router.model_copy(update={"rollouts": {**args.router.rollouts, **slots}})


def build_app(args: AppArgs | dict[str, Any]) -> Application:
    """Typed builder: the whole application from validated arguments (also ``serve run``/config deploys)."""
    parsed = args if isinstance(args, AppArgs) else AppArgs.model_validate(args)
    router_config = router_config_for(parsed)
    # serve.deployment turns the classes into Deployment objects; mypy only sees the class
    tracer = (
        cast(Deployment, KnowledgeTracer)
        .options(
            num_replicas=parsed.tracer_replicas,
            ray_actor_options={"num_cpus": parsed.replica_cpus},
            user_config=tracer_config(parsed.kt.model_name, [parsed.kt.champion, parsed.kt.challenger]),
            health_check_period_s=2.0,
            health_check_timeout_s=10.0,
        )
        .bind(parsed.mlflow_uri, parsed.kt.model_name)
    )
    return (
        cast(Deployment, Router)
        .options(
            num_replicas=parsed.router_replicas,
            ray_actor_options={"num_cpus": parsed.replica_cpus},
            user_config=router_config.model_dump(mode="json"),
        )
        .bind(
            tracer,
            parsed.catalog.model_dump(mode="json"),
            parsed.state_redis_url,
            parsed.state_prefix,
            parsed.mlflow_uri,
            features_home=parsed.features_home,
            db_url=parsed.db_url,
            home=parsed.home,
        )
    )
