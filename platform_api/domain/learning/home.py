"""The learner home page as one document, computed from the records (nothing here is stored).

Badges are computed from real records each time, so they can never disagree with them:

- ``first_answer``: the first graded answer;
- ``streak_5``: answers or recorded activity on 5 consecutive days (UTC);
- ``ten_in_a_row``: 10 correct graded answers in a row;
- ``first_course_completed``: every activity of a published course marked completed;
- ``first_video``: a video watched to at least 90 % (the xAPI Video Profile's progress).

A skill counts as mastered at a model mastery of 0.95 or more when serving answered; without serving,
when the learner's last three graded answers at the skill's items were all correct (said in ``source``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from features.events import EXT_VIDEO_PROGRESS, StatementError, parse_duration
from features.xapi_vocabulary import Extension, learner_agent
from platform_api.core.db import utcnow
from platform_api.core.timestamps import Timestamp
from platform_api.domain.assignments.models import Assignment
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.content.models import Activity, Course, CourseVersion
from platform_api.domain.content.service import latest_version
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.items.models import Item
from platform_api.domain.learning.models import LearnerProgress
from platform_api.domain.lrs.models import Statement
from platform_api.domain.skills.models import Skill
from platform_api.lrs.mentions import agent_key

MASTERED = 0.95
STREAK_DAYS = 5
IN_A_ROW = 10
USAGE_DAYS = 14
RECENT_FOR_MASTERY = 3


class ContinueEntry(BaseModel):
    course_id: int
    course_title: str
    activity_id: int | None = Field(description="the activity touched last; null when none was started yet")
    activity_title: str | None
    activity_kind: str | None
    position: float | None
    status: Literal["started", "completed"] | None
    last_touched_at: Timestamp | None
    activities_completed: int
    activities_total: int = Field(description="activities in the latest published version of the course")
    course_progress: float | None = Field(description="completed / total; null for a course not published yet")


class MasteredSkill(BaseModel):
    skill_id: int
    name: str


class Badge(BaseModel):
    code: str
    name: str
    description: str
    earned: bool
    earned_at: Timestamp | None = None


class ProgressSummary(BaseModel):
    activities_completed: int
    skills_mastered: list[MasteredSkill]
    mastered_source: Literal["model", "attempts"] = Field(
        description="model: serving's mastery >= 0.95; attempts: last three graded answers correct (serving down)"
    )
    badges: list[Badge]


class SkillMastery(BaseModel):
    skill_id: int
    name: str
    mastery: float


class Deadline(BaseModel):
    kind: Literal["assignment", "exam"]
    assignment_id: int
    course_id: int
    title: str
    opens_at: Timestamp | None
    due_at: Timestamp
    closes_at: Timestamp | None = Field(description="the hard cutoff, if any")


class DayUsage(BaseModel):
    day: date
    minutes: float


class HomePublic(BaseModel):
    learner_id: int
    course_id: int | None = Field(description="the course whose mastery is shown (the one asked for, or last touched)")
    continue_: list[ContinueEntry] = Field(alias="continue", serialization_alias="continue")
    progress: ProgressSummary
    mastery: list[SkillMastery] | None = Field(description="serving's estimates; null when serving is unavailable")
    mastery_model: dict[str, Any] | None = Field(None, description="model versions and variant serving named")
    deadlines: list[Deadline]
    time_usage: list[DayUsage] = Field(description=f"minutes per UTC day, the last {USAGE_DAYS} days, oldest first")

    model_config = {"populate_by_name": True}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def published_activity_ids(session: Session, course_id: int) -> list[int] | None:
    version: CourseVersion | None = latest_version(session, course_id)
    if version is None:
        return None
    return [a["id"] for u in version.snapshot["units"] for lesson in u["lessons"] for a in lesson["activities"]]


def enrolled_courses(session: Session, learner_id: int, shown: ColumnElement[bool] | None = None) -> list[Course]:
    """The learner's active enrollments; ``shown`` narrows them to the courses the reader may see."""
    query = (
        select(Course)
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(Enrollment.user_id == learner_id, Enrollment.status == "active")
    )
    if shown is not None:
        query = query.where(shown)
    return list(session.scalars(query.order_by(Course.id)))


