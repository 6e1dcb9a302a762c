"""Shapes for org units, cohorts, guardian links and bulk onboarding reports."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from platform_api.core.timestamps import Timestamp
from platform_api.domain.identity.schemas import InvitationPublic

Slug = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$", description="lower-case letters, digits and dashes")


class OrgUnitCreate(BaseModel):
    parent_id: int = Field(ge=1, le=2**31 - 1)
    slug: str = Slug
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="organization", min_length=1, max_length=40, examples=["school"])

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"parent_id": 1, "slug": "north-high", "name": "North High", "kind": "school"}]}
    )


class OrgUnitUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: str | None = Field(default=None, min_length=1, max_length=40)
    parent_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="move the unit under another")


class OrgUnitPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    tenant_id: int | None
    slug: str
    name: str
    kind: str
    path: str
    created_at: Timestamp


class CohortCreate(BaseModel):
    org_unit_id: int = Field(ge=1, le=2**31 - 1)
    name: str = Field(min_length=1, max_length=200)
    course_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class CohortPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_unit_id: int
    course_id: int | None
    name: str
    created_at: Timestamp


class CohortMemberCreate(BaseModel):
    user_id: int = Field(ge=1, le=2**31 - 1)


class GuardianLinkCreate(BaseModel):
    guardian_id: int = Field(ge=1, le=2**31 - 1)
    learner_id: int = Field(ge=1, le=2**31 - 1)
    relationship: str = Field(default="parent", min_length=1, max_length=40)


class GuardianLinkPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    guardian_id: int
    learner_id: int
    relationship: str
    created_at: Timestamp


class OnboardingRow(BaseModel):
    """One person to add to (or revoke from) the unit with one role."""

    email: str = Field(max_length=320)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=60)
    external_id: str | None = Field(default=None, max_length=200)
    action: Literal["add", "revoke"] = "add"


class OnboardingRequest(BaseModel):
    rows: list[OnboardingRow] = Field(max_length=50_000)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"rows": [{"email": "ana@school.example", "display_name": "Ana", "role": "Learner", "action": "add"}]}
            ]
        }
    )


class RowOutcome(BaseModel):
    row: int = Field(description="1-based data row (the CSV header is row 0)")
    email: str
    status: Literal[
        "created", "granted", "unchanged", "revoked", "error", "would create", "would grant", "would revoke"
    ] = Field(description="what the row did; in a dry run, what it would do")
    error: str | None = None
    column: str | None = Field(default=None, description="the column the error is about, where it is one")


class OnboardingReport(BaseModel):
    dry_run: bool
    applied: bool
    counts: dict[str, int]
    rows: list[RowOutcome]
    invitations: list[InvitationPublic] = Field(
        default_factory=list,
        description="one per person created, shown only in this answer (the tokens are not stored); "
        "a dry run and a rejected batch create none",
    )
