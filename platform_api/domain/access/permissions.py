"""Roles and the fine-grained permission scopes each one holds by default."""

from __future__ import annotations

from platform_api.core.roles import ADMINISTRATOR, ASSISTANT, GUARDIAN, INSTRUCTOR, LEARNER, ML_ENGINEER, ROLES

__all__ = [
    "ADMINISTRATOR",
    "ASSISTANT",
    "GUARDIAN",
    "INSTRUCTOR",
    "LEARNER",
    "ML_ENGINEER",
    "PERMISSIONS",
    "ROLES",
    "ROLE_SCOPES",
]

#: Every scope the API checks. ``*`` (administrators) implies all of them.
PERMISSIONS = {
    "org:read": "see org units",
    "org:write": "create, rename, move and delete org units",
    "users:read": "list and see users",
    "users:write": "create users, deactivate them, bulk onboarding and revocation",
    "grants:write": "grant roles to others, never more than one holds (delegation)",
    "guardians:write": "link guardians to learners",
    "courses:read": "read course content",
    "course.structure:write": "create, change and delete courses, units, lessons, activities",
    "content:publish": "publish, schedule and roll back course versions",
    "enrollments:read": "see enrollments",
    "enrollments:write": "enroll and drop learners",
    "cohorts:read": "see cohorts and their members",
    "cohorts:write": "create cohorts and change their members",
    "learners:read": "see a learner's progress",
    "linked_learners:read": "see the progress of linked learners only (guardians)",
    "grades:read": "see grades",
    "grades:write": "grade attempts",
    "attempts:write": "submit one's own attempts",
    "items:read": "see question-bank items with their answer keys",
    "items:write": "author, change, delete and calibrate question-bank items",
    "recommendations:read": "get recommendations",
    "analytics:read": "see analytics",
    "rules:read": "see instructor rules and overrides, and preview them",
    "rules:write": "override models with rules and per-learner overrides",
    "self:read": "see one's own profile and progress",
    "lrs.credentials:write": "see, issue and revoke the organization's LRS client credentials",
    "models:read": "see the model registry, rollouts, their live gate metrics and experiment reports",
    "models:write": "start, promote and abort model rollouts (A/B, canary, shadow)",
}

ROLE_SCOPES: dict[str, list[str]] = {
    LEARNER: ["courses:read", "attempts:write", "recommendations:read", "self:read"],
    INSTRUCTOR: [
        "org:read",
        "courses:read",
        "course.structure:write",
        "content:publish",
        "grades:read",
        "grades:write",
        "items:read",
        "items:write",
        "enrollments:read",
        "enrollments:write",
        "cohorts:read",
        "cohorts:write",
        "learners:read",
        "grants:write",
        "rules:read",
        "rules:write",
        "analytics:read",
        "self:read",
    ],
    ASSISTANT: [
        "org:read",
        "courses:read",
        "grades:read",
        "grades:write",
        "items:read",
        "enrollments:read",
        "cohorts:read",
        "learners:read",
        "rules:read",
        "analytics:read",
        "self:read",
    ],
    ADMINISTRATOR: ["*"],
    GUARDIAN: ["linked_learners:read", "self:read"],
    ML_ENGINEER: ["models:read", "models:write", "self:read"],
}