def continue_learning(session: Session, learner_id: int, courses: list[Course]) -> list[ContinueEntry]:
    rows = session.scalars(
        select(LearnerProgress)
        .where(LearnerProgress.user_id == learner_id, LearnerProgress.course_id.in_([c.id for c in courses]))
        .order_by(LearnerProgress.client_updated_at.desc(), LearnerProgress.id.desc())
    ).all()
    by_course: dict[int, list[LearnerProgress]] = defaultdict(list)
    for row in rows:
        by_course[row.course_id].append(row)
    wanted = [rows_[0].activity_id for rows_ in by_course.values()]
    activities = {a.id: a for a in session.scalars(select(Activity).where(Activity.id.in_(wanted)))}
    out = []
    for course in courses:
        mine = by_course.get(course.id, [])
        published = published_activity_ids(session, course.id)
        done = {r.activity_id for r in mine if r.status == "completed"}
        completed = len(done & set(published)) if published is not None else len(done)
        last = mine[0] if mine else None
        activity = activities.get(last.activity_id) if last else None
        total = len(published) if published is not None else 0
        out.append(
            ContinueEntry(
                course_id=course.id,
                course_title=course.title,
                activity_id=last.activity_id if last else None,
                activity_title=activity.title if activity else None,
                activity_kind=activity.kind if activity else None,
                position=last.position if last else None,
                status=last.status if last else None,
                last_touched_at=last.client_updated_at if last else None,
                activities_completed=completed,
                activities_total=total,
                course_progress=round(completed / total, 4) if total else None,
            )
        )
    return out


def _graded(session: Session, learner_id: int) -> list[tuple[Attempt, int | None]]:
    return [
        (attempt, skill)
        for attempt, skill in session.execute(
            select(Attempt, Item.skill_id)
            .join(Item, Item.id == Attempt.item_id)
            .where(Attempt.user_id == learner_id, Attempt.correct.is_not(None))
            .order_by(Attempt.submitted_at, Attempt.id)
        ).tuples()
    ]


def _own_statements(session: Session, learner_id: int, since: datetime | None = None) -> list[dict[str, Any]]:
    key = agent_key(learner_agent(learner_id))
    query = select(Statement.payload).where(Statement.actor_key == key, Statement.voided.is_(False))
    if since is not None:
        query = query.where(Statement.timestamp >= since)
    return list(session.scalars(query))


def badges(
    session: Session,
    learner_id: int,
    graded: list[tuple[Attempt, int | None]],
    entries: list[ContinueEntry],
    statements: list[dict[str, Any]],
) -> list[Badge]:
    first = graded[0][0].submitted_at if graded else None
    run, ten_at = 0, None
    for attempt, _ in graded:
        run = run + 1 if attempt.correct else 0
        if run >= IN_A_ROW and ten_at is None:
            ten_at = attempt.submitted_at
    days = sorted({_aware(a.submitted_at).date() for a, _ in graded} | _progress_days(session, learner_id))
    streak_at, streak = None, 0
    for index, day in enumerate(days):
        streak = streak + 1 if index and days[index - 1] == day - timedelta(days=1) else 1
        if streak >= STREAK_DAYS and streak_at is None:
            streak_at = datetime.combine(day, datetime.min.time(), UTC)
    completed_at = _first_course_completed(session, learner_id, entries)
    video_at = min(
        (
            _statement_time(s)
            for s in statements
            if ((s.get("result") or {}).get("extensions") or {}).get(EXT_VIDEO_PROGRESS, 0) >= 0.9
        ),
        default=None,
    )
    spec = [
        ("first_answer", "First answer", "Answered a question and got it graded.", first),
        ("streak_5", "Five-day streak", f"Learned on {STREAK_DAYS} days in a row.", streak_at),
        ("ten_in_a_row", "Ten in a row", f"{IN_A_ROW} correct answers in a row.", ten_at),
        ("first_course_completed", "Course complete", "Completed every activity of a course.", completed_at),
        ("first_video", "Watched it through", "Watched a lesson video to the end.", video_at),
    ]
    return [Badge(code=c, name=n, description=d, earned=at is not None, earned_at=at) for c, n, d, at in spec]


def _statement_time(statement: dict[str, Any]) -> datetime:
    return _aware(datetime.fromisoformat(str(statement["timestamp"]).replace("Z", "+00:00")))


def _progress_days(session: Session, learner_id: int) -> set[date]:
    moments = session.scalars(select(LearnerProgress.client_updated_at).where(LearnerProgress.user_id == learner_id))
    return {_aware(m).date() for m in moments}


def _first_course_completed(session: Session, learner_id: int, entries: list[ContinueEntry]) -> datetime | None:
    finished = [e.course_id for e in entries if e.activities_total and e.activities_completed >= e.activities_total]
    if not finished:
        return None
    moments = [
        session.scalar(
            select(LearnerProgress.client_updated_at)
            .where(LearnerProgress.user_id == learner_id, LearnerProgress.course_id == course_id)
            .order_by(LearnerProgress.client_updated_at.desc())
            .limit(1)
        )
        for course_id in finished
    ]
    return min((_aware(m) for m in moments if m is not None), default=None)


def mastered_from_attempts(graded: list[tuple[Attempt, int | None]]) -> set[int]:
    recent: dict[int, list[bool]] = defaultdict(list)
    for attempt, skill in graded:
        if skill is not None:
            recent[skill].append(bool(attempt.correct))
    return {s for s, outcomes in recent.items() if len(outcomes) >= RECENT_FOR_MASTERY and all(outcomes[-3:])}


