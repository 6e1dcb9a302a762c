"""A course's cohort views: the proficiency heatmap, engagement and learners at risk, with their names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.cohort import heatmap
from analytics.engagement import ItemUse, engagement
from analytics.freshness import lag
from analytics.risk import at_risk
from analytics.store import RECENT, AnalyticsStore
from platform_api.core.errors import ProblemError
from platform_api.domain.analytics.names import names_of
from platform_api.domain.analytics.schemas import (
    AtRiskLearner,
    AtRiskPublic,
    EngagementPublic,
    HeatmapPublic,
    ItemUsePublic,
    Named,
    SkillTrend,
    WeekTime,
)
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.identity.models import User
from platform_api.domain.items.models import Item
from platform_api.domain.org.models import Cohort, CohortMember
from platform_api.domain.skills.models import Skill


def cohort_members(session: Session, course_id: int, cohort_id: int) -> list[int]:
    """The members of a cohort of this course; a cohort of another course is named as such."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise ProblemError(404, f"There is no cohort {cohort_id}.")
    if cohort.course_id not in (None, course_id):
        raise ProblemError(422, f"Cohort {cohort_id} belongs to course {cohort.course_id}, not course {course_id}.")
    return list(session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)))


def heatmap_report(
    session: Session, store: AnalyticsStore, course_id: int, *, cohort_id: int | None, weeks: int
) -> HeatmapPublic:
    members = None if cohort_id is None else cohort_members(session, course_id, cohort_id)
    found = heatmap(store, course_id, learners=members, weeks=weeks)
    # platform ids only: a statement from elsewhere may name a learner or skill the platform does not know
    rows = [n for n, ident in enumerate(found.learners) if ident.isdigit()]
    columns = [n for n, ident in enumerate(found.skills) if ident.isdigit()]
    learner_ids = [int(found.learners[n]) for n in rows]
    skill_ids = [int(found.skills[n]) for n in columns]
    names = names_of(session, User.id, User.display_name, learner_ids)
    skills = names_of(session, Skill.id, Skill.name, skill_ids)
    fresh = lag(session.get_bind(), store)  # type: ignore[arg-type]
    return HeatmapPublic(
        course_id=course_id,
        cohort_id=cohort_id,
        recent=RECENT,
        learners=[Named(id=i, name=names.get(i, f"Learner {i}")) for i in learner_ids],
        skills=[Named(id=i, name=skills.get(i, f"Skill {i}")) for i in skill_ids],
        proficiency=[[found.proficiency[r][c] for c in columns] for r in rows],
        answers=[[found.answers[r][c] for c in columns] for r in rows],
        weeks=[week.isoformat() for week in found.weeks],
        trend=[SkillTrend(skill_id=i, weekly_mean=found.trend[str(i)]) for i in skill_ids],
        refreshed_at=fresh.refreshed_at,
        behind=fresh.behind,
    )


def engagement_report(
    session: Session, store: AnalyticsStore, course_id: int, *, cohort_id: int | None
) -> EngagementPublic:
    members = None if cohort_id is None else cohort_members(session, course_id, cohort_id)
    found = engagement(store, course_id, learners=members)
    shown = [i for i in (*found.most_answered, *found.most_failed) if i.item_id.isdigit()]
    ids = {int(i.item_id) for i in shown}
    stems = names_of(session, Item.id, Item.stem, ids)

    def public(uses: list[ItemUse]) -> list[ItemUsePublic]:
        return [
            ItemUsePublic(
                item_id=int(u.item_id),
                stem=stems.get(int(u.item_id), ""),
                answers=u.answers,
                mean_score=u.mean_score,
                failed=u.failed,
            )
            for u in uses
            if u.item_id.isdigit()
        ]

    fresh = lag(session.get_bind(), store)  # type: ignore[arg-type]
    return EngagementPublic(
        course_id=course_id,
        cohort_id=cohort_id,
        most_answered=public(found.most_answered),
        most_failed=public(found.most_failed),
        activity=found.activity,
        time_on_task=[WeekTime(week=w.isoformat(), seconds=s, learners=n) for w, s, n in found.time_on_task],
        refreshed_at=fresh.refreshed_at,
        behind=fresh.behind,
    )


def at_risk_report(
    session: Session,
    store: AnalyticsStore,
    course_id: int,
    *,
    cohort_id: int | None,
    as_of: datetime,
    inactive_days: int,
) -> AtRiskPublic:
    """The rules over the course's active enrolment (narrowed to a cohort's members when asked)."""
    enrolled = set(
        session.scalars(
            select(Enrollment.user_id).where(Enrollment.course_id == course_id, Enrollment.status == "active")
        )
    )
    if cohort_id is not None:
        enrolled &= set(cohort_members(session, course_id, cohort_id))
    flagged = at_risk(store, course_id, sorted(enrolled), as_of=as_of, inactive_days=inactive_days)
    people = {int(r.learner_id) for r in flagged}
    skill_ids = {int(s) for r in flagged for s in r.falling_skills if s.isdigit()}
    names = names_of(session, User.id, User.display_name, people)
    skills = names_of(session, Skill.id, Skill.name, skill_ids)
    fresh = lag(session.get_bind(), store)  # type: ignore[arg-type]
    return AtRiskPublic(
        course_id=course_id,
        cohort_id=cohort_id,
        as_of=as_of.isoformat(),
        inactive_days=inactive_days,
        enrolled=len(enrolled),
        at_risk=[
            AtRiskLearner(
                learner=Named(id=int(r.learner_id), name=names.get(int(r.learner_id), f"Learner {r.learner_id}")),
                days_inactive=r.days_inactive,
                falling_skills=[
                    Named(id=int(s), name=skills.get(int(s), f"Skill {s}")) for s in r.falling_skills if s.isdigit()
                ],
                reasons=r.reasons,
            )
            for r in flagged
        ],
        refreshed_at=fresh.refreshed_at,
        behind=fresh.behind,
    )
