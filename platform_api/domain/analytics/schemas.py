"""What the analytics routes answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class FlagPublic(BaseModel):
    severity: Literal["high", "medium", "low"]
    code: str = Field(
        description="e.g. dubious, likely_needs_checking, alpha_unsatisfactory, non_functional_distractor"
    )
    reason: str = Field(description="the sentence a person reads: which figure, and the threshold it crossed")


class OptionPublic(BaseModel):
    option: str
    is_key: bool
    count: int
    share: float = Field(description="of the learners who chose an option")
    share_top: float = Field(description="among the top 27% of learners by total score")
    share_bottom: float = Field(description="among the bottom 27%")


class IrtPublic(BaseModel):
    a: float = Field(description="2PL discrimination, on unit-normal abilities")
    b: float = Field(description="2PL difficulty")
    outfit: float = Field(description="outfit mean-square: about 1 fits; well above 1, the answers surprise the model")


class ItemAnalysisItem(BaseModel):
    item_id: int
    stem: str
    kind: str
    answered: int
    facility: float | None = Field(description="mean score of those who answered, 0..1")
    discrimination: float | None = Field(description="correlation of the item's score with the rest of the test")
    alpha_if_deleted: float | None
    options: list[OptionPublic]
    irt: IrtPublic | None
    flags: list[FlagPublic]


class ItemAnalysisPublic(BaseModel):
    assessment_id: int
    title: str
    source: Literal["assessment", "all"]
    answers: int = Field(description="first answers read (one per learner and item)")
    learners: int
    complete: int = Field(description="learners who answered every item: the sample alpha is computed on")
    alpha: float | None = Field(description="Cronbach's alpha")
    kr20: float | None = Field(description="KR-20 (alpha when every score is 0 or 1)")
    flags: list[FlagPublic]
    items: list[ItemAnalysisItem]
    note: str | None = Field(default=None, description="why there are no figures yet, when there are none")
    refreshed_at: str | None = Field(description="when the analytics store last took statements from the LRS")
    behind: int = Field(description="LRS statements the analytics store has not taken yet")


class Named(BaseModel):
    id: int
    name: str


class SkillTrend(BaseModel):
    skill_id: int
    weekly_mean: list[float | None] = Field(description="the cohort's mean score on the skill, one value per week")


class HeatmapPublic(BaseModel):
    course_id: int
    cohort_id: int | None
    recent: int = Field(description="a cell is the mean score of the learner's last this-many answers on the skill")
    learners: list[Named]
    skills: list[Named]
    proficiency: list[list[float | None]] = Field(description="[learner][skill], 0..1; null: no answer on it")
    answers: list[list[int]] = Field(description="[learner][skill]: answers the learner gave on the skill")
    weeks: list[str] = Field(description="the Mondays (UTC) the trend's weeks start on")
    trend: list[SkillTrend]
    refreshed_at: str | None
    behind: int


class ItemUsePublic(BaseModel):
    item_id: int
    stem: str
    answers: int
    mean_score: float
    failed: float = Field(description="share of answers that were not right")


class WeekTime(BaseModel):
    week: str = Field(description="the week's Monday (UTC)")
    seconds: float
    learners: int


class EngagementPublic(BaseModel):
    course_id: int
    cohort_id: int | None
    most_answered: list[ItemUsePublic]
    most_failed: list[ItemUsePublic] = Field(description="items with 5 answers or more, by share failed")
    activity: list[list[int]] = Field(description="[ISO weekday - 1][UTC hour]: statements about the course")
    time_on_task: list[WeekTime]
    refreshed_at: str | None
    behind: int


class SkillWeekPublic(BaseModel):
    skill_id: int
    skill: str
    week: str = Field(description="the week's Monday (UTC)")
    mean_score: float
    answers: int


class CourseWeekPublic(BaseModel):
    course_id: int
    course: str
    week: str
    seconds: float = Field(description="time on task the statements report (result.duration)")
    statements: int


class LearnerAnalyticsPublic(BaseModel):
    user_id: int
    course_id: int | None
    skills: list[SkillWeekPublic] = Field(description="the learner's mean score per skill, week by week")
    time: list[CourseWeekPublic]
    active_days: int
    current_streak: int = Field(description="consecutive active days up to today or yesterday (0: broken)")
    longest_streak: int
    last_active: str | None
    completed: int = Field(description="activities completed")
    refreshed_at: str | None
    behind: int


class AtRiskLearner(BaseModel):
    learner: Named
    days_inactive: int | None = Field(description="whole days since the learner's last activity in the course")
    falling_skills: list[Named]
    reasons: list[str] = Field(description="e.g. 'no activity for 9 days', 'mastery falling in 3 skills'")


class AtRiskPublic(BaseModel):
    course_id: int
    cohort_id: int | None
    as_of: str
    inactive_days: int
    enrolled: int = Field(description="learners the rules were applied to")
    at_risk: list[AtRiskLearner]
    refreshed_at: str | None
    behind: int
