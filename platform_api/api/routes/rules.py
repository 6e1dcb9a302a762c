"""Instructor rules (CRUD per scope), the cohort dry run, and manual per-learner overrides.

Every rule lives in one scope (an org unit, a course, a cohort or a learner) and whoever
holds ``rules:write`` there may change it; ``rules:read`` lets assistants see and preview.
Serving loads the same rows (:mod:`serving.rules.store`); each change is announced as a
``rule.*`` / ``override.*`` event so a running Router can be reconfigured.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from pathwise.contract.rules import Names
from platform_api.api.deps import PageDep, SessionDep, permit, require
from platform_api.api.pages import Page, paginate
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import rule_scope_target, rule_target
from platform_api.domain.rollouts.models import InstructorRule, LearnerOverride
from platform_api.domain.rollouts.rules import check_source, checked, preview_cohort, rule_names, vocabulary
from platform_api.domain.rollouts.schemas import (
    OverridePublic,
    OverrideSet,
    PreviewPublic,
    PreviewRequest,
    RuleCheck,
    RuleCheckPublic,
    RuleCreate,
    RulePublic,
    RuleUpdate,
    RuleVocabulary,
    ScopeKind,
)
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1", tags=["rules"])


def _names(session: SessionDep, principal: Principal, scope_kind: str, scope_id: str) -> Names:
    """The names a rule in this scope may use: the tenant's skills, and the course's activities if it has one."""
    course_id = int(scope_id) if scope_kind == "course" else None
    return rule_names(session, principal.tenant_id, course_id)


def _rule(session: SessionDep, rule_id: int) -> InstructorRule:
    rule = session.get(InstructorRule, rule_id)
    if rule is None:
        raise ProblemError(404, f"rule {rule_id} not found")
    return rule


@router.get("/rules", response_model=Page[RulePublic], summary="Rules of one scope, highest priority first")
def list_rules(
    session: SessionDep,
    page: PageDep,
    principal: Annotated[Principal, permit("rules:read")],
    scope_kind: Annotated[ScopeKind, Query()],
    scope_id: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> Page[RulePublic]:
    require(principal, "rules:read", rule_scope_target(session, principal, scope_kind, scope_id))
    query = (
        select(InstructorRule)
        .where(InstructorRule.scope_kind == scope_kind, InstructorRule.scope_id == str(scope_id))
        .order_by(InstructorRule.priority.desc(), InstructorRule.id)
    )
    return paginate(session, query, page, RulePublic)


@router.post("/rules", response_model=RulePublic, status_code=201, summary="Create a rule (parsed and validated)")
def create_rule(
    session: SessionDep, body: RuleCreate, principal: Annotated[Principal, permit("rules:write")]
) -> InstructorRule:
    require(principal, "rules:write", rule_scope_target(session, principal, body.scope_kind, body.scope_id))
    check_source(body.source, _names(session, principal, body.scope_kind, str(body.scope_id)))
    rule = InstructorRule(
        name=body.name,
        source=body.source,
        scope_kind=body.scope_kind,
        scope_id=str(body.scope_id),
        priority=body.priority,
        enabled=body.enabled,
        created_by=principal.user.id,
    )
    session.add(rule)
    session.flush()
    emit(session, "rule.created", tenant_id=principal.tenant_id, data={"rule_id": rule.id})
    session.commit()
    return rule


@router.post(
    "/rules:check",
    response_model=RuleCheckPublic,
    summary="Parse rule text without saving it: its structure, or a problem with line and column",
)
def check_rule(
    session: SessionDep, body: RuleCheck, principal: Annotated[Principal, permit("rules:read")]
) -> RuleCheckPublic:
    if body.scope_kind is not None and body.scope_id is not None:
        require(principal, "rules:read", rule_scope_target(session, principal, body.scope_kind, body.scope_id))
        names = _names(session, principal, body.scope_kind, str(body.scope_id))
    else:
        names = rule_names(session, principal.tenant_id)
    return checked(body.source, names)


@router.get(
    "/rules:vocabulary",
    response_model=RuleVocabulary,
    summary="The rule language's functions and verbs, and the skills and activities a rule may name",
)
def rule_vocabulary(
    session: SessionDep,
    principal: Annotated[Principal, permit("rules:read")],
    course_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> RuleVocabulary:
    if course_id is not None:
        require(principal, "rules:read", rule_scope_target(session, principal, "course", course_id))
    return vocabulary(rule_names(session, principal.tenant_id, course_id))


@router.get("/rules/{rule_id}", response_model=RulePublic)
def get_rule(
    session: SessionDep, rule_id: int, _: Annotated[Principal, permit("rules:read", "rule")]
) -> InstructorRule:
    return _rule(session, rule_id)


@router.patch("/rules/{rule_id}", response_model=RulePublic, summary="Change a rule (a new scope needs rights there)")
def update_rule(
    session: SessionDep,
    rule_id: int,
    body: RuleUpdate,
    principal: Annotated[Principal, permit("rules:write", "rule")],
) -> InstructorRule:
    rule = _rule(session, rule_id)
    if body.scope_kind is not None and body.scope_id is not None:
        require(principal, "rules:write", rule_scope_target(session, principal, body.scope_kind, body.scope_id))
        rule.scope_kind, rule.scope_id = body.scope_kind, str(body.scope_id)
    if body.source is not None:
        check_source(body.source, _names(session, principal, rule.scope_kind, rule.scope_id))
        rule.source = body.source
    for field in ("name", "priority", "enabled"):
        value = getattr(body, field)
        if value is not None:
            setattr(rule, field, value)
    emit(session, "rule.updated", tenant_id=principal.tenant_id, data={"rule_id": rule.id})
    session.commit()
    return rule


@router.delete("/rules/{rule_id}", status_code=204)
def delete_rule(
    session: SessionDep, rule_id: int, principal: Annotated[Principal, permit("rules:write", "rule")]
) -> Response:
    session.delete(_rule(session, rule_id))
    emit(session, "rule.deleted", tenant_id=principal.tenant_id, data={"rule_id": rule_id})
    session.commit()
    return Response(status_code=204)


@router.post(
    "/cohorts/{cohort_id}/rules/preview",
    response_model=PreviewPublic,
    summary="Dry run: who in the cohort a rule would affect, and their recommendations before and after",
)
def preview_rule(
    session: SessionDep,
    cohort_id: int,
    body: PreviewRequest,
    principal: Annotated[Principal, permit("rules:read", "cohort")],
) -> PreviewPublic:
    if body.rule_id is not None:
        require(principal, "rules:read", rule_target(session, principal, body.rule_id))
    return preview_cohort(session, cohort_id, body)


def _override(session: SessionDep, user_id: int) -> LearnerOverride:
    row = session.get(LearnerOverride, user_id)
    if row is None:
        raise ProblemError(404, f"learner {user_id} has no override")
    return row


@router.get("/users/{user_id}/override", response_model=OverridePublic, summary="The learner's manual override")
def get_override(
    session: SessionDep, user_id: int, _: Annotated[Principal, permit("rules:read", "user")]
) -> LearnerOverride:
    return _override(session, user_id)


@router.put(
    "/users/{user_id}/override",
    response_model=OverridePublic,
    summary="Set the learner's override; serving applies it before every rule",
)
def set_override(
    session: SessionDep,
    user_id: int,
    body: OverrideSet,
    principal: Annotated[Principal, permit("rules:write", "user")],
) -> LearnerOverride:
    if body.expires_at is not None and body.expires_at <= datetime.now(UTC):
        raise ProblemError(422, "expires_at must be in the future")
    row = session.get(LearnerOverride, user_id) or LearnerOverride(learner_id=user_id)
    row.recommend, row.block, row.replace_model = body.recommend, body.block, body.replace_model
    row.expires_at, row.note, row.created_by = body.expires_at, body.note, principal.user.id
    row.created_at = datetime.now(UTC)
    session.add(row)
    emit(session, "override.set", tenant_id=principal.tenant_id, data={"learner_id": user_id})
    session.commit()
    return row


@router.delete("/users/{user_id}/override", status_code=204, summary="Remove the learner's override")
def clear_override(
    session: SessionDep, user_id: int, principal: Annotated[Principal, permit("rules:write", "user")]
) -> Response:
    session.delete(_override(session, user_id))
    emit(session, "override.cleared", tenant_id=principal.tenant_id, data={"learner_id": user_id})
    session.commit()
    return Response(status_code=204)
