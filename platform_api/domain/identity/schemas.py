"""Request and response shapes for identity: tokens, users, grants, multi-factor."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from platform_api.core.timestamps import Timestamp

ScopeType = Literal["org_unit", "course", "cohort"]
#: A pragmatic address check (one @, a dot in the domain, no spaces); delivery proves the rest.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[str, StringConstraints(pattern=EMAIL_PATTERN, max_length=320, strip_whitespace=True, to_lower=True)]
#: The password policy, one place for every path that sets a password (create, reset, change, invitation).
PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 10, 200
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)]


class TokenPublic(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds the access token stays valid")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"access_token": "eyJhbGciOi…", "refresh_token": "k3X…", "token_type": "bearer", "expires_in": 900}
            ]
        }
    )


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=200)


class MFAVerify(BaseModel):
    mfa_token: str = Field(min_length=10, max_length=2000, description="from the 401 mfa_required problem")
    code: str = Field(min_length=6, max_length=20, description="TOTP code or a recovery code")


class MFASMSRequest(BaseModel):
    mfa_token: str = Field(min_length=10, max_length=2000)


class MFASetup(BaseModel):
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$", description="E.164, for SMS codes")


class MFASetupPublic(BaseModel):
    secret: str
    otpauth_uri: str


class MFAEnable(BaseModel):
    code: str = Field(pattern=r"^[0-9]{6}$")


class RecoveryCodesPublic(BaseModel):
    recovery_codes: list[str] = Field(description="shown once; each works once")


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)
    new_password: Password

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"current_password": "old horse battery", "new_password": "correct horse battery staple"}]
        }
    )


class InvitationAccept(BaseModel):
    token: str = Field(min_length=10, max_length=200, description="the token from the invitation")
    password: Password

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"token": "q3Vb0m2Yl8sT4nR7cX1eH6wA9dK5fJ2gP0zU8iL3oNs", "password": "correct horse battery staple"}
            ]
        }
    )


class InvitationPublic(BaseModel):
    """An invitation as its administrator sees it once: the token is not stored and cannot be shown again."""

    user_id: int
    email: str
    token: str = Field(description="single use; POST it with a password to accept_url")
    accept_url: str
    link: str = Field(description="the web page a person opens to choose a password; the token is in its fragment")
    expires_at: Timestamp


class UserCreate(BaseModel):
    email: Email
    display_name: str = Field(min_length=1, max_length=200)
    password: Password | None = None
    external_id: str | None = Field(default=None, max_length=200)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "ana@school.example", "display_name": "Ana", "password": "correct horse battery"}]
        }
    )


class UserUpdate(BaseModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    is_active: bool | None = None
    password: Password | None = None


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    tenant_id: int
    email: str
    display_name: str
    external_id: str | None
    is_active: bool
    created_at: Timestamp


class MePublic(UserPublic):
    roles: list[str]
    permissions: list[str]
    mfa_enabled: bool


class GrantCreate(BaseModel):
    user_id: int = Field(ge=1, le=2**31 - 1)
    role: str = Field(min_length=1, max_length=60, examples=["Assistant Instructor"])
    scope_type: ScopeType
    scope_id: int = Field(ge=1, le=2**31 - 1)
    expires_at: datetime | None = None


class GrantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    role: str
    scope_type: str
    scope_id: int
    granted_by: int | None
    expires_at: Timestamp | None


class RoleOffer(BaseModel):
    """A role and whether the caller may grant it on the scope asked about (delegation)."""

    name: str
    scopes: list[str] = Field(description="the permissions the role carries (`*`: all)")
    grantable: bool
    missing: list[str] = Field(default_factory=list, description="permissions the caller lacks there to grant it")
