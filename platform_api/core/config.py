"""Settings of the API deployable."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator

from pathwise.config import CommonSettings
from pathwise.contract.stream import DEFAULT_STREAM
from pathwise.registry import CHAMPION, ESSAY_MODEL, model_uri
from platform_api.core.roles import ROLES


def _known_roles(mapping: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(mapping.values()) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; roles are {list(ROLES)}")
    return mapping


class ExternalLogin(BaseModel):
    """What single sign-on and directory logins share: the tenant and the group → role mapping."""

    tenant_slug: str = "demo"
    group_role_map: dict[str, str] = Field(default_factory=dict, description="group name → Pathwise role")
    default_role: str | None = Field(default=None, description="role for members of no mapped group; none: refused")

    @field_validator("group_role_map")
    @classmethod
    def _roles(cls, value: dict[str, str]) -> dict[str, str]:
        return _known_roles(value)

    @field_validator("default_role")
    @classmethod
    def _default(cls, value: str | None) -> str | None:
        return value if value is None else _known_roles({"": value})[""]


class OIDCProvider(ExternalLogin):
    """One OpenID Connect identity provider; users are matched by subject, then by e-mail."""

    metadata_url: str = Field(description="the issuer's /.well-known/openid-configuration")
    client_id: str
    client_secret: SecretStr
    scope: str = "openid email profile"
    redirect_uri: str | None = Field(default=None, description="default: this API's callback URL")
    groups_claim: str = "groups"


class LDAPSettings(ExternalLogin):
    """Bind-as-the-user LDAP / Active Directory login; group membership decides the Pathwise role."""

    url: str
    user_dn_template: str = Field(description="e.g. uid={username},ou=people,dc=example,dc=org")
    group_base: str
    group_filter: str = Field(
        default="(|(member={dn})(uniqueMember={dn}))",
        description="finds the user's groups; {dn} and {username} are filled in escaped (posixGroup: memberUid)",
    )
    email_attribute: str = "mail"
    name_attribute: str = "cn"
    timeout_s: float = Field(default=3.0, gt=0, le=60)


class APISettings(CommonSettings):
    """Where the API listens, how it talks to its database, and how it authenticates."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    db_pool_size: int = Field(default=5, ge=1, le=200)
    db_connect_timeout_s: float = Field(default=3.0, gt=0, le=60)
    readiness_timeout_s: float = Field(default=2.0, gt=0, le=60)
    recommendations_url: str = Field(default="http://127.0.0.1:8001", description="the serving app's base URL")
    web_dist: Path | None = Field(
        default=None, description="the built web app (web/dist) served at /; default: the checkout's web/dist"
    )

    # Tokens (the signing secret, ``secret_key``, is a common setting).
    access_token_ttl_s: int = Field(default=900, ge=30, le=86400)
    refresh_token_ttl_s: int = Field(default=14 * 86400, ge=60)
    mfa_token_ttl_s: int = Field(default=300, ge=30, le=3600)
    invitation_ttl_s: int = Field(
        default=7 * 86400, ge=60, description="how long an invitation to set a first password stays valid"
    )

    # Login protection.
    login_max_failures: int = Field(default=5, ge=1, le=100)
    lockout_s: int = Field(default=900, ge=1)
    login_attempts_per_minute: int = Field(default=20, ge=1, description="per account")
    login_attempts_per_minute_per_address: int = Field(
        default=600, ge=1, description="per client address: a school's pupils often share one address"
    )
    requests_per_minute: int = Field(default=1200, ge=1, description="per client (user or IP)")

    sms_sender: str = Field(default="console", description="'console' or a dotted path to an SMSSender class")
    oidc_providers: dict[str, OIDCProvider] = Field(default_factory=dict)
    ldap: LDAPSettings | None = None

    graphql_max_depth: int = Field(default=8, ge=2, le=50)
    graphql_max_complexity: int = Field(
        default=25_000, ge=10, description="fields a query may resolve, lists counted at their page size"
    )

    lrs_max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    answer_max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="cap on an answer or attempt body, refused (413) before parsing; the largest valid "
        "answer (200,000 characters of code) fits as UTF-8 JSON",
    )
    sync_max_body_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, description="cap on a POST /v1/sync batch body, refused (413) before parsing"
    )
    media_url_ttl_s: int = Field(
        default=3600, ge=30, le=86400, description="how long a signed media URL (GET /v1/media/{key}?exp=&sig=) works"
    )
    media_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="largest course media upload (POST /v1/courses/{id}/media)"
    )
    sync_max_changes: int = Field(default=100, ge=1, le=1000, description="most changes in one POST /v1/sync batch")
    lrs_statement_page_limit: int = Field(default=500, ge=1, le=10_000)
    events_relay: bool = True
    events_stream: str = DEFAULT_STREAM
    analytics_live: bool = Field(
        default=True,
        description="embedded bus: refresh the analytics store after each batch of statements "
        "(with Redis Streams, `pathwise analytics refresh` runs on a schedule instead)",
    )
    workers: int = Field(default=1, ge=1, le=64)

    submission_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, description="upper bound for any assignment")
    essay_model_uri: str = model_uri(ESSAY_MODEL, alias=CHAMPION)
