"""``pathwise features …`` (apply, materialize, get, training-set) and ``pathwise bench features``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

features_app = typer.Typer(help="The Feast feature store: apply, materialize, read.", no_args_is_help=True)
SERVICES = ("kt_v1", "sequencer_v1", "risk_v1", "risk_v2")


def _settings() -> Any:
    from features.config import FeatureSettings
    from pathwise.commands import settings_or_exit

    return settings_or_exit(FeatureSettings)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"pathwise: {message}", err=True)
    return typer.Exit(code=code)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return _jsonable(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@features_app.command("apply")
def apply_cmd() -> None:
    """Register entities, sources, views and FeatureServices (pipelines and CI only)."""
    from features.store import open_repo

    settings = _settings()
    repo = open_repo(settings)
    names = repo.apply()
    typer.echo(json.dumps({"project": settings.features_project, "applied": names}, indent=2))


@features_app.command("materialize")
def materialize_cmd(
    end: Annotated[str | None, typer.Option(help="Materialize up to this ISO time (default now)")] = None,
) -> None:
    """Load the newest offline feature values into the online store."""
    from features.store import open_repo

    try:
        until = datetime.fromisoformat(end).astimezone(UTC) if end else None
    except ValueError:
        raise _fail(f"--end {end!r} is not an ISO 8601 time") from None
    repo = open_repo(_settings())
    done = repo.materialize(until)
    typer.echo(json.dumps({"materialized_until": done.isoformat(), "views": list(repo.defs.views)}))


def _known_skills(settings: Any, learner: str) -> list[str]:
    """The skills the stream has seen for ``learner`` (from the processor's checkpoint)."""
    from pipelines.stream_state import StateStore

    path = settings.home / "stream" / "state.db"
    if not path.exists():
        return []
    store = StateStore(path)
    try:
        return store.skills_of(learner)
    finally:
        store.close()


@features_app.command("get")
def get_cmd(
    learner: Annotated[str, typer.Option("--learner", help="Learner id")],
    service: Annotated[str, typer.Option(help=f"FeatureService: {', '.join(SERVICES)}")] = "kt_v1",
    skill: Annotated[list[str] | None, typer.Option(help="Skill id (repeat); default: every skill seen")] = None,
    item: Annotated[list[str] | None, typer.Option(help="Item id, paired with --skill (sequencer_v1)")] = None,
    course: Annotated[list[str] | None, typer.Option(help="Course id (repeat; risk_v2)")] = None,
) -> None:
    """Read a FeatureService online for one learner and print JSON records."""
    from features.store import open_repo

    if service not in SERVICES:
        raise _fail(f"unknown FeatureService {service!r} (known: {', '.join(SERVICES)})")
    settings = _settings()
    rows: list[dict[str, Any]]
    if service == "risk_v1":
        rows = [{"learner_id": learner, "as_of": datetime.now(UTC)}]
    elif service == "risk_v2":
        if not course:
            raise _fail("risk_v2 reads the learner's progress in a course; pass --course")
        now = datetime.now(UTC)
        rows = [{"learner_id": learner, "course_id": c, "as_of": now} for c in course]
    else:
        skills = list(skill or []) or _known_skills(settings, learner)
        if not skills:
            raise _fail(f"no skills given and none recorded for learner {learner!r}; pass --skill")
        rows = [{"learner_id": learner, "skill_id": s} for s in skills]
        if service == "sequencer_v1":
            items = list(item or [])
            if len(items) != len(skills):
                raise _fail("sequencer_v1 needs one --item per --skill (candidate items and their skills)")
            for row, item_id in zip(rows, items, strict=True):
                row["item_id"] = item_id
    try:
        frame = open_repo(settings).online(service, rows)
    except Exception as error:  # Feast raises many types for an unapplied or unreachable store
        raise _fail(f"cannot read {service}: {error} (run `pathwise features apply` first?)", code=1) from None
    records = [{k: _jsonable(v) for k, v in r.items()} for r in frame.to_dict(orient="records")]
    typer.echo(json.dumps({"service": service, "learner": learner, "features": records}, indent=2))


@features_app.command("training-set")
def training_set_cmd(
    out: Annotated[Path, typer.Option(help="Parquet file to write")],
    service: Annotated[str, typer.Option(help="kt_v1 or sequencer_v1")] = "kt_v1",
) -> None:
    """Build the gated training set for the LRS's answers (point-in-time joins)."""
    from features.events import ANSWER_VERBS
    from features.store import open_repo
    from pathwise.datasets import DatasetError
    from pipelines.lrs_history import answer_labels, lrs_statements
    from pipelines.training_set import build_training_set
    from pipelines.validate import DataQualityError, Gates

    settings = _settings()
    try:
        labels = answer_labels(lrs_statements(settings.db_url, ANSWER_VERBS))
    except DatasetError as error:
        raise _fail(str(error)) from None
    if labels.empty:
        raise _fail("the LRS holds no answers (run `pathwise up` or send statements)")
    try:
        frame, _gate = build_training_set(open_repo(settings), labels, service, Gates(settings.gx_root))
    except DataQualityError as error:
        raise _fail(f"training set refused: {error}", code=1) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(out, index=False)
    typer.echo(json.dumps({"out": str(out), "rows": len(frame), "service": service, "gate": "passed"}))


def bench_features(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only")] = False,
    skills: Annotated[int, typer.Option(help="Entities per read (one learner x N skills)")] = 50,
    iterations: Annotated[int, typer.Option(help="Timed reads per store")] = 1000,
    redis_url: Annotated[
        str | None, typer.Option(help="Redis for the Redis run (default PATHWISE_REDIS_URL; skipped if unset)")
    ] = None,
) -> None:
    """Online read p50/p99 of kt_v1 for one learner x N skills, on SQLite and on Redis."""
    from pipelines.feature_bench import bench_online_read

    settings = _settings()
    url = redis_url or settings.redis_url
    results = [bench_online_read("sqlite", skills=skills, iterations=iterations)]
    if url:
        results.append(bench_online_read("redis", redis_url=url, skills=skills, iterations=iterations))
    payload = {"benchmark": "features.online_read", "anchor": "Feast reports < 1.5 ms p99 on Redis", "runs": results}
    if as_json:
        typer.echo(json.dumps(payload))
        return
    for run in results:
        typer.echo(f"{run['store']:>6}: p50 {run['p50_ms']} ms  p99 {run['p99_ms']} ms  ({run['entities']} entities)")


def bench_stream(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only")] = False,
    events: Annotated[int, typer.Option(help="Events in the throughput burst")] = 20000,
    batch_size: Annotated[int, typer.Option(help="Micro-batch size")] = 1000,
    rate: Annotated[float, typer.Option(help="Events/s published for the freshness run")] = 200.0,
    seconds: Annotated[float, typer.Option(help="Duration of the freshness run")] = 15.0,
    redis_url: Annotated[str | None, typer.Option(help="Redis (default PATHWISE_REDIS_URL)")] = None,
) -> None:
    """Stream processor throughput (events/s) and event-to-online freshness (p95 target < 1 s)."""
    from pipelines.stream_bench import bench_freshness, bench_throughput

    settings = _settings()
    url = redis_url or settings.redis_url
    runs: list[dict[str, Any]] = [bench_throughput(events, batch_size)]
    if url:
        runs.append(bench_throughput(events, batch_size, online_store="redis", redis_url=url))
        runs.append(bench_freshness(url, rate, seconds, batch_size, online_store="redis"))
    else:
        typer.echo("pathwise: no Redis configured; skipping the Redis and freshness runs", err=True)
    payload = {"benchmark": "features.stream", "target": "freshness p95 < 1 s", "runs": runs}
    typer.echo(json.dumps(payload) if as_json else json.dumps(payload, indent=2))


def register(app: typer.Typer) -> None:
    from pathwise.commands import bench_app

    app.add_typer(features_app, name="features")
    registered = {c.name for c in bench_app.registered_commands}
    if "features" not in registered:
        bench_app.command("features")(bench_features)
    if "stream" not in registered:
        bench_app.command("stream")(bench_stream)
