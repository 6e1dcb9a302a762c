"""The organization's LRS client credentials (HTTP Basic key and secret), for its administrators.

The same functions as ``pathwise lrs credentials`` on the command line: the secret is generated
here, returned once, and only its hash is stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from platform_api.api.deps import PageDep, SessionDep, permit
from platform_api.api.pages import Page, paginate
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.lrs.models import LRSCredential
from platform_api.domain.lrs.schemas import LRSCredentialCreate, LRSCredentialIssued, LRSCredentialPublic
from platform_api.events.platform import emit
from platform_api.lrs.credentials import CredentialCache, create_credential, revoke_credential
from platform_api.lrs.http import LRS_PREFIX

router = APIRouter(prefix="/v1/lrs-credentials", tags=["lrs"])
SCOPE = "lrs.credentials:write"


@router.get("", response_model=Page[LRSCredentialPublic], summary="Your organization's LRS clients, newest first")
def list_credentials(
    session: SessionDep, page: PageDep, principal: Annotated[Principal, permit(SCOPE, "tenant")]
) -> Page[LRSCredentialPublic]:
    query = (
        select(LRSCredential).where(LRSCredential.tenant_id == principal.tenant_id).order_by(LRSCredential.id.desc())
    )
    return paginate(session, query, page, LRSCredentialPublic)


@router.post(
    "",
    response_model=LRSCredentialIssued,
    status_code=201,
    summary="Issue a key and secret for one LRS client",
    description="The secret is in this answer only. Statements the client sends carry its name as authority.",
)
def issue(
    request: Request,
    session: SessionDep,
    body: LRSCredentialCreate,
    principal: Annotated[Principal, permit(SCOPE, "tenant")],
) -> LRSCredentialIssued:
    name = body.name.strip()
    if not name:
        raise ProblemError(422, "a credential needs a name that is not only spaces")
    scopes: list[str] = list(dict.fromkeys(body.scopes))
    issued = create_credential(session, name, tenant_id=principal.tenant_id, scopes=scopes)
    row = session.scalars(select(LRSCredential).where(LRSCredential.key == issued.key)).one()
    emit(session, "lrs.credential.created", tenant_id=principal.tenant_id, data={"id": row.id, "name": name})
    session.commit()
    return LRSCredentialIssued(
        id=row.id,
        key=row.key,
        name=row.name,
        scopes=list(row.scopes),
        created_at=row.created_at,
        revoked_at=None,
        secret=issued.secret,
        endpoint=str(request.base_url).rstrip("/") + LRS_PREFIX + "/",
    )


@router.delete("/{credential_id}", status_code=204, summary="Revoke an LRS client's credentials")
def revoke(
    request: Request,
    session: SessionDep,
    credential_id: int,
    principal: Annotated[Principal, permit(SCOPE, "tenant")],
) -> Response:
    """Revoking twice keeps the first time. This worker refuses the key at once; other API workers
    within the credential cache's lifetime (30 s)."""
    row = session.get(LRSCredential, credential_id)
    if row is None or row.tenant_id != principal.tenant_id:
        raise ProblemError(404, f"LRS credential {credential_id} not found")
    already = row.revoked_at is not None
    revoke_credential(session, row.key)
    if not already:
        emit(session, "lrs.credential.revoked", tenant_id=principal.tenant_id, data={"id": row.id})
    session.commit()
    cache: CredentialCache = request.app.state.lrs_credentials
    cache.forget(row.id)
    return Response(status_code=204)
