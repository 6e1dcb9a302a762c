"""Login, token rotation with reuse detection, lockout and TOTP multi-factor."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pathwise.logs import get_logger
from platform_api.core.config import APISettings
from platform_api.core.db import dialect_insert
from platform_api.core.errors import ProblemError
from platform_api.core.security import (
    encode_token,
    hash_password,
    needs_rehash,
    new_opaque_token,
    new_recovery_codes,
    sha256,
    verify_password,
)
from platform_api.domain.identity.models import RefreshToken, User, UserSecurity

log = get_logger(__name__)
ISSUER = "Pathwise"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def security_of(session: Session, user_id: int) -> UserSecurity:
    """The user's security row, made on first need; two first log-ins at once (two tabs) both get it."""
    row = session.get(UserSecurity, user_id)
    if row is None:
        fresh = {"user_id": user_id, "failed_logins": 0, "mfa_enabled": False, "recovery_codes": []}
        session.execute(dialect_insert(session, UserSecurity).values(fresh).on_conflict_do_nothing())
        row = session.get_one(UserSecurity, user_id)
    return row


def invalid_credentials() -> ProblemError:
    return ProblemError(401, "invalid e-mail or password", headers={"WWW-Authenticate": "Bearer"})


def check_password(session: Session, settings: APISettings, email: str, password: str) -> User:
    """Verify a password login; count failures and lock the account after too many.

    Commits its own bookkeeping so that a failed attempt is counted even though the
    request then fails.
    """
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active:
        verify_password(password, None)  # same cost as a real check
        raise invalid_credentials()
    ensure_not_locked(session, user)
    if not verify_password(password, user.password_hash):
        record_failure(session, settings, user)
        raise invalid_credentials()
    clear_failures(session, user)
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


def ensure_not_locked(session: Session, user: User) -> None:
    """423 with ``Retry-After`` while the account is locked, whichever way the login comes (password, LDAP)."""
    locked_until = _aware(security_of(session, user.id).locked_until)
    if locked_until is not None and locked_until > _now():
        retry = int((locked_until - _now()).total_seconds()) + 1
        raise ProblemError(423, "account locked after repeated failed logins", headers={"Retry-After": str(retry)})


def record_failure(session: Session, settings: APISettings, user: User) -> None:
    """Count a failed login and lock the account after too many; committed at once, as the request fails."""
    sec = security_of(session, user.id)
    sec.failed_logins += 1
    if sec.failed_logins >= settings.login_max_failures:
        sec.locked_until = _now() + timedelta(seconds=settings.lockout_s)
        sec.failed_logins = 0
        log.warning("account locked", user_id=user.id)
    session.commit()


def clear_failures(session: Session, user: User) -> None:
    sec = security_of(session, user.id)
    sec.failed_logins, sec.locked_until = 0, None


def issue_tokens(
    session: Session, settings: APISettings, secret: str, user: User, family: str | None = None
) -> TokenPair:
    access = encode_token(secret, subject=user.id, kind="access", ttl_s=settings.access_token_ttl_s, tid=user.tenant_id)
    refresh, digest = new_opaque_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family=family or secrets.token_hex(16),
            token_hash=digest,
            expires_at=_now() + timedelta(seconds=settings.refresh_token_ttl_s),
        )
    )
    session.flush()
    return TokenPair(access, refresh, settings.access_token_ttl_s)


def mfa_challenge(settings: APISettings, secret: str, user: User) -> str:
    return encode_token(secret, subject=user.id, kind="mfa", ttl_s=settings.mfa_token_ttl_s, tid=user.tenant_id)


def rotate_refresh(session: Session, settings: APISettings, secret: str, token: str) -> TokenPair:
    """Swap a refresh token for a new pair; a second use of any token revokes its family."""
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == sha256(token)))
    if row is None:
        raise ProblemError(401, "unknown refresh token")
    if row.used_at is not None or row.revoked_at is not None:
        revoke_family(session, row.family)
        session.commit()
        log.warning("refresh token reuse detected; family revoked", user_id=row.user_id, family=row.family)
        raise ProblemError(401, "refresh token already used; every refresh token of this login was revoked")
    expires_at = _aware(row.expires_at)
    if expires_at is not None and expires_at <= _now():
        raise ProblemError(401, "refresh token expired")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise ProblemError(401, "the account behind this token is not active")
    row.used_at = _now()
    return issue_tokens(session, settings, secret, user, family=row.family)


