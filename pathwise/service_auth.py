"""The secret the platform signs tokens with, and the service tokens serving accepts.

Serving answers no data request without a token. The platform API checks who may read a
learner's recommendations (RBAC lives there), then calls serving with a short-lived service
token bound to that learner and to one scope. Serving verifies the signature in-process: no
database, no extra hop. Both sides read the same secret, so this module sits below both.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from pathwise.config import CommonSettings

ALGORITHM = "HS256"
#: ``typ`` and ``aud`` of a service token: a platform access token is never accepted by serving.
SERVICE_TYPE = "service"
SERVING_AUDIENCE = "pathwise-serving"
#: Read one learner's recommendations (the token names the learner).
READ_RECOMMENDATIONS = "recommendations:read"
#: Change learner state directly (benchmarks and operators; the product path is the event stream).
WRITE_STATE = "state:write"
#: Read a replica's live canary metrics.
READ_METRICS = "metrics:read"


class ServiceTokenError(ValueError):
    """The token is missing, malformed or expired (``status`` 401), or does not allow this request (403)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


def resolve_secret(settings: CommonSettings) -> str:
    """The configured secret, or one generated once and kept (mode 600) in the state directory."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.ensure_home() / "jwt-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def service_token(secret: str, scope: str, *, learner_id: str | None = None, ttl_s: int = 60) -> str:
    """A token for one call to serving: ``scope``, and the learner it is about when there is one."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": "pathwise-platform",
        "typ": SERVICE_TYPE,
        "aud": SERVING_AUDIENCE,
        "scope": scope,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_s),
    }
    if learner_id is not None:
        claims["lid"] = str(learner_id)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_service_token(secret: str, authorization: str | None, scope: str, learner_id: str | None = None) -> None:
    """Check an ``Authorization: Bearer`` header for ``scope`` (and ``learner_id``, when given)."""
    if not authorization:
        raise ServiceTokenError("missing bearer token")
    kind, _, token = authorization.partition(" ")
    if kind.lower() != "bearer" or not token:
        raise ServiceTokenError("the Authorization header must be 'Bearer <token>'")
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=SERVING_AUDIENCE, options={"require": ["exp", "aud"]}
        )
    except jwt.ExpiredSignatureError:
        raise ServiceTokenError("token expired") from None
    except jwt.PyJWTError:
        raise ServiceTokenError("invalid token") from None
    if claims.get("typ") != SERVICE_TYPE or claims.get("scope") != scope:
        raise ServiceTokenError(f"this token does not allow {scope!r}", 403)
    if learner_id is not None and claims.get("lid") != learner_id:
        raise ServiceTokenError("this token is for another learner", 403)
