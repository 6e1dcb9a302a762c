"""Org units (nested), and bulk onboarding / revocation into a unit by CSV or JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from sqlalchemy import select

from platform_api.api.deps import PageDep, SessionDep, SettingsDep, permit, require
from platform_api.api.pages import Page, paginate
from platform_api.api.routes.auth import invitation_places
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import org_unit_target
from platform_api.domain.org import onboarding, service
from platform_api.domain.org.models import OrgUnit
from platform_api.domain.org.schemas import (
    OnboardingReport,
    OnboardingRequest,
    OrgUnitCreate,
    OrgUnitPublic,
    OrgUnitUpdate,
)
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1/org-units", tags=["organizations"])
DryRun = Annotated[bool, Query(description="validate and report without changing anything")]
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _unit(session: SessionDep, unit_id: int) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise ProblemError(404, f"org unit {unit_id} not found")
    return unit


@router.get("", response_model=Page[OrgUnitPublic], summary="Org units you may see")
def list_units(
    session: SessionDep, page: PageDep, principal: Annotated[Principal, permit("org:read")]
) -> Page[OrgUnitPublic]:
    query = (
        select(OrgUnit)
        .where(OrgUnit.tenant_id == principal.tenant_id, principal.visible_units_clause("org:read", OrgUnit.path))
        .order_by(OrgUnit.path)
    )
    return paginate(session, query, page, OrgUnitPublic)


@router.post("", response_model=OrgUnitPublic, status_code=201, summary="Create a unit under a parent")
def create_unit(
    session: SessionDep, body: OrgUnitCreate, principal: Annotated[Principal, permit("org:write")]
) -> OrgUnit:
    require(principal, "org:write", org_unit_target(session, principal, body.parent_id))
    unit = service.create_unit(session, _unit(session, body.parent_id), body)
    emit(session, "org.unit.created", tenant_id=principal.tenant_id, data={"id": unit.id, "path": unit.path})
    session.commit()
    return unit


@router.get("/{unit_id}", response_model=OrgUnitPublic)
def get_unit(
    session: SessionDep, unit_id: int, _: Annotated[Principal, permit("org:read", "org_unit", "unit_id")]
) -> OrgUnit:
    return _unit(session, unit_id)


@router.patch("/{unit_id}", response_model=OrgUnitPublic, summary="Rename or move a unit")
def update_unit(
    session: SessionDep,
    unit_id: int,
    body: OrgUnitUpdate,
    principal: Annotated[Principal, permit("org:write", "org_unit", "unit_id")],
) -> OrgUnit:
    new_parent = None
    if body.parent_id is not None:
        require(principal, "org:write", org_unit_target(session, principal, body.parent_id))
        new_parent = _unit(session, body.parent_id)
    unit = service.update_unit(session, _unit(session, unit_id), body, new_parent)
    emit(session, "org.unit.updated", tenant_id=principal.tenant_id, data={"id": unit.id, "path": unit.path})
    session.commit()
    return unit


@router.delete("/{unit_id}", status_code=204, summary="Delete an empty unit")
def delete_unit(
    session: SessionDep, unit_id: int, principal: Annotated[Principal, permit("org:write", "org_unit", "unit_id")]
) -> Response:
    service.delete_unit(session, _unit(session, unit_id))
    emit(session, "org.unit.deleted", tenant_id=principal.tenant_id, data={"id": unit_id})
    session.commit()
    return Response(status_code=204)


@router.post(
    "/{unit_id}/onboarding",
    response_model=OnboardingReport,
    summary="Bulk onboarding or revocation by JSON rows",
    responses={422: {"model": OnboardingReport, "description": "Some rows are invalid; nothing was changed"}},
)
def onboard_rows(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    unit_id: int,
    body: OnboardingRequest,
    principal: Annotated[Principal, permit("users:write", "org_unit", "unit_id")],
    dry_run: DryRun = False,
) -> OnboardingReport:
    return _run(request, session, settings.invitation_ttl_s, principal, unit_id, list(body.rows), dry_run)


@router.post(
    "/{unit_id}/onboarding/csv",
    response_model=OnboardingReport,
    summary="Bulk onboarding or revocation by CSV upload",
    description="Columns: `email`, `role` (required), `display_name`, `external_id`, `action` (`add` or `revoke`). "
    "Each person created gets an invitation (`invitations` in the answer): its token, shown once, lets them set "
    "a first password at `accept_url`.",
    responses={422: {"model": OnboardingReport, "description": "Some rows are invalid; nothing was changed"}},
)
def onboard_csv(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    unit_id: int,
    file: Annotated[UploadFile, File(description="UTF-8 CSV with a header row")],
    principal: Annotated[Principal, permit("users:write", "org_unit", "unit_id")],
    dry_run: DryRun = False,
) -> OnboardingReport:
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ProblemError(413, f"uploads are limited to {MAX_UPLOAD_BYTES // 2**20} MiB")
    return _run(request, session, settings.invitation_ttl_s, principal, unit_id, onboarding.parse_csv(data), dry_run)


def _run(
    request: Request,
    session: SessionDep,
    invitation_ttl_s: int,
    principal: Principal,
    unit_id: int,
    rows: list[onboarding.OnboardingRow | str],
    dry_run: bool,
) -> OnboardingReport:
    target = org_unit_target(session, principal, unit_id)
    report = onboarding.onboard(
        session,
        principal,
        unit_id,
        target,
        rows,
        dry_run=dry_run,
        places=invitation_places(request),
        invitation_ttl_s=invitation_ttl_s,
    )
    if report.counts.get("error"):
        session.rollback()
        raise ProblemError(
            422,
            f"{report.counts['error']} of {len(rows)} rows are invalid; nothing was changed",
            title="Invalid rows",
            **report.model_dump(),
        )
    if report.applied:
        session.commit()
    return report