def revoke_family(session: Session, family: str) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


def revoke_user_tokens(session: Session, user_ids: list[int]) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id.in_(user_ids), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


def logout(session: Session, token: str) -> None:
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == sha256(token)))
    if row is None:
        raise ProblemError(401, "unknown refresh token")
    revoke_family(session, row.family)


def change_password(session: Session, settings: APISettings, user: User, current: str, new: str) -> None:
    """Replace the user's own password and revoke every refresh token they hold.

    A wrong current password counts as a failed login, so a stolen access token cannot be
    used to guess the password faster than the login form allows. It is a 403, not a 401:
    the bearer token is fine, and a client that reads 401 as "sign in again" must not.
    """
    if user.password_hash is None:
        raise ProblemError(
            409,
            "Your account has no Pathwise password: you sign in through your organization's identity provider, "
            "which manages your password; change it there.",
        )
    ensure_not_locked(session, user)
    if not verify_password(current, user.password_hash):
        log.info("password change refused: wrong current password", user_id=user.id)
        record_failure(session, settings, user)
        raise ProblemError(403, "The current password you entered is wrong; your password was not changed.")
    if secrets.compare_digest(current.encode(), new.encode()):
        raise ProblemError(422, "The new password is the same as your current one; choose a different password.")
    clear_failures(session, user)
    user.password_hash = hash_password(new)
    revoke_user_tokens(session, [user.id])
    log.info("password changed; refresh tokens revoked", user_id=user.id)


# --- multi-factor -------------------------------------------------------------------------


def begin_mfa_setup(session: Session, user: User, phone: str | None) -> tuple[str, str]:
    """Store a fresh (not yet enabled) TOTP secret; return it with its otpauth:// URI."""
    sec = security_of(session, user.id)
    if sec.mfa_enabled:
        raise ProblemError(409, "multi-factor authentication is already enabled")
    sec.totp_secret = pyotp.random_base32()
    sec.phone = phone
    return sec.totp_secret, pyotp.TOTP(sec.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def enable_mfa(session: Session, user: User, code: str) -> list[str]:
    """Confirm the authenticator works; return ten one-time recovery codes (shown once)."""
    sec = security_of(session, user.id)
    if sec.totp_secret is None:
        raise ProblemError(409, "start with POST /v1/auth/mfa/setup")
    if sec.mfa_enabled:
        raise ProblemError(409, "multi-factor authentication is already enabled")
    if not _totp_ok(sec, code):
        raise ProblemError(400, "the code does not match the authenticator")
    codes = new_recovery_codes()
    sec.recovery_codes = [sha256(c) for c in codes]
    sec.mfa_enabled = True
    return codes


def verify_second_factor(session: Session, user: User, code: str) -> None:
    """Accept a current TOTP code (each time step once) or an unused recovery code."""
    sec = security_of(session, user.id)
    if not sec.mfa_enabled:
        raise ProblemError(409, "multi-factor authentication is not enabled")
    code = code.strip()
    if _totp_ok(sec, code):
        return
    digest = sha256(code)
    if digest in sec.recovery_codes:
        sec.recovery_codes = [c for c in sec.recovery_codes if c != digest]
        log.info("recovery code used", user_id=user.id, left=len(sec.recovery_codes))
        return
    raise ProblemError(401, "invalid one-time code")


def send_sms_code(session: Session, user: User) -> tuple[str, str]:
    """The current TOTP code for delivery by SMS; returns (phone, message)."""
    sec = security_of(session, user.id)
    if not sec.mfa_enabled or sec.totp_secret is None or not sec.phone:
        raise ProblemError(409, "no phone number is registered for this account's second factor")
    return sec.phone, f"Your Pathwise code is {pyotp.TOTP(sec.totp_secret).now()}"


def _totp_ok(sec: UserSecurity, code: str) -> bool:
    """Check with one step of clock drift either way, and refuse a code replayed in its step."""
    if sec.totp_secret is None or not (code.isascii() and code.isdigit()):  # str.isdigit admits other scripts
        return False
    totp = pyotp.TOTP(sec.totp_secret)
    now = _now()
    for drift in (0, -1, 1):
        at = now + timedelta(seconds=drift * totp.interval)
        step = totp.timecode(at)
        if secrets.compare_digest(totp.at(at), code) and (sec.last_totp_step or -1) < step:
            sec.last_totp_step = step
            return True
    return False
