"""Bulk onboarding and revocation of people in one org unit, from CSV or JSON rows.

The whole batch is validated first; a batch with any bad row changes nothing and answers
with every row's error. Re-sending the same batch is a no-op ("unchanged" rows), so an
interrupted upload can simply be retried. Work is set-based (a few queries per batch, not
per row) so that 10,000 rows take seconds.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import WILDCARD, Principal, Target
from platform_api.domain.identity import invitations
from platform_api.domain.identity.auth import revoke_user_tokens
from platform_api.domain.identity.models import Grant, Role, RolePermission, User
from platform_api.domain.identity.schemas import EMAIL_PATTERN
from platform_api.domain.org.schemas import OnboardingReport, OnboardingRow, RowOutcome
from platform_api.events.platform import emit

REQUIRED_COLUMNS = {"email", "role"}
KNOWN_COLUMNS = {"email", "display_name", "role", "external_id", "action"}
MAX_ROWS = 50_000
_EMAIL = re.compile(EMAIL_PATTERN)
CHUNK = 500


#: Parse errors that are about one column: the row's error text starts with the column's name.
_COLUMN_OF_PARSE_ERROR = {"action must": "action"}


def parse_csv(data: bytes) -> list[OnboardingRow | str]:
    """Parse the upload; a row that cannot become an :class:`OnboardingRow` is its error text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ProblemError(400, f"the CSV must be UTF-8 ({error.reason} at byte {error.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = {h.strip().lower() for h in (reader.fieldnames or [])}
    missing = REQUIRED_COLUMNS - header
    if missing:
        raise ProblemError(
            400, f"CSV header lacks column(s) {', '.join(sorted(missing))}; expected {sorted(KNOWN_COLUMNS)}"
        )
    unknown = header - KNOWN_COLUMNS
    if unknown:
        raise ProblemError(400, f"CSV header has unknown column(s) {', '.join(sorted(unknown))}")
    rows: list[OnboardingRow | str] = []
    for raw in reader:
        if len(rows) >= MAX_ROWS:
            raise ProblemError(413, f"at most {MAX_ROWS} rows per upload")
        clean = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            rows.append("more fields than header columns")
            continue
        action = clean.get("action") or "add"
        if action not in {"add", "revoke"}:
            rows.append(f"action must be 'add' or 'revoke', not {action!r}")
            continue
        rows.append(
            OnboardingRow(
                email=clean.get("email", ""),
                display_name=clean.get("display_name", ""),
                role=clean.get("role", ""),
                external_id=clean.get("external_id") or None,
                action=action,
            )
        )
    if not rows:
        raise ProblemError(400, "the CSV has no data rows")
    return rows


def onboard(
    session: Session,
    principal: Principal,
    unit_id: int,
    target: Target,
    rows: list[OnboardingRow | str],
    *,
    dry_run: bool,
    places: invitations.InvitationPlaces,
    invitation_ttl_s: int,
) -> OnboardingReport:
    """Validate every row, then (unless ``dry_run`` or any row failed) apply them all at once.

    Each person created gets an invitation, returned in the report: without it a new account
    has no password and no way in. People who already had an account get none.
    """
    tenant_id = principal.tenant_id
    roles = {name: rid for rid, name in session.execute(select(Role.id, Role.name))}
    role_scopes: dict[int, set[str]] = {}
    for rid, scope in session.execute(select(RolePermission.role_id, RolePermission.scope)):
        role_scopes.setdefault(rid, set()).add(scope)
    mine = principal.scopes_on(target)

    emails = sorted({r.email.strip().lower() for r in rows if isinstance(r, OnboardingRow)})
    users: dict[str, tuple[int, int, bool]] = {}
    for start in range(0, len(emails), CHUNK):
        for uid, email, tid, active in session.execute(
            select(User.id, func.lower(User.email), User.tenant_id, User.is_active).where(
                func.lower(User.email).in_(emails[start : start + CHUNK])
            )
        ):
            users[email] = (uid, tid, active)
    existing = set(
        session.execute(
            select(Grant.user_id, Grant.role_id).where(Grant.scope_type == "org_unit", Grant.scope_id == unit_id)
        )
        .tuples()
        .all()
    )

    outcomes: list[RowOutcome] = []
    to_create: dict[str, dict[str, object]] = {}
    to_grant: set[tuple[str, int]] = set()
    to_revoke: set[tuple[int, int]] = set()
    seen: set[tuple[str, str]] = set()
    for number, row in enumerate(rows, start=1):
        if isinstance(row, str):
            column = next((c for start, c in _COLUMN_OF_PARSE_ERROR.items() if row.startswith(start)), None)
            outcomes.append(RowOutcome(row=number, email="", status="error", error=row, column=column))
            continue
        email = row.email.strip().lower()
        canonical = _role_names(roles).get(_fold(row.role))
        if canonical is not None and canonical != row.role:
            row = row.model_copy(update={"role": canonical})
        found = _row_error(row, email, roles, role_scopes, mine, users.get(email), tenant_id, seen)
        if found:
            column, error = found
            outcomes.append(RowOutcome(row=number, email=email, status="error", error=error, column=column))
            continue
        seen.add((email, row.role))
        role_id = roles[row.role]
        known = users.get(email)
        if row.action == "revoke":
            if known is not None and (known[0], role_id) in existing:
                to_revoke.add((known[0], role_id))
                outcomes.append(RowOutcome(row=number, email=email, status="revoked"))
            else:
                outcomes.append(RowOutcome(row=number, email=email, status="unchanged"))
            continue
        if known is None:
            to_create.setdefault(
                email,
                {
                    "tenant_id": tenant_id,
                    "email": email,
                    "display_name": row.display_name or email.split("@")[0],
                    "external_id": row.external_id,
                    "is_active": True,
                },
            )
            to_grant.add((email, role_id))
            outcomes.append(RowOutcome(row=number, email=email, status="created"))
        elif (known[0], role_id) in existing and known[2]:
            outcomes.append(RowOutcome(row=number, email=email, status="unchanged"))
        else:
            to_grant.add((email, role_id))
            outcomes.append(RowOutcome(row=number, email=email, status="granted"))

    if dry_run:  # nothing happens: each row says what applying it would do
        outcomes = [o.model_copy(update={"status": WOULD.get(o.status, o.status)}) for o in outcomes]
    counts = Counter(o.status for o in outcomes)
    failed = counts.get("error", 0) > 0
    report = OnboardingReport(dry_run=dry_run, applied=not (dry_run or failed), counts=dict(counts), rows=outcomes)
    if not report.applied:
        return report
    created = _apply(session, principal, unit_id, users, to_create, to_grant, to_revoke, existing)
    issued = invitations.issue(session, created, created_by=principal.user.id, ttl_s=invitation_ttl_s)
    report.invitations = [places.public(i) for i in issued]
    emit(
        session,
        "org.onboarding.applied",
        tenant_id=tenant_id,
        data={"org_unit_id": unit_id, "counts": dict(counts)},
        audience=(principal.user.id,),
    )
    return report


WOULD = {"created": "would create", "granted": "would grant", "revoked": "would revoke"}


def _fold(name: str) -> str:
    """A role name as people type it: any case, underscores or hyphens for spaces."""
    return " ".join(name.replace("_", " ").replace("-", " ").split()).casefold()


def _role_names(roles: dict[str, int]) -> dict[str, str]:
    return {_fold(name): name for name in roles}


def _row_error(
    row: OnboardingRow,
    email: str,
    roles: dict[str, int],
    role_scopes: dict[int, set[str]],
    mine: set[str],
    known: tuple[int, int, bool] | None,
    tenant_id: int,
    seen: set[tuple[str, str]],
) -> tuple[str, str] | None:
    """The row's first problem as (column, message), or None."""
    if not _EMAIL.match(email):
        return "email", f"invalid e-mail address {row.email!r}"
    if row.role not in roles:
        return "role", f"unknown role {row.role!r}; known: {', '.join(sorted(roles))}"
    if WILDCARD not in mine and not role_scopes.get(roles[row.role], set()) <= mine:
        return "role", f"you may not grant {row.role!r} here: it holds permissions you lack"
    if known is not None and known[1] != tenant_id:
        return "email", "this e-mail address belongs to another organization"
    if (email, row.role) in seen:
        return "email", "duplicate of an earlier row"
    return None


def _apply(
    session: Session,
    principal: Principal,
    unit_id: int,
    users: dict[str, tuple[int, int, bool]],
    to_create: dict[str, dict[str, object]],
    to_grant: set[tuple[str, int]],
    to_revoke: set[tuple[int, int]],
    existing: set[tuple[int, int]],
) -> list[tuple[int, str]]:
    """Write the batch; returns ``(id, e-mail)`` of each user it created."""
    ids = {email: uid for email, (uid, _, _) in users.items()}
    created: list[tuple[int, str]] = []
    batch = list(to_create.values())
    for start in range(0, len(batch), CHUNK):
        for uid, email in session.execute(insert(User).returning(User.id, User.email), batch[start : start + CHUNK]):
            ids[email] = uid
            created.append((uid, email))
    reactivate = [ids[e] for e, _ in to_grant if e in users and not users[e][2]]
    if reactivate:
        session.execute(update(User).where(User.id.in_(reactivate)).values(is_active=True))
    grants = [
        {
            "user_id": ids[e],
            "role_id": r,
            "scope_type": "org_unit",
            "scope_id": unit_id,
            "granted_by": principal.user.id,
        }
        for e, r in to_grant
        if (ids[e], r) not in existing
    ]
    if grants:
        session.execute(insert(Grant), grants)
    for uid, rid in to_revoke:
        session.execute(
            delete(Grant).where(
                Grant.user_id == uid, Grant.role_id == rid, Grant.scope_type == "org_unit", Grant.scope_id == unit_id
            )
        )
    if to_revoke:
        revoked_users = sorted({uid for uid, _ in to_revoke})
        session.flush()
        still = set(session.scalars(select(Grant.user_id).where(Grant.user_id.in_(revoked_users))))
        orphans = [u for u in revoked_users if u not in still]
        if orphans:  # nobody keeps an account without any role: deactivate and revoke their tokens
            session.execute(update(User).where(User.id.in_(orphans)).values(is_active=False))
            revoke_user_tokens(session, orphans)
            invitations.retire(session, orphans)
    return created
