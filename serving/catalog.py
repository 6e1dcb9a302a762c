"""The activities a course offers, with the skill each trains and the skills it requires first."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Activity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    skill: str = Field(min_length=1, max_length=100)
    kind: str = Field("practice", pattern="^(lesson|practice|challenge|review|peer)$")
    difficulty: float = Field(0.5, ge=0, le=1, description="share of learners at median mastery who fail it")
    prerequisites: tuple[str, ...] = Field((), description="skills that must be mastered before it unlocks")


class Course(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100)
    activities: tuple[Activity, ...]

    @property
    def skills(self) -> list[str]:
        return sorted({activity.skill for activity in self.activities})


class Catalog(BaseModel):
    """Every course the Router can recommend from; sent to replicas in the builder args."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    courses: tuple[Course, ...] = ()

    def course(self, course_id: str) -> Course | None:
        return next((course for course in self.courses if course.id == course_id), None)


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
