"""Import every domain model so that ``Base.metadata`` is complete (Alembic, tests)."""

from platform_api.core.db import Base
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.content.models import (
    Activity,
    ActivityItem,
    ActivitySkill,
    Course,
    CourseVersion,
    Lesson,
    Unit,
)
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.identity.models import Grant, Role, RolePermission, User
from platform_api.domain.items.models import Item
from platform_api.domain.org.models import OrgUnit
from platform_api.domain.rollouts.models import InstructorRule, LearnerOverride, Rollout, RolloutDecisionRecord
from platform_api.domain.skills.models import Skill, SkillPrerequisite

__all__ = [
    "Activity",
    "ActivityItem",
    "ActivitySkill",
    "Attempt",
    "Base",
    "Course",
    "CourseVersion",
    "Enrollment",
    "Grant",
    "InstructorRule",
    "Item",
    "LearnerOverride",
    "Lesson",
    "OrgUnit",
    "Role",
    "RolePermission",
    "Rollout",
    "RolloutDecisionRecord",
    "Skill",
    "SkillPrerequisite",
    "Unit",
    "User",
]
