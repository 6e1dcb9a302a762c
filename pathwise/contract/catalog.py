"""The activities a course offers, with the skill each trains and the skills it requires first.

Skills are named by id everywhere (the platform's skill id, as in the LRS statements, Feast and the
registered models); ``skill_name`` is only for display.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pathwise.contract.rules.names import Names


class Activity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    skill: str | None = Field(
        None, min_length=1, max_length=100, description="the skill's id; None: rules may name it, ranking skips it"
    )
    skill_name: str | None = Field(None, max_length=300, description="the skill's display name")
    kind: str = Field("practice", pattern="^(lesson|practice|challenge|review|peer)$")
    format: str = Field("practice", max_length=40, description="the platform's activity kind: video, quiz, reading …")
    difficulty: float = Field(0.5, ge=0, le=1, description="share of learners at median mastery who fail it")
    prerequisites: tuple[str, ...] = Field((), description="ids of skills that must be mastered before it unlocks")

    @property
    def skill_label(self) -> str:
        return self.skill_name or self.skill or ""


class Course(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100)
    activities: tuple[Activity, ...]

    @property
    def skills(self) -> list[str]:
        return sorted({activity.skill for activity in self.activities if activity.skill is not None})

    def skill_names(self) -> dict[str, str]:
        """Skill id → display name."""
        return {a.skill: a.skill_label for a in self.activities if a.skill is not None}


class Catalog(BaseModel):
    """Every course the Router can recommend from; sent to replicas in the builder args."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    courses: tuple[Course, ...] = ()
    skills: dict[str, str] = Field(
        default_factory=dict, description="id → name of every skill the courses' tenants define, taught or not"
    )

    def course(self, course_id: str) -> Course | None:
        return next((course for course in self.courses if course.id == course_id), None)

    def names(self, course_id: str | None = None) -> Names:
        """The skill and activity names a rule may use: one course's when the rule is scoped to a course
        in the catalog, else every course's (the platform validates with the same call, so both agree)."""
        course = self.course(course_id) if course_id is not None else None
        activities = [a for c in ((course,) if course else self.courses) for a in c.activities]
        skills = {a.skill: a.skill_label for a in activities if a.skill is not None} or dict(self.skills)
        if course is not None:  # the course's own skills, plus the tenant's skills it does not teach
            skills = {**{i: n for i, n in self.skills.items() if n.casefold() not in _folded(skills)}, **skills}
        else:
            skills = {**self.skills, **skills}
        return Names.of(skills.items(), ((a.id, a.title) for a in activities))


def _folded(skills: dict[str, str]) -> set[str]:
    return {name.casefold() for name in skills.values()}


def demo_catalog() -> Catalog:
    """A small algebra course matching the seed's skills; used until the API publishes course snapshots."""
    a = Activity
    return Catalog(
        courses=(
            Course(
                id="algebra-1",
                activities=(
                    a(id="frac-lesson", title="Fractions refresher", skill="Fractions", kind="lesson", difficulty=0.2),
                    a(id="frac-practice", title="Fractions practice", skill="Fractions", difficulty=0.4),
                    a(
                        id="frac-review",
                        title="Fractions review cards",
                        skill="Fractions",
                        kind="review",
                        difficulty=0.3,
                    ),
                    a(
                        id="alg-lesson",
                        title="Equations micro-lesson",
                        skill="Algebra",
                        kind="lesson",
                        difficulty=0.3,
                        prerequisites=("Fractions",),
                    ),
                    a(
                        id="alg-practice",
                        title="Practice Set B",
                        skill="Algebra",
                        difficulty=0.5,
                        prerequisites=("Fractions",),
                    ),
                    a(
                        id="alg-peer",
                        title="Equation pair-solving",
                        skill="Algebra",
                        kind="peer",
                        difficulty=0.5,
                        prerequisites=("Fractions",),
                    ),
                    a(
                        id="alg-challenge",
                        title="Algebra challenge",
                        skill="Algebra",
                        kind="challenge",
                        difficulty=0.8,
                        prerequisites=("Fractions",),
                    ),
                    a(
                        id="quad-practice",
                        title="Quadratics practice",
                        skill="Quadratics",
                        difficulty=0.6,
                        prerequisites=("Algebra",),
                    ),
                ),
            ),
        )
    )
