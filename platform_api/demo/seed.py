"""Seed the demo organization, roles, users and a course built from the ASSISTments sample.

Idempotent: the demo tenant's slug is the marker, so a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models.prerequisites import derive_prerequisites
from pathwise.datasets import load_sample, skill_names
from pathwise.logs import get_logger
from platform_api.core.config import APISettings
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.security import hash_password
from platform_api.demo.lesson import LESSON_ITEMS, ensure_demo_lesson
from platform_api.demo.quiz import ensure_demo_assessments, ensure_unit_test_bank
from platform_api.domain.access.permissions import ROLE_SCOPES
from platform_api.domain.content.service import publish
from platform_api.domain.items.calibrate import calibrate_items
from platform_api.domain.models import (
    Activity,
    ActivityItem,
    ActivitySkill,
    Attempt,
    Cohort,
    CohortMember,
    Course,
    CourseVersion,
    Enrollment,
    Grant,
    GuardianLink,
    Item,
    Lesson,
    OrgUnit,
    Role,
    RolePermission,
    Skill,
    SkillPrerequisite,
    Unit,
    User,
)
from platform_api.lrs.sample_loader import DEMO_COURSE_CODE, demo_course_id

log = get_logger(__name__)

DEMO_TENANT_SLUG = "demo"
SKILLS_PER_UNIT = 10

#: Every demo account logs in with this password (documented in the README).
DEMO_PASSWORD = "pathwise-demo"


@dataclass
class SeedReport:
    created: bool
    tenant_id: int
    learners: int = 0
    skills: int = 0
    items: int = 0
    attempts: int = 0
    prerequisites: int = 0
    calibrated_items: int = 0


def _ensure_roles(session: Session) -> dict[str, int]:
    existing = {r.name: r.id for r in session.scalars(select(Role))}
    for name, scopes in ROLE_SCOPES.items():
        if name in existing:
            continue
        role = Role(name=name, description=f"Default {name} role")
        session.add(role)
        session.flush()
        session.add_all(RolePermission(role_id=role.id, scope=s) for s in scopes)
        existing[name] = role.id
    return existing


def seed_demo(db_url: str, home: Path | None = None) -> SeedReport:
    """Seed (or complete) the demo; ``home`` holds the media store (default: the settings' home)."""
    home = home if home is not None else APISettings().home
    engine = make_engine(db_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            roles = _ensure_roles(session)
            tenant = session.scalar(
                select(OrgUnit).where(OrgUnit.slug == DEMO_TENANT_SLUG, OrgUnit.parent_id.is_(None))
            )
            if tenant is not None:
                course_id = demo_course_id(session, tenant.id)
                if course_id is not None:  # demo data seeded before assessments existed gets them now
                    ensure_demo_assessments(session, tenant.id, course_id)
                    ensure_unit_test_bank(session, tenant.id, course_id)
                    ensure_published(session, course_id)
                    ensure_demo_lesson(session, tenant.id, course_id, home)
                    ensure_demo_cohort(session, tenant.id, course_id)
                return SeedReport(created=False, tenant_id=tenant.id)
            return _seed(session, roles, home)
    finally:
        engine.dispose()


#: A class section of the demo course, so an instructor can preview a rule on real learners at once.
DEMO_COHORT = "Period 1 (demo)"
DEMO_COHORT_SIZE = 40


def ensure_demo_cohort(session: Session, tenant_id: int, course_id: int) -> None:
    """The demo course's first enrolled learners as one cohort (made once)."""
    course = session.get(Course, course_id)
    assert course is not None
    if session.scalar(select(Cohort.id).where(Cohort.org_unit_id == course.org_unit_id, Cohort.name == DEMO_COHORT)):
        return
    cohort = Cohort(tenant_id=tenant_id, org_unit_id=course.org_unit_id, course_id=course_id, name=DEMO_COHORT)
    learners = session.scalars(
        select(Enrollment.user_id)
        .where(Enrollment.course_id == course_id)
        .order_by(Enrollment.user_id)
        .limit(DEMO_COHORT_SIZE)
    ).all()
    session.add(cohort)
    session.flush()
    session.add_all(CohortMember(cohort_id=cohort.id, user_id=user_id) for user_id in learners)


def ensure_published(session: Session, course_id: int) -> None:
    """Publish the demo course as version 1 when it has no published version (learners see only that)."""
    if session.scalar(select(CourseVersion.id).where(CourseVersion.course_id == course_id).limit(1)) is None:
        course = session.get(Course, course_id)
        assert course is not None
        publish(session, course, None)


def _org_tree(session: Session) -> tuple[OrgUnit, OrgUnit]:
    tenant = OrgUnit(slug=DEMO_TENANT_SLUG, name="Pathwise Demo District", kind="district")
    session.add(tenant)
    session.flush()
    tenant.tenant_id, tenant.path = tenant.id, f"/{tenant.id}/"
    parent = tenant
    for slug, name, kind in (
        ("demo-middle", "Demo Middle School", "school"),
        ("math", "Mathematics Department", "department"),
    ):
        unit = OrgUnit(parent_id=parent.id, tenant_id=tenant.id, slug=slug, name=name, kind=kind)
        session.add(unit)
        session.flush()
        unit.path = f"{parent.path}{unit.id}/"
        parent = unit
    return tenant, parent


def _seed(session: Session, roles: dict[str, int], home: Path) -> SeedReport:
    sample = load_sample()
    names = skill_names()
    tenant, department = _org_tree(session)

    password_hash = hash_password(DEMO_PASSWORD)
    staff = {
        "Administrator": ("admin@demo.pathwise.local", "Ada Admin", tenant.id, "org_unit"),
        "Instructor": ("instructor@demo.pathwise.local", "Ian Instructor", department.id, "org_unit"),
        "Assistant Instructor": ("assistant@demo.pathwise.local", "Asha Assistant", department.id, "org_unit"),
        "Guardian": ("guardian@demo.pathwise.local", "Gil Guardian", tenant.id, "org_unit"),
        "ML Engineer": ("ml@demo.pathwise.local", "Mila Engineer", tenant.id, "org_unit"),
    }
    staff_ids: dict[str, int] = {}
    for role, (email, display, scope_id, scope_type) in staff.items():
        user = User(tenant_id=tenant.id, email=email, display_name=display, password_hash=password_hash)
        session.add(user)
        session.flush()
        session.add(Grant(user_id=user.id, role_id=roles[role], scope_type=scope_type, scope_id=scope_id))
        staff_ids[role] = user.id

    # Skills in the order learners first meet them, so units follow the data's curriculum.
    skill_order = sample.groupby("skill_id")["seq"].median().sort_values().index.tolist()
    skills = {
        code: Skill(tenant_id=tenant.id, code=code, name=names.get(code, f"Skill {code}")) for code in skill_order
    }
    session.add_all(skills.values())
    session.flush()
    edges = derive_prerequisites(sample)
    session.add_all(SkillPrerequisite(skill_id=skills[b].id, prerequisite_id=skills[a].id) for a, b in edges)

    first_skill = sample.drop_duplicates("item_id").set_index("item_id")["skill_id"]
    item_rows = [
        {
            "tenant_id": tenant.id,
            "skill_id": skills[s].id,
            "external_id": str(i),
            "kind": "numeric",
            "stem": f"ASSISTments problem {i}",
            "body": {},
            "answer_key": {},
        }
        for i, s in first_skill.items()
    ]
    session.execute(insert(Item), item_rows)
    item_ids = dict(
        session.execute(select(Item.external_id, Item.id).where(Item.tenant_id == tenant.id)).tuples().all()
    )

    course = Course(
        org_unit_id=department.id,
        code=DEMO_COURSE_CODE,
        title="ASSISTments Middle-School Math (demo)",
        description="Skill-builder practice derived from the ASSISTments 2009 public data.",
        status="published",
        details={"source": "ASSISTments 2009-2010 skill builder (sample)"},
    )
    session.add(course)
    session.flush()
    items_by_skill = first_skill.groupby(first_skill).groups
    for u, start in enumerate(range(0, len(skill_order), SKILLS_PER_UNIT)):
        chunk = skill_order[start : start + SKILLS_PER_UNIT]
        unit = Unit(course_id=course.id, position=u, title=f"Unit {u + 1}: {skills[chunk[0]].name}")
        session.add(unit)
        session.flush()
        for pos, code in enumerate(chunk):
            lesson = Lesson(unit_id=unit.id, position=pos, title=skills[code].name)
            session.add(lesson)
            session.flush()
            activity = Activity(
                lesson_id=lesson.id,
                position=0,
                kind="practice",
                title=f"Practice: {skills[code].name}",
                details={"estimated_minutes": 15},
            )
            session.add(activity)
            session.flush()
            session.add(ActivitySkill(activity_id=activity.id, skill_id=skills[code].id))
            session.add_all(
                ActivityItem(activity_id=activity.id, item_id=item_ids[str(i)]) for i in items_by_skill.get(code, [])
            )

    learner_ids: dict[str, int] = {}
    for external in sample["user_id"].unique():
        user = User(
            tenant_id=tenant.id,
            email=f"learner{external}@demo.pathwise.local",
            display_name=f"Learner {external}",
            external_id=str(external),
            password_hash=password_hash,
        )
        session.add(user)
        session.flush()
        learner_ids[str(external)] = user.id
    session.execute(
        insert(Grant),
        [
            {"user_id": uid, "role_id": roles["Learner"], "scope_type": "course", "scope_id": course.id}
            for uid in learner_ids.values()
        ],
    )
    # The demo guardian sees exactly the first two learners.
    session.add_all(
        GuardianLink(guardian_id=staff_ids["Guardian"], learner_id=uid) for uid in list(learner_ids.values())[:2]
    )
    session.execute(insert(Enrollment), [{"user_id": uid, "course_id": course.id} for uid in learner_ids.values()])
    attempts = [
        {
            "user_id": learner_ids[u],
            "item_id": item_ids[i],
            "seq": int(s),
            "correct": bool(c),
            "score": float(c),
            "response": {},
        }
        for u, i, s, c in sample[["user_id", "item_id", "seq", "correct"]].itertuples(index=False)
    ]
    session.execute(insert(Attempt), attempts)
    calibration = calibrate_items(session, tenant.id)
    quiz_items = ensure_demo_assessments(session, tenant.id, course.id)
    if ensure_demo_lesson(session, tenant.id, course.id, home):  # before the first publication: part of it
        quiz_items += LESSON_ITEMS
    ensure_published(session, course.id)
    ensure_demo_cohort(session, tenant.id, course.id)
    report = SeedReport(
        created=True,
        tenant_id=tenant.id,
        learners=len(learner_ids),
        skills=len(skills),
        items=len(item_ids) + quiz_items,
        attempts=len(attempts),
        prerequisites=len(edges),
        calibrated_items=calibration.items_calibrated,
    )
    log.info("seeded demo data", **report.__dict__)
    return report
