"""The same Alembic migrations on SQLite and PostgreSQL, plus the demo seed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from platform_api.core.db import make_engine, make_session_factory
from platform_api.core.migrate import current_revision, downgrade, head_revision, include_name, upgrade
from platform_api.demo.seed import seed_demo
from platform_api.domain.models import (
    Attempt,
    Base,
    Course,
    CourseVersion,
    Enrollment,
    Grant,
    Item,
    OrgUnit,
    Skill,
    SkillPrerequisite,
    User,
)


def test_upgrade_creates_every_table_and_downgrade_removes_them(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(engine) == head_revision(db_url)
    downgrade(db_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_models_match_migrations(db_url: str) -> None:
    """Autogenerate finds nothing to add: the ORM and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_published_versions_are_immutable(db_url: str) -> None:
    upgrade(db_url)
    seed_demo(db_url)
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as session:  # the seed publishes the demo course as version 1
        course = session.scalars(select(Course)).one()
        assert session.scalar(select(CourseVersion.course_id)) == course.id
    for statement in ("UPDATE course_versions SET version = 2", "DELETE FROM course_versions"):
        with pytest.raises(DBAPIError, match="immutable"), engine.begin() as conn:
            conn.execute(text(statement))
    with factory() as session:
        assert session.scalar(select(CourseVersion.version)) == 1
    engine.dispose()


def test_seed_is_idempotent(db_url: str) -> None:
    upgrade(db_url)
    first = seed_demo(db_url)
    second = seed_demo(db_url)
    assert first.created and not second.created
    assert second.tenant_id == first.tenant_id
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        counts = {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (OrgUnit, User, Skill, Item, Attempt, Enrollment, SkillPrerequisite)
        }
        roles_granted = session.scalar(select(func.count(func.distinct(Grant.role_id))))
    engine.dispose()
    assert counts["OrgUnit"] == 3
    assert counts["User"] == first.learners + 5  # one staff account per role but Learner
    assert counts["Skill"] == first.skills
    assert counts["Item"] == first.items
    assert counts["Attempt"] == first.attempts
    assert counts["Enrollment"] == first.learners
    assert counts["SkillPrerequisite"] == first.prerequisites > 0
    assert roles_granted == 6


def test_seed_rolls_back_completely_on_failure(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure half-way leaves no partial demo data behind."""
    import platform_api.demo.seed as seed

    upgrade(db_url)

    def explode(_sample: object, **_kw: object) -> list[tuple[str, str]]:
        raise RuntimeError("boom")

    monkeypatch.setattr(seed, "derive_prerequisites", explode)
    with pytest.raises(RuntimeError, match="boom"):
        seed_demo(db_url)
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(OrgUnit)) == 0
        assert session.scalar(select(func.count()).select_from(Skill)) == 0
    engine.dispose()


def test_a_database_migrated_by_other_code_gets_a_clear_error(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A revision missing from our chain (newer release, other branch) names itself and the way out."""
    import sys

    from pathwise.cli import main
    from platform_api.core.migrate import UnknownRevisionError

    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0042_elsewhere'"))
    engine.dispose()
    with pytest.raises(UnknownRevisionError, match="'0042_elsewhere'"):
        upgrade(db_url)

    monkeypatch.setenv("PATHWISE_DATABASE_URL", db_url)
    monkeypatch.setattr(sys, "argv", ["pathwise", "db", "upgrade"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "'0042_elsewhere'" in err and "fresh database" in err
    assert "Traceback" not in err
