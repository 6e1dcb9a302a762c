"""Analytics reports, read from the analytics store (``pathwise analytics refresh`` keeps it up to the LRS)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from analytics.config import store_of
from analytics.export import MEDIA_TYPES, Format, Mart, course_mart, encode
from platform_api.api.deps import SessionDep, SettingsDep, learner_record, permit
from platform_api.domain.access.authz import Principal
from platform_api.domain.analytics.cohorts import at_risk_report, engagement_report, heatmap_report
from platform_api.domain.analytics.items import item_analysis_report
from platform_api.domain.analytics.learners import learner_report
from platform_api.domain.analytics.schemas import (
    AtRiskPublic,
    EngagementPublic,
    HeatmapPublic,
    ItemAnalysisPublic,
    LearnerAnalyticsPublic,
)
from platform_api.domain.assessment.models import Assessment

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])


@router.get(
    "/assessments/{assessment_id}/item-analysis",
    response_model=ItemAnalysisPublic,
    summary="Item analysis of an assessment: facility, discrimination, distractors, alpha, IRT, with flags",
    description=(
        "Each learner's first answer to each item, from the analytics store. `source=assessment` reads the "
        "answers given in this assessment's sittings; `source=all` every answer to its items wherever given. "
        "Flags follow Moodle's quiz statistics: discrimination below 0.15 is dubious, below 0.30 likely needs "
        "checking; alpha below 0.64 is unsatisfactory. `behind` says how many LRS statements the store has "
        "not taken yet."
    ),
)
def get_item_analysis(
    session: SessionDep,
    settings: SettingsDep,
    assessment_id: int,
    _: Annotated[Principal, permit("analytics:read", "assessment")],
    source: Annotated[Literal["assessment", "all"], Query(description="whose answers")] = "assessment",
    irt: Annotated[bool, Query(description="also fit a 2PL IRT model (slower)")] = False,
) -> ItemAnalysisPublic:
    assessment = session.get(Assessment, assessment_id)
    assert assessment is not None  # the permit resolved it inside the caller's scope
    return item_analysis_report(session, store_of(settings), assessment, source=source, irt=irt)


@router.get(
    "/courses/{course_id}/heatmap",
    response_model=HeatmapPublic,
    summary="Cohort proficiency heatmap: learners x skills of a course, with the weekly trend per skill",
    description=(
        "A cell is the mean score of the learner's last 10 answers on the skill (0..1), with how many answers "
        "the learner gave on it; `cohort_id` narrows the map to a cohort of the course. The trend is the "
        "selection's weekly mean score per skill over `weeks` weeks up to its newest answer."
    ),
)
def get_heatmap(
    session: SessionDep,
    settings: SettingsDep,
    course_id: int,
    _: Annotated[Principal, permit("analytics:read", "course")],
    cohort_id: Annotated[int | None, Query(ge=1, description="only this cohort's members")] = None,
    weeks: Annotated[int, Query(ge=1, le=52, description="weeks of trend")] = 8,
) -> HeatmapPublic:
    return heatmap_report(session, store_of(settings), course_id, cohort_id=cohort_id, weeks=weeks)


@router.get(
    "/courses/{course_id}/engagement",
    response_model=EngagementPublic,
    summary="Engagement in a course: items most answered and most failed, activity by weekday and hour, time",
)
def get_engagement(
    session: SessionDep,
    settings: SettingsDep,
    course_id: int,
    _: Annotated[Principal, permit("analytics:read", "course")],
    cohort_id: Annotated[int | None, Query(ge=1, description="only this cohort's members")] = None,
) -> EngagementPublic:
    return engagement_report(session, store_of(settings), course_id, cohort_id=cohort_id)


@router.get(
    "/learners/{user_id}",
    response_model=LearnerAnalyticsPublic,
    summary="A learner's analytics: mean score per skill week by week, time per course and week, streaks",
    description=(
        "For the learner, their linked guardians, and the staff of their courses (who see those courses "
        "only). `course_id` narrows it to one course."
    ),
)
def get_learner_analytics(
    session: SessionDep,
    settings: SettingsDep,
    user_id: int,
    principal: Annotated[Principal, learner_record("analytics")],
    course_id: Annotated[int | None, Query(ge=1, description="only this course")] = None,
) -> LearnerAnalyticsPublic:
    return learner_report(session, store_of(settings), principal, user_id, course_id)


@router.get(
    "/courses/{course_id}/at-risk",
    response_model=AtRiskPublic,
    summary="Learners at risk in a course, by rule, each with the reasons in words",
    description=(
        "A learner enrolled in the course is at risk when their last activity in it is `inactive_days` or more "
        "before `as_of` (default now), or they have none, or when their score is falling on a skill (the mean of "
        "their last 5 answers at least 0.2 below the 5 before)."
    ),
)
def get_at_risk(
    session: SessionDep,
    settings: SettingsDep,
    course_id: int,
    _: Annotated[Principal, permit("analytics:read", "course")],
    cohort_id: Annotated[int | None, Query(ge=1, description="only this cohort's members")] = None,
    inactive_days: Annotated[int, Query(ge=1, le=365, description="days without activity that count as at risk")] = 7,
    as_of: Annotated[datetime | None, Query(description="the moment to judge at (ISO 8601; default now)")] = None,
) -> AtRiskPublic:
    moment = as_of or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return at_risk_report(
        session, store_of(settings), course_id, cohort_id=cohort_id, as_of=moment, inactive_days=inactive_days
    )


@router.get(
    "/courses/{course_id}/export",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}, "description": "the mart's rows"}},
    summary="A mart of the course as a file for BI tools: CSV, JSON lines or Parquet",
    description=(
        "`answers`: one row per attempt (final score, first answer's time, item, skill, assessment); `cells`: "
        "each learner's proficiency per skill. Only courses the caller may read analytics of."
    ),
)
def export_mart(
    settings: SettingsDep,
    course_id: int,
    mart: Annotated[Mart, Query(description="answers (one row per attempt) or cells (learner x skill)")],
    _: Annotated[Principal, permit("analytics:read", "course")],
    format: Annotated[Format, Query(description="csv, json (one object per line) or parquet")] = "csv",
) -> Response:
    body = encode(course_mart(store_of(settings), mart, course_id), format)
    filename = f"course-{course_id}-{mart}.{'jsonl' if format == 'json' else format}"
    return Response(
        body, media_type=MEDIA_TYPES[format], headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
