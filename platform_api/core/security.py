"""Passwords (argon2), signed access tokens (JWT), opaque refresh tokens and TOTP helpers."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALGORITHM = "HS256"
_hasher = PasswordHasher()

#: A real argon2 hash of a random string, verified against when the user does not exist so
#: that response time does not reveal which e-mail addresses have accounts.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def encode_token(secret: str, *, subject: int, kind: str, ttl_s: int, **claims: Any) -> str:
    now = datetime.now(UTC)
    payload = {"sub": str(subject), "typ": kind, "iat": now, "exp": now + timedelta(seconds=ttl_s), **claims}
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


class TokenError(ValueError):
    """The token is malformed, expired, or of the wrong kind."""


def decode_token(secret: str, token: str, *, kind: str) -> dict[str, Any]:
    try:
        payload: dict[str, Any] = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as error:
        raise TokenError("token expired") from error
    except jwt.PyJWTError as error:
        raise TokenError("invalid token") from error
    if payload.get("typ") != kind:
        raise TokenError(f"expected a {kind} token")
    return payload


def new_opaque_token() -> tuple[str, str]:
    """A random token for the client and the SHA-256 the server keeps."""
    token = secrets.token_urlsafe(32)
    return token, sha256(token)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_recovery_codes(count: int = 10) -> list[str]:
    return [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(count)]
