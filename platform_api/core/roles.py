"""The role names: settings validate against them; :mod:`platform_api.domain.access` gives each its scopes."""

from __future__ import annotations

LEARNER = "Learner"
INSTRUCTOR = "Instructor"
ASSISTANT = "Assistant Instructor"
ADMINISTRATOR = "Administrator"
GUARDIAN = "Guardian"
ML_ENGINEER = "ML Engineer"
ROLES = (LEARNER, INSTRUCTOR, ASSISTANT, ADMINISTRATOR, GUARDIAN, ML_ENGINEER)
