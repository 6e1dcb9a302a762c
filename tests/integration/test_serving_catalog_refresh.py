"""A course published after serving started becomes servable: the watcher re-reads the catalog and the
Router swaps it on ``reconfigure()``, without a restart."""

from __future__ import annotations

from pathwise.contract.catalog import demo_catalog
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.domain.content.service import publish
from platform_api.domain.models import Activity, ActivitySkill, Course, Lesson, Unit
from serving.config import ServingSettings
from serving.rollout import RolloutSpec, Slot
from serving.runtime import RolloutWatcher, app_args
from tests.api.world import World, build_world, publish_course

CHAMPION = RolloutSpec(slot=Slot.KT, model_name="pathwise-bkt", champion="1")


def _publish_course(db_url: str, world: World) -> tuple[int, int]:
    """A second course with one activity tagged with the world's skill, written and published as the content
    API would (serving recommends only published versions)."""
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as s:
        course = Course(org_unit_id=world.ids["dept"], code="C2", title="Ratios", details={})
        s.add(course)
        s.flush()
        unit = Unit(course_id=course.id, position=0, title="Unit")
        s.add(unit)
        s.flush()
        lesson = Lesson(unit_id=unit.id, position=0, title="Lesson")
        s.add(lesson)
        s.flush()
        activity = Activity(lesson_id=lesson.id, position=0, title="Ratio drill", content="<p>3:4</p>")
        s.add(activity)
        s.flush()
        s.add(ActivitySkill(activity_id=activity.id, skill_id=world.ids["skill"]))
        s.flush()
        publish(s, course, None)
        ids = (course.id, activity.id)
    engine.dispose()
    return ids


def test_a_course_published_after_start_reaches_the_router_config(db_url: str) -> None:
    world = build_world(db_url)
    publish_course(db_url, world.ids["course"])
    settings = ServingSettings(database_url=db_url, mlflow_tracking_uri="sqlite://")
    args = app_args(settings, CHAMPION)
    assert args.catalog.course(str(world.ids["course"])) is not None  # platform ids, not the demo course

    watcher = RolloutWatcher(settings, args, catalog_interval_s=0)
    watcher.applied = watcher.desired()
    assert watcher.desired() == watcher.applied  # nothing changed: nothing to deploy

    course_id, activity_id = _publish_course(db_url, world)
    desired = watcher.desired()
    assert desired != watcher.applied
    assert desired.catalog is not None
    new_course = desired.catalog.course(str(course_id))
    assert new_course is not None
    assert [a.id for a in new_course.activities] == [str(activity_id)]


def test_the_catalog_is_read_no_more_often_than_its_interval(db_url: str) -> None:
    world = build_world(db_url)
    publish_course(db_url, world.ids["course"])
    settings = ServingSettings(database_url=db_url, mlflow_tracking_uri="sqlite://")
    watcher = RolloutWatcher(settings, app_args(settings, CHAMPION), catalog_interval_s=3600)
    before = watcher.desired()
    course_id, _ = _publish_course(db_url, world)
    assert watcher.desired() == before  # not re-read yet: the published course waits for the next read
    watcher._catalog_read -= 3600
    after = watcher.desired()
    assert after.catalog is not None and after.catalog.course(str(course_id)) is not None


def test_a_platform_without_courses_serves_the_demo_catalog(migrated_db_url: str) -> None:
    settings = ServingSettings(database_url=migrated_db_url, mlflow_tracking_uri="sqlite://")
    assert app_args(settings, CHAMPION).catalog == demo_catalog()
