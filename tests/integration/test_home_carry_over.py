"""A state directory from before platform ids is carried over by re-running the ``pathwise up`` steps.

The "old home": a seeded demo organization whose LRS holds a slice of the sample as the loader
wrote it before skills and items were keyed by platform ids (the same statement ids, the
dataset's codes), one statement from another source, and a default champion trained on that
LRS without the ``pathwise.ids`` version tag.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from features.events import ALLOWED_VERBS
from features.xapi_vocabulary import ITEM_IRI, SKILL_IRI, Extension, answered_statement, external_account
from pathwise.config import CommonSettings
from pathwise.datasets import load_sample
from pathwise.registry import CHAMPION, IDS_TAG, PLATFORM_IDS, alias_version, configure_mlflow
from pipelines.champion import ensure_default_champion
from pipelines.lrs_history import lrs_watermark
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.migrate import upgrade
from platform_api.demo.seed import seed_demo
from platform_api.domain.lrs.models import Statement, StatementRef
from platform_api.domain.org.models import OrgUnit
from platform_api.events.models import OutboxEvent
from platform_api.lrs.sample_loader import (
    demo_course_id,
    load_sample_statements,
    platform_ids,
    sample_accounts,
    sample_statements,
)
from platform_api.lrs.store import Authority, store_statements

LEARNERS = 6
OTHER_ID = "0b0e7c1e-5a7e-4c3a-9a57-3f0c2d1e0a01"


def _slice(learners: int = LEARNERS) -> pd.DataFrame:
    sample = load_sample()
    return sample[sample["user_id"].isin(list(sample["user_id"].unique()[:learners]))]


def _run(db_url: str, work: Any) -> Any:
    engine = make_engine(db_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            tenant_id = session.scalar(select(OrgUnit.id).where(OrgUnit.slug == "demo", OrgUnit.parent_id.is_(None)))
            return work(session, tenant_id)
    finally:
        engine.dispose()


def _old_home(db_url: str, part: pd.DataFrame) -> list[dict[str, Any]]:
    """Store the slice as the loader wrote it before platform ids, after one other-source statement."""

    def write(session: Any, tenant_id: int) -> list[dict[str, Any]]:
        other = answered_statement(
            external_account("other-app", "u1"), "12345", "71", True, statement_id=OTHER_ID, source="other-app"
        )
        store_statements(session, [other], Authority(tenant_id=tenant_id))
        users = sorted(part["user_id"].astype(str).unique())
        old = sample_statements(part, sample_accounts(session, tenant_id, users), demo_course_id(session, tenant_id))
        store_statements(session, old, Authority(tenant_id=tenant_id), batch=True)
        return old

    return list(_run(db_url, write))


def _expected(db_url: str, part: pd.DataFrame) -> dict[str, dict[str, Any]]:
    def build(session: Any, tenant_id: int) -> list[dict[str, Any]]:
        ids = platform_ids(session, tenant_id, sorted(part["user_id"].astype(str).unique()))
        return sample_statements(part, course_id=demo_course_id(session, tenant_id), ids=ids)

    return {s["id"]: s for s in _run(db_url, build)}


def _rows(db_url: str) -> dict[str, tuple[int, dict[str, Any]]]:
    return dict(
        _run(
            db_url,
            lambda s, _: {
                sid: (seq, p)
                for sid, seq, p in s.execute(select(Statement.statement_id, Statement.seq, Statement.payload))
            },
        )
    )


def _refs(db_url: str, statement_ids: set[str]) -> set[tuple[str, str, str]]:
    query = select(StatementRef.statement_id, StatementRef.kind, StatementRef.value)
    return {tuple(r) for r in _run(db_url, lambda s, _: s.execute(query).all()) if r[0] in statement_ids}


def _outbox(db_url: str) -> int:
    return int(_run(db_url, lambda s, _: s.scalar(select(func.count()).select_from(OutboxEvent))))


@pytest.fixture(scope="module")
def old_home_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """The old home's database, built once (seeding takes seconds); each test gets a copy."""
    path = tmp_path_factory.mktemp("old-home") / "pathwise.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    seed_demo(url)
    part = _slice()
    _old_home(url, part)
    return path, part