def deadlines(session: Session, course_ids: list[int], now: datetime) -> list[Deadline]:
    rows = session.scalars(
        select(Assignment).where(Assignment.course_id.in_(course_ids)).order_by(Assignment.due_at, Assignment.id)
    ).all()
    out = []
    for row in rows:
        closes = _aware(row.cutoff_at) if row.cutoff_at else None
        if (closes or _aware(row.due_at)) < now:
            continue
        out.append(
            Deadline(
                kind="exam" if row.exam else "assignment",
                assignment_id=row.id,
                course_id=row.course_id,
                title=row.title,
                opens_at=row.opens_at,
                due_at=row.due_at,
                closes_at=closes,
            )
        )
    return out


def time_usage(session: Session, learner_id: int, statements: list[dict[str, Any]], now: datetime) -> list[DayUsage]:
    """Minutes per day from the learner's statements' ``result.duration`` and answers' ``duration_ms``.

    The platform's own answer statements carry the answer's duration too: they are recognised by
    their attempt-id extension and counted once, through the attempt."""
    start = (now - timedelta(days=USAGE_DAYS - 1)).date()
    minutes: dict[date, float] = defaultdict(float)
    for statement in statements:
        duration = (statement.get("result") or {}).get("duration")
        extensions = (statement.get("context") or {}).get("extensions") or {}
        if not duration or Extension.ATTEMPT_ID in extensions:
            continue
        try:
            seconds = parse_duration(str(duration))
        except StatementError:
            continue
        minutes[_statement_time(statement).date()] += seconds / 60
    since = datetime.combine(start, datetime.min.time(), UTC)
    for moment, duration_ms in session.execute(
        select(Attempt.submitted_at, Attempt.duration_ms).where(
            Attempt.user_id == learner_id, Attempt.submitted_at >= since, Attempt.duration_ms.is_not(None)
        )
    ).tuples():
        minutes[_aware(moment).date()] += (duration_ms or 0) / 60000
    return [
        DayUsage(day=start + timedelta(days=i), minutes=round(minutes.get(start + timedelta(days=i), 0.0), 2))
        for i in range(USAGE_DAYS)
    ]


def build_home(
    session: Session,
    learner_id: int,
    course_id: int | None,
    served: dict[str, Any] | None,
    shown: ColumnElement[bool] | None = None,
) -> HomePublic:
    """The document; ``served`` is serving's recommendation answer for ``course_id`` (None: unavailable),
    ``shown`` limits the courses to those the reader may see of the learner."""
    now = utcnow()
    courses = enrolled_courses(session, learner_id, shown)
    entries = continue_learning(session, learner_id, courses)
    graded = _graded(session, learner_id)
    statements = _own_statements(session, learner_id)
    mastery: list[SkillMastery] | None = None
    wanted = {s for _, s in graded if s is not None} | {
        int(k) for k in ((served or {}).get("mastery") or {}) if str(k).isdigit() and int(k) < 2**31
    }
    skill_names = dict(session.execute(select(Skill.id, Skill.name).where(Skill.id.in_(wanted))).tuples().all())
    if served is not None:
        mastery = [
            SkillMastery(skill_id=int(k), name=skill_names.get(int(k), str(k)), mastery=float(v))
            for k, v in sorted((served.get("mastery") or {}).items())
            if str(k).isdigit()
        ]
        mastered, source = {m.skill_id for m in mastery if m.mastery >= MASTERED}, "model"
    else:
        mastered, source = mastered_from_attempts(graded), "attempts"
    return HomePublic(
        learner_id=learner_id,
        course_id=course_id,
        continue_=entries,
        progress=ProgressSummary(
            activities_completed=sum(e.activities_completed for e in entries),
            skills_mastered=[MasteredSkill(skill_id=s, name=skill_names.get(s, str(s))) for s in sorted(mastered)],
            mastered_source=source,
            badges=badges(session, learner_id, graded, entries, statements),
        ),
        mastery=mastery,
        mastery_model={k: served[k] for k in ("model_versions", "variant") if k in served} if served else None,
        deadlines=deadlines(session, [c.id for c in courses], now),
        time_usage=time_usage(session, learner_id, statements, now),
    )


def default_course(session: Session, learner_id: int) -> int | None:
    """The course touched last, else the first enrolled one: the course the home page shows mastery for."""
    touched = session.scalar(
        select(LearnerProgress.course_id)
        .where(LearnerProgress.user_id == learner_id)
        .order_by(LearnerProgress.client_updated_at.desc())
        .limit(1)
    )
    if touched is not None:
        return int(touched)
    courses = enrolled_courses(session, learner_id)
    return courses[0].id if courses else None
