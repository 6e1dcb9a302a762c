"""A/B exposures through the outbox and ``pathwise experiments report`` on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pathwise.cli import build_cli
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.migrate import upgrade
from platform_api.domain.content.models import Course
from platform_api.domain.experiments.models import ExperimentExposure
from platform_api.domain.experiments.report import build_report
from platform_api.domain.models import Attempt, Enrollment, Item, OrgUnit, Skill, User
from platform_api.events.models import OutboxEvent
from serving.exposures import EXPOSURE_EVENT, ExposureLog, experiment_name, record_exposure

START = datetime(2026, 11, 1, tzinfo=UTC)
NOW = START + timedelta(days=20)
PER_ARM = 60


def _world(url: str) -> list[int]:
    """Two arms of learners: the challenger's answer correctly far more often after exposure."""
    upgrade(url)
    rng = np.random.default_rng(11)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as s:
        root = OrgUnit(slug="exp", name="Exp", kind="district")
        s.add(root)
        s.flush()
        root.tenant_id, root.path = root.id, f"/{root.id}/"
        skill = Skill(tenant_id=root.id, code="alg", name="Algebra")
        course = Course(org_unit_id=root.id, code="A1", title="Algebra", details={})
        s.add_all([skill, course])
        s.flush()
        item = Item(tenant_id=root.id, skill_id=skill.id, external_id="q1")
        users = [User(tenant_id=root.id, email=f"l{i}@exp.test", display_name=f"l{i}") for i in range(2 * PER_ARM)]
        s.add_all([item, *users])
        s.flush()
        for index, user in enumerate(users):
            challenger = index % 2 == 1
            p = 0.85 if challenger else 0.35
            for seq in range(1, 9):
                s.add(
                    Attempt(
                        user_id=user.id,
                        item_id=item.id,
                        seq=seq,
                        correct=bool(rng.random() < (0.4 if seq <= 3 else p)),
                        duration_ms=120_000,
                        submitted_at=START + timedelta(days=seq if seq <= 3 else 3 + seq),
                        response={},
                    )
                )
            status = "completed" if challenger and index % 3 else ("dropped" if index % 4 == 0 else "active")
            s.add(Enrollment(user_id=user.id, course_id=course.id, status=status))
        ids = [u.id for u in users]
    engine.dispose()
    return ids


def test_exposures_are_stored_once_and_announced_through_the_outbox(db_url: str) -> None:
    ids = _world(db_url)
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    log = ExposureLog(engine)
    for index, uid in enumerate(ids):
        variant = "challenger" if index % 2 else "champion"
        for _ in range(3):  # served three times: still one exposure
            log.record(
                "kt-v7", variant, str(uid), slot="kt", version="7" if index % 2 else "6", at=START + timedelta(days=4)
            )
    assert log.flush() == len(ids)
    assert experiment_name("kt", "6", "7") == "kt-v6-vs-v7"
    assert log.flush() == 0
    with factory() as session:
        assert record_exposure(session, "kt-v7", "champion", str(ids[0])) is False  # already exposed
        assert record_exposure(session, "other", "champion", str(ids[0])) is True
        session.commit()
        stored = session.scalar(select(func.count()).select_from(ExperimentExposure))
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.type == EXPOSURE_EVENT)).all()
    engine.dispose()
    assert stored == len(ids) + 1
    assert len(events) == len(ids) + 1
    assert {e.key for e in events} == {f"kt-v7:{uid}" for uid in ids} | {f"other:{ids[0]}"}
    sample = next(e for e in events if e.key == f"kt-v7:{ids[1]}")
    assert sample.payload["variant"] == "challenger" and sample.payload["version"] == "7"
    with pytest.raises(ValueError, match="variant must be 1 to 50"):
        log.record("kt-v7", "", "1")


def test_report_finds_the_better_variant_and_says_so(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _world(db_url)
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as session:
        for index, uid in enumerate(ids):
            record_exposure(
                session, "kt-v7", "challenger" if index % 2 else "champion", str(uid), at=START + timedelta(days=4)
            )
        session.commit()
        report = build_report(session, "kt-v7", now=NOW)
    engine.dispose()
    champion, challenger = report["variants"]["champion"], report["variants"]["challenger"]
    assert champion["learners"] == challenger["learners"] == PER_ARM
    assert champion["next_attempt_correct"]["n"] == PER_ARM
    assert champion["next_attempt_correct"]["low"] < 0.35 < champion["next_attempt_correct"]["high"]
    diff = report["comparisons"]["challenger"]
    assert diff["next_attempt_correct"]["significant"] and diff["next_attempt_correct"]["low"] > 0
    assert diff["mastery_per_hour"]["estimate"] > 0
    assert challenger["completion"]["estimate"] > champion["completion"]["estimate"]
    assert diff["dropoff"]["estimate"] < 0  # every champion learner not completed counts as dropped 12 days later

    monkeypatch.setenv("PATHWISE_DATABASE_URL", db_url)
    runner = CliRunner()
    text = runner.invoke(build_cli(), ["experiments", "report", "kt-v7"])
    assert text.exit_code == 0, text.output
    assert "challenger - champion" in text.output and "next-attempt correct" in text.output
    assert "significant" in text.output
    as_json = runner.invoke(build_cli(), ["experiments", "report", "kt-v7", "--json", "--alpha", "0.01"])
    assert json.loads(as_json.output)["alpha"] == 0.01
    missing = runner.invoke(build_cli(), ["experiments", "report", "nope"])
    assert missing.exit_code == 1 and "no exposures recorded for experiment 'nope'" in missing.output
    bad_control = runner.invoke(build_cli(), ["experiments", "report", "kt-v7", "--control", "ghost"])
    assert bad_control.exit_code == 1 and "variant 'ghost' has no exposures" in bad_control.output


def test_report_on_an_unmigrated_database_is_a_clear_error(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATHWISE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(build_cli(), ["experiments", "report", "kt-v7"])
    assert result.exit_code == 2
    assert "no experiment_exposures table" in result.output
