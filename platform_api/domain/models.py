"""Import every domain model so that ``Base.metadata`` is complete (Alembic, tests)."""

from platform_api.core.db import Base
from platform_api.domain.assessment.models import Assessment, AssessmentSitting
from platform_api.domain.assignments.models import Assignment, ExamAdmission, ScoreAudit, Submission, SubmissionComment
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
from platform_api.domain.content.workflow_models import CourseBranch, PublishingAudit, ReviewComment, ReviewRequest
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.experiments.models import ExperimentExposure
from platform_api.domain.identity.models import (
    Grant,
    Invitation,
    RefreshToken,
    Role,
    RolePermission,
    User,
    UserSecurity,
)
from platform_api.domain.items.models import Item
from platform_api.domain.learning.models import LearnerProgress, MediaAsset, SyncChange
from platform_api.domain.lrs.models import Attachment, Document, LRSCredential, Statement, StatementRef
from platform_api.domain.org.models import Cohort, CohortMember, GuardianLink, OrgUnit
from platform_api.domain.rollouts.models import InstructorRule, LearnerOverride, Rollout, RolloutDecisionRecord
from platform_api.domain.skills.models import Skill, SkillPrerequisite
from platform_api.events.models import ConsumedEvent, OutboxEvent, VerbCount

__all__ = [
    "Activity",
    "ActivityItem",
    "ActivitySkill",
    "Assessment",
    "AssessmentSitting",
    "Assignment",
    "Attachment",
    "Attempt",
    "Base",
    "Cohort",
    "CohortMember",
    "ConsumedEvent",
    "Course",
    "CourseBranch",
    "CourseVersion",
    "Document",
    "Enrollment",
    "ExamAdmission",
    "ExperimentExposure",
    "Grant",
    "GuardianLink",
    "InstructorRule",
    "Invitation",
    "Item",
    "LRSCredential",
    "LearnerOverride",
    "LearnerProgress",
    "Lesson",
    "MediaAsset",
    "OrgUnit",
    "OutboxEvent",
    "PublishSchedule",
    "PublishingAudit",
    "RefreshToken",
    "ReviewComment",
    "ReviewRequest",
    "Role",
    "RolePermission",
    "Rollout",
    "RolloutDecisionRecord",
    "ScoreAudit",
    "SearchDocument",
    "Skill",
    "SkillPrerequisite",
    "Statement",
    "StatementRef",
    "Submission",
    "SubmissionComment",
    "SyncChange",
    "Unit",
    "User",
    "UserSecurity",
    "VerbCount",
]
