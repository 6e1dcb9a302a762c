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
    PublishSchedule,
    SearchDocument,
    Unit,
)
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.identity.models import Grant, RefreshToken, Role, RolePermission, User, UserSecurity
from platform_api.domain.items.models import Item
from platform_api.domain.org.models import Cohort, CohortMember, GuardianLink, OrgUnit
from platform_api.domain.skills.models import Skill, SkillPrerequisite

__all__ = [
    "Activity",
    "ActivityItem",
    "ActivitySkill",
    "Attempt",
    "Base",
    "Cohort",
    "CohortMember",
    "Course",
    "CourseVersion",
    "Enrollment",
    "Grant",
    "GuardianLink",
    "Item",
    "Lesson",
    "OrgUnit",
    "PublishSchedule",
    "RefreshToken",
    "Role",
    "RolePermission",
    "SearchDocument",
    "Skill",
    "SkillPrerequisite",
    "Unit",
    "User",
    "UserSecurity",
]