@pytest.fixture
def old_home(old_home_db: tuple[Path, pd.DataFrame], sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    template, part = old_home_db
    shutil.copyfile(template, sqlite_url.removeprefix("sqlite:///"))
    monkeypatch.setenv("PATHWISE_DATABASE_URL", sqlite_url)
    return part


def _carries_over(url: str, part: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """Re-run the sample load on an old home; check the carry-over; return the rows before and after."""
    expected = _expected(url, part)
    before = _rows(url)
    stale = [
        sid for sid, s in expected.items() if before[sid][1]["context"]["extensions"] != s["context"]["extensions"]
    ]
    assert len(stale) == len(part)  # every old statement names a dataset code
    watermark, outbox = lrs_watermark(url, ALLOWED_VERBS), _outbox(url)

    report = load_sample_statements(url, sample=part)
    assert (report.total, report.created, report.rekeyed) == (len(part), 0, len(part))

    after = _rows(url)
    assert set(after) == set(before)
    for sid, built in expected.items():
        payload = after[sid][1]
        assert payload["object"]["id"] == built["object"]["id"]
        assert payload["context"] == built["context"]
        assert payload["actor"] == built["actor"] and payload["timestamp"] == before[sid][1]["timestamp"]
    # The mention rows follow: each statement mentions its platform item and skill, and no code's.
    refs = _refs(url, set(expected))
    assert {(sid, v) for sid, _, v in refs if v.startswith((SKILL_IRI, ITEM_IRI))} == {
        pair
        for sid, s in expected.items()
        for pair in ((sid, s["object"]["id"]), (sid, s["context"]["contextActivities"]["category"][0]["id"]))
    }
    # Another source's statement is left as it was, even though it names a code too.
    assert after[OTHER_ID] == before[OTHER_ID]
    assert after[OTHER_ID][1]["context"]["extensions"][Extension.SOURCE] == "other-app"
    # The features' watermark sees the change, and the outbox announces it.
    assert lrs_watermark(url, ALLOWED_VERBS) != watermark
    assert _outbox(url) > outbox

    # A second run changes nothing.
    watermark, outbox = lrs_watermark(url, ALLOWED_VERBS), _outbox(url)
    again = load_sample_statements(url, sample=part)
    assert (again.created, again.rekeyed) == (0, 0)
    assert _rows(url) == after
    assert (lrs_watermark(url, ALLOWED_VERBS), _outbox(url)) == (watermark, outbox)
    return before, after


def test_rerun_carries_the_lrs_over_to_platform_ids(old_home: pd.DataFrame, sqlite_url: str) -> None:
    before, after = _carries_over(sqlite_url, old_home)
    # SQLite gave the new rows the deleted ones' seq: the watermark saw them by their stored time.
    assert max(seq for seq, _ in after.values()) == max(seq for seq, _ in before.values())


@pytest.mark.integration
def test_rerun_carries_the_lrs_over_on_postgresql(pg_url: str) -> None:
    upgrade(pg_url)
    seed_demo(pg_url)
    part = _slice(2)
    _old_home(pg_url, part)
    _carries_over(pg_url, part)


def test_rerun_retrains_the_default_champion_and_leaves_a_promoted_one(old_home: pd.DataFrame, sqlite_url: str) -> None:
    settings = CommonSettings()
    client = configure_mlflow(settings)
    assert "on the LRS history" in ensure_default_champion(settings)
    client.delete_model_version_tag("pathwise-bkt", "1", IDS_TAG)  # as registered before the tag existed

    load_sample_statements(sqlite_url, sample=old_home)
    outcome = ensure_default_champion(settings)
    assert "trained pathwise-bkt v2" in outcome and "v1 was trained on the dataset's skill codes" in outcome
    assert alias_version(client, "pathwise-bkt", CHAMPION) == "2"
    new, old = client.get_model_version("pathwise-bkt", "2"), client.get_model_version("pathwise-bkt", "1")
    assert (new.tags[IDS_TAG], new.tags["validation_status"], new.tags["data_source"]) == (
        PLATFORM_IDS,
        "passed",
        "lrs",
    )
    assert "holdout_auc" in new.tags and old.tags["superseded_by"] == "2"
    assert ensure_default_champion(settings) == f"pathwise-bkt@{CHAMPION} is version 2, reused"

    # A champion a person trained elsewhere and promoted (here: v2's model, registered from a run of
    # another experiment) carries no ids tag; the step leaves it alone.
    run = client.create_run(client.create_experiment("pathwise-kt"), tags={"data_source": "lrs"})
    client.set_terminated(run.info.run_id)
    mine = client.create_model_version("pathwise-bkt", new.source, run.info.run_id, tags={"data_source": "lrs"})
    client.set_registered_model_alias("pathwise-bkt", CHAMPION, mine.version)
    assert ensure_default_champion(settings) == f"pathwise-bkt@{CHAMPION} is version 3, reused"
    assert alias_version(client, "pathwise-bkt", CHAMPION) == "3"
    assert len(client.search_model_versions("name='pathwise-bkt'")) == 3
