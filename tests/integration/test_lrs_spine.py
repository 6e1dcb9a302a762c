"""The data spine on an up-style state: the LRS is the one history features and models learn from.

A seeded demo organization plus a slice of the ASSISTments sample loaded into the LRS, then
the ``pathwise up`` champion and feature steps, as ``pathwise up`` runs them.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from features.config import FeatureSettings
from features.events import ANSWER_VERBS, statement_to_interaction
from features.offline import read_rows
from features.xapi_vocabulary import Extension, Verb, learner_account, learner_agent
from pathwise.cli import build_cli
from pathwise.config import CommonSettings
from pathwise.datasets import load_sample
from pathwise.registry import configure_mlflow
from pipelines.champion import ensure_default_champion
from pipelines.feature_up import ensure_history_features
from pipelines.lrs_history import lrs_statements
from platform_api.core.db import make_engine, make_session_factory
from platform_api.core.migrate import upgrade
from platform_api.demo.seed import DEMO_PASSWORD, seed_demo
from platform_api.domain.lrs.models import Statement
from platform_api.domain.models import Item, User
from platform_api.lrs.sample_loader import SOURCE, load_sample_statements, sample_statements
from tests.api.test_demo_quiz import RIGHT
from tests.api.world import login, make_client

LEARNERS = 8


def _slice(learners: int = LEARNERS) -> pd.DataFrame:
    sample = load_sample()
    chosen = list(sample["user_id"].unique()[:learners])
    return sample[sample["user_id"].isin(chosen)]


@pytest.fixture
def up_state(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    """Migrate, seed and load a slice of the sample into the LRS (the first ``pathwise up`` steps)."""
    monkeypatch.setenv("PATHWISE_DATABASE_URL", sqlite_url)
    upgrade(sqlite_url)
    seed_demo(sqlite_url)
    part = _slice()
    report = load_sample_statements(sqlite_url, sample=part)
    assert report.created == report.total == len(part)
    return part


def _external_to_user(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            rows = session.execute(select(User.external_id, User.id).where(User.external_id.is_not(None))).tuples()
            return {str(external): int(user_id) for external, user_id in rows}
    finally:
        engine.dispose()


def _seen_ids(settings: FeatureSettings) -> set[str]:
    with sqlite3.connect(settings.home / "stream" / "state.db") as conn:
        return {row[0] for row in conn.execute("SELECT statement_id FROM seen")}


def test_features_and_champion_learn_from_the_lrs_statements(up_state: pd.DataFrame, sqlite_url: str) -> None:
    settings = FeatureSettings()
    champion = ensure_default_champion(CommonSettings())
    assert "on the LRS history" in champion, champion
    assert "LRS statements backfilled, 0 quarantined" in ensure_history_features(settings)
    stored = lrs_statements(sqlite_url, ANSWER_VERBS)
    assert len(stored) == len(up_state)

    # (a) The offline rows come from exactly the LRS statements: same ids, timestamps and actors.
    assert _seen_ids(settings) == {s["id"] for s in stored}
    answers = [statement_to_interaction(s) for s in stored]
    expected = pd.DataFrame(
        {
            "learner_id": [a.learner_id for a in answers],
            "skill_id": [a.skill_id for a in answers],
            "event_timestamp": pd.to_datetime([a.timestamp for a in answers], utc=True),
        }
    )
    offline = read_rows(settings.features_dir / "offline", "learner_skill_fv")
    offline = offline.assign(event_timestamp=pd.to_datetime(offline["event_timestamp"], utc=True))
    keys = ["learner_id", "skill_id", "event_timestamp"]
    assert set(offline[keys].itertuples(index=False)) == set(expected[keys].itertuples(index=False))
    assert offline["event_timestamp"].dt.year.unique().tolist() == [2009]  # the LRS's clock, not a second one
    # The one builder made them: rebuilding the slice's statements gives the stored ids and times.
    users = _external_to_user(sqlite_url)
    rebuilt = sample_statements(up_state, {e: learner_account(u) for e, u in users.items()})
    assert [(s["id"], pd.Timestamp(s["timestamp"]), s["actor"]) for s in rebuilt] == [
        (s["id"], pd.Timestamp(s["timestamp"]), s["actor"]) for s in stored
    ]

    # The champion's run records its source.
    client = configure_mlflow(CommonSettings())
    version = client.get_model_version_by_alias("pathwise-bkt", "champion")
    run = client.get_run(version.run_id).data
    assert (run.tags["data_source"], run.tags["feature_service"]) == ("lrs", "none")
    assert ensure_default_champion(CommonSettings()).endswith("reused")

    # (b) kt_v1 training works on the fresh state: every LRS answer has its features.
    result = CliRunner().invoke(
        build_cli(), ["train", "bkt", "--source", "kt_v1", "--no-register", "--experiment", "spine-kt"]
    )
    assert result.exit_code == 0, result.output
    kt_run = client.get_run(json.loads(result.stdout)["run_id"]).data
    assert (kt_run.tags["data_source"], kt_run.tags["gate"]) == ("kt_v1", "passed")
    assert kt_run.tags["dataset_digest_train"] == run.tags["dataset_digest_train"]


def _sit_one_item(db_url: str, email: str) -> None:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        externals = dict(session.execute(select(Item.id, Item.external_id)).tuples().all())
    engine.dispose()
    with make_client(db_url, events_relay=False) as client:
        headers = {"Authorization": f"Bearer {login(client, email, DEMO_PASSWORD)}"}
        course_id = client.get("/v1/courses", headers=headers).json()["items"][0]["id"]
        quiz = client.get(f"/v1/courses/{course_id}/assessments", headers=headers).json()["items"][0]
        sitting = client.post(f"/v1/assessments/{quiz['id']}/sittings", headers=headers).json()
        item = sitting["items"][0]
        answered = client.post(
            f"/v1/sittings/{sitting['id']}/answers",
            json={"item_id": item["id"], "answer": RIGHT[externals[item["id"]]]},
            headers=headers,
        )
        assert answered.status_code == 201, answered.text


def test_one_actor_per_learner(up_state: pd.DataFrame, sqlite_url: str) -> None:
    users = _external_to_user(sqlite_url)
    first = str(up_state["user_id"].iloc[0])
    engine = make_engine(sqlite_url)
    with make_session_factory(engine)() as session:
        email = session.scalar(select(User.email).where(User.id == users[first]))
    engine.dispose()
    assert email is not None
    _sit_one_item(sqlite_url, email)

    stored: list[dict[str, Any]] = lrs_statements(sqlite_url, {Verb.ANSWERED})
    sample_actors = {str(s["actor"]["account"]["name"]) for s in stored if _source(s) == SOURCE}
    platform = [s for s in stored if _source(s) is None]
    assert platform, "the assessment answer reached the LRS"
    # Every sample learner is a seeded user, so each is named by the platform's one mapping.
    assert sample_actors == {learner_account(users[str(u)]) for u in up_state["user_id"].unique()}
    # The demo learner's sample history and their assessment answer name the same actor.
    mine = learner_agent(learner_account(users[first]))
    assert all(s["actor"] == mine for s in platform)
    assert mine in [s["actor"] for s in stored if _source(s) == SOURCE]


def _source(statement: dict[str, Any]) -> str | None:
    return (statement.get("context") or {}).get("extensions", {}).get(Extension.SOURCE)


def test_sample_learners_without_a_platform_user_get_a_distinct_account(sqlite_url: str) -> None:
    upgrade(sqlite_url)  # no demo organization: nobody to map to
    part = _slice(2)
    load_sample_statements(sqlite_url, sample=part)
    engine = make_engine(sqlite_url)
    with make_session_factory(engine)() as session:
        names = {p["actor"]["account"]["name"] for p in session.scalars(select(Statement.payload))}
    engine.dispose()
    assert names == {f"{SOURCE}:{u}" for u in part["user_id"].unique()}
