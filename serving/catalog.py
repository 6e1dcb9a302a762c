"""The activities a course offers, with the skill each trains and the skills it requires first.

Skills are named by id everywhere (the platform's skill id, as in the LRS statements, Feast and the
registered models); ``skill_name`` is only for display.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Activity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    skill: str = Field(min_length=1, max_length=100, description="the skill's id")
    skill_name: str | None = Field(None, max_length=300, description="the skill's display name")
    kind: str = Field("practice", pattern="^(lesson|practice|challenge|review|peer)$")
    format: str = Field("practice", max_length=40, description="the platform's activity kind: video, quiz, reading …")
    difficulty: float = Field(0.5, ge=0, le=1, description="share of learners at median mastery who fail it")
    prerequisites: tuple[str, ...] = Field((), description="ids of skills that must be mastered before it unlocks")

    @property
    def skill_label(self) -> str:
        return self.skill_name or self.skill


class Course(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100)
    activities: tuple[Activity, ...]

    @property
    def skills(self) -> list[str]:
        return sorted({activity.skill for activity in self.activities})

    def skill_names(self) -> dict[str, str]:
        """Skill id → display name."""
        return {activity.skill: activity.skill_label for activity in self.activities}


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
