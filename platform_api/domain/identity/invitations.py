"""Invitations: how a person whom an administrator added (bulk onboarding, or a user made
without a password) gets in the first time.

There is no mail server, so the administrator receives each token once, inside a link to the web
app's invitation page, and passes it on.
Only its SHA-256 is stored and it is never logged: someone who reads the database or the
logs cannot accept an invitation. An invitation works once, until it expires; issuing a
new one for the same person retires the earlier ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pathwise.logs import get_logger
from platform_api.core.errors import ProblemError
from platform_api.core.security import hash_password, new_opaque_token, sha256
from platform_api.domain.identity.auth import clear_failures
from platform_api.domain.identity.models import Invitation, User
from platform_api.domain.identity.schemas import InvitationPublic

log = get_logger(__name__)
CHUNK = 500


@dataclass(frozen=True)
class IssuedInvitation:
    user_id: int
    email: str
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class InvitationPlaces:
    """Where an invited person goes: the API route that takes the token, and the web page that posts to it."""

    accept_url: str
    page: str  # the web app's /invite; the token rides in the fragment, which a browser never sends to a server

    def public(self, issued: IssuedInvitation) -> InvitationPublic:
        return InvitationPublic(
            user_id=issued.user_id,
            email=issued.email,
            token=issued.token,
            accept_url=self.accept_url,
            link=f"{self.page}#token={issued.token}",
            expires_at=issued.expires_at,
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def issue(
    session: Session, users: Iterable[tuple[int, str]], *, created_by: int | None, ttl_s: int
) -> list[IssuedInvitation]:
    """One new invitation per ``(user id, e-mail)``, retiring any the user still had open.

    Set-based (a few statements per 500 users) because bulk onboarding issues thousands at once.
    """
    people = list(users)
    if not people:
        return []
    now = _now()
    expires_at = now + timedelta(seconds=ttl_s)
    issued: list[IssuedInvitation] = []
    for start in range(0, len(people), CHUNK):
        chunk = people[start : start + CHUNK]
        session.execute(
            update(Invitation)
            .where(
                Invitation.user_id.in_([uid for uid, _ in chunk]),
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        rows = []
        for uid, email in chunk:
            token, digest = new_opaque_token()
            issued.append(IssuedInvitation(uid, email, token, expires_at))
            rows.append({"user_id": uid, "token_hash": digest, "created_by": created_by, "expires_at": expires_at})
        session.execute(insert(Invitation), rows)
    log.info("invitations issued", count=len(issued), created_by=created_by)
    return issued


def retire(session: Session, user_ids: list[int]) -> None:
    """Retire the open invitations of deactivated users: one reactivated later is invited afresh."""
    if user_ids:
        session.execute(
            update(Invitation)
            .where(Invitation.user_id.in_(user_ids), Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
            .values(revoked_at=_now())
        )


def reissue(session: Session, user: User, *, created_by: int, ttl_s: int) -> IssuedInvitation:
    """A fresh invitation for someone who has not got in yet; the earlier link stops working."""
    if user.password_hash is not None:
        raise ProblemError(
            409,
            f"User {user.id} already has a password, so there is nothing to invite them to; "
            f"to reset it, PATCH /v1/users/{user.id} with a new password.",
        )
    if not user.is_active:
        raise ProblemError(409, f"User {user.id} is deactivated; reactivate the account before inviting them again.")
    return issue(session, [(user.id, user.email)], created_by=created_by, ttl_s=ttl_s)[0]


def accept(session: Session, token: str, password: str) -> User:
    """Set the invited user's first password with a valid invitation; returns the user, who may now log in.

    An unknown token is a 404. A token that was real but can no longer be used is a 410 that
    says why (used, replaced, expired), so the person knows whether to log in or ask again.
    The tokens carry 256 random bits, so telling these apart gives a guesser nothing.
    """
    row = session.scalar(select(Invitation).where(Invitation.token_hash == sha256(token)))
    if row is None:
        raise ProblemError(
            404,
            "This invitation token is not valid; check that you copied all of it, or ask your administrator "
            "for a new invitation.",
        )
    gone = _why_unusable(session, row)
    if gone is not None:
        raise ProblemError(410, gone, title="Invitation no longer valid")
    now = _now()
    taken = session.execute(  # the database decides the single use, so two racing accepts cannot both win
        update(Invitation)
        .where(Invitation.id == row.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(accepted_at=now)
        .returning(Invitation.id)
    ).first()
    if taken is None:
        raise ProblemError(410, "This invitation has already been used; log in with the password you chose.")
    user = session.get(User, row.user_id)
    assert user is not None  # the invitation's foreign key cascades with the user
    user.password_hash = hash_password(password)
    session.execute(  # any other invitation the user still holds is spent too
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    clear_failures(session, user)
    session.flush()
    log.info("invitation accepted", user_id=user.id, invitation_id=row.id)
    return user


def _why_unusable(session: Session, row: Invitation) -> str | None:
    if row.accepted_at is not None:
        return "This invitation has already been used; log in with the password you chose."
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return "The account this invitation was made for is deactivated; ask your administrator."
    if row.revoked_at is not None:
        newer = session.scalar(select(Invitation.id).where(Invitation.user_id == row.user_id, Invitation.id > row.id))
        if newer is not None:
            return "This invitation was replaced by a newer one; use the most recent invitation you received."
        return "This invitation was withdrawn when the account was deactivated; ask your administrator for a new one."
    expires_at = _aware(row.expires_at)
    if expires_at <= _now():
        return (
            f"This invitation expired at {expires_at.strftime('%Y-%m-%d %H:%M')} UTC; "
            "ask your administrator for a new one."
        )
    if user.password_hash is not None:
        return "The account this invitation was made for already has a password; log in with it."
    return None
