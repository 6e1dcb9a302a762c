"""A learner's own analytics, with the names of the skills and courses they read."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.freshness import lag
from analytics.learner import learner_analytics
from analytics.store import AnalyticsStore
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.analytics.names import names_of
from platform_api.domain.analytics.schemas import CourseWeekPublic, LearnerAnalyticsPublic, SkillWeekPublic
from platform_api.domain.content.models import Course
from platform_api.domain.content.service import RECORD_READERS, visible_courses_clause
from platform_api.domain.skills.models import Skill


def learner_report(
    session: Session, store: AnalyticsStore, principal: Principal, user_id: int, course_id: int | None
) -> LearnerAnalyticsPublic:
    """The learner and their guardians see every course; staff see the courses within their scope."""
    courses: list[int] | None = None if course_id is None else [course_id]
    if not principal.follows(user_id):
        visible = set(session.scalars(select(Course.id).where(visible_courses_clause(principal, RECORD_READERS))))
        courses = [c for c in courses or visible if c in visible]
        if course_id is not None and not courses:
            raise ProblemError(404, f"Course {course_id} is not one of yours, so its analytics are not shown here.")
    found = learner_analytics(store, user_id, courses=courses, today=datetime.now(UTC).date())
    skills = [s for s in found.skills if s.skill_id.isdigit()]
    time = [t for t in found.time if t.course_id.isdigit()]
    skill_ids = {int(s.skill_id) for s in skills}
    course_ids = {int(t.course_id) for t in time}
    skill_names = names_of(session, Skill.id, Skill.name, skill_ids)
    titles = names_of(session, Course.id, Course.title, course_ids)
    fresh = lag(session.get_bind(), store)  # type: ignore[arg-type]
    return LearnerAnalyticsPublic(
        user_id=user_id,
        course_id=course_id,
        skills=[
            SkillWeekPublic(
                skill_id=int(s.skill_id),
                skill=skill_names.get(int(s.skill_id), f"Skill {s.skill_id}"),
                week=s.week.isoformat(),
                mean_score=s.mean_score,
                answers=s.answers,
            )
            for s in skills
        ],
        time=[
            CourseWeekPublic(
                course_id=int(t.course_id),
                course=titles.get(int(t.course_id), f"Course {t.course_id}"),
                week=t.week.isoformat(),
                seconds=t.seconds,
                statements=t.statements,
            )
            for t in time
        ],
        active_days=found.active_days,
        current_streak=found.current_streak,
        longest_streak=found.longest_streak,
        last_active=None if found.last_active is None else found.last_active.isoformat(),
        completed=found.completed,
        refreshed_at=fresh.refreshed_at,
        behind=fresh.behind,
    )
