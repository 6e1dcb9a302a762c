"""Load the bundled ASSISTments sample into the LRS as ``answered`` statements (``pathwise up``).

:func:`sample_statements` is the only place the sample becomes statements; the feature
store then reads them back from the LRS (:mod:`pipelines.lrs_history`), so the LRS, the
offline and the online features share one statement set.

The tidy sample carries an order, not a clock, so each answer gets a synthetic but
deterministic time on a 2009 clock: learner ``i`` (in order of external id) starts on day
``i mod 28`` after :data:`EPOCH` at minute ``17 i mod 600``; successive answers are 90 s
apart and every 25 answers the learner resumes the next day. Each answer takes a synthetic
``20 + 13 k mod 41`` seconds (``k`` = position in the learner's history). Statement ids
are derived from (source, learner, position), so a second run finds them all present and
writes nothing.

A state directory made before skills and items were keyed by platform ids holds the same
statement ids with the dataset's codes. :func:`load_sample_statements` carries it over: a
stored sample statement (context extension ``source`` = :data:`SOURCE`) whose learner, item,
skill or course id differs from the statement built now is deleted with its mention rows and
stored again as built, in the same transaction (the outbox announces it as a new statement).
Statements from other sources are never touched, and a carried-over LRS is left as it is.

Learners are named by :func:`features.xapi_vocabulary.learner_account` when a platform
user of the tenant carries their external id (the seeded demo learners), so a demo
learner is one actor whether the answer came from the sample or from an assessment;
learners with no platform user get a source-prefixed :func:`external_account`.

Skills and items are named by their platform ids (the seed creates one skill per dataset skill
code and one item per dataset problem id), so the LRS, the feature store, the registered models
and serving all key a skill the same way; a dataset code with no platform skill keeps its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from features.xapi_vocabulary import (
    Extension,
    answered_statement,
    deterministic_id,
    external_account,
    learner_account,
)
from pathwise.datasets import load_sample
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.domain.content.models import Course
from platform_api.domain.identity.models import User
from platform_api.domain.items.models import Item
from platform_api.domain.lrs.models import Statement, StatementRef
from platform_api.domain.org.models import OrgUnit
from platform_api.domain.skills.models import Skill
from platform_api.lrs.mentions import display_key
from platform_api.lrs.store import Authority, store_statements

SOURCE = "assistments-2009-sample"
EPOCH = datetime(2009, 9, 1, 8, 0, tzinfo=UTC)
#: The demo course built from the sample (by :mod:`platform_api.demo.seed`); its answers belong to it.
DEMO_COURSE_CODE = "ASSIST-MATH"


#: The ids a sample statement names, in the order :func:`_stored_ids` reads them.
StatementIds = tuple[str | None, ...]


@dataclass(frozen=True)
class LoadReport:
    """``created`` statements were new; ``rekeyed`` stored ones were replaced (see the module docstring)."""

    total: int
    created: int
    rekeyed: int = 0


@dataclass(frozen=True)
class PlatformIds:
    """Dataset codes → platform ids, for the tenant the sample is loaded into."""

    accounts: Mapping[str, str]
    skills: Mapping[str, str]
    items: Mapping[str, str]


def sample_statements(
    sample: pd.DataFrame,
    accounts: Mapping[str, str] | None = None,
    course_id: str | int | None = None,
    ids: PlatformIds | None = None,
) -> list[dict[str, Any]]:
    """One statement per sample row, oldest first (timing: see the module docstring).

    ``accounts`` maps an external learner id to its account name; unmapped learners get
    :func:`external_account`. ``ids`` names skills and items by their platform ids.
    """
    accounts = ids.accounts if ids is not None else (accounts or {})
    skills = ids.skills if ids is not None else {}
    items = ids.items if ids is not None else {}
    ordered = sample.sort_values(["user_id", "seq"], kind="stable")
    learners = {user: i for i, user in enumerate(sorted(ordered["user_id"].astype(str).unique()))}
    statements = []
    for row in ordered.itertuples(index=False):
        user, k = str(row.user_id), int(row.seq)
        i = learners[user]
        start = EPOCH + timedelta(days=i % 28, minutes=(17 * i) % 600)
        code, item = str(row.skill_id), str(row.item_id) if pd.notna(row.item_id) else None
        statements.append(
            answered_statement(
                accounts.get(user) or external_account(SOURCE, user),
                items.get(item, item) if item is not None else f"skill-{code}",
                skills.get(code, code),
                bool(row.correct),
                seq=k,
                timestamp=start + timedelta(seconds=90 * (k % 25), days=k // 25),
                statement_id=deterministic_id(SOURCE, user, k),
                source=SOURCE,
                duration_s=float(20 + (13 * k) % 41),
                course_id=course_id,
            )
        )
    statements.sort(key=lambda s: (s["timestamp"], s["id"]))
    return statements


def sample_accounts(session: Session, tenant_id: int | None, external_ids: list[str]) -> dict[str, str]:
    """External learner id -> account name, for the tenant's users that carry those ids."""
    if tenant_id is None:
        return {}
    found = session.execute(
        select(User.external_id, User.id).where(User.tenant_id == tenant_id, User.external_id.in_(external_ids))
    ).tuples()
    return {str(external): learner_account(user_id) for external, user_id in found}


def platform_ids(session: Session, tenant_id: int | None, external_ids: list[str]) -> PlatformIds:
    """The tenant's learner accounts, skill ids (by code) and item ids (by external id)."""
    if tenant_id is None:
        return PlatformIds({}, {}, {})
    skills = session.execute(select(Skill.code, Skill.id).where(Skill.tenant_id == tenant_id)).tuples()
    items = session.execute(select(Item.external_id, Item.id).where(Item.tenant_id == tenant_id)).tuples()
    return PlatformIds(
        sample_accounts(session, tenant_id, external_ids),
        {code: str(ident) for code, ident in skills},
        {external: str(ident) for external, ident in items},
    )


def demo_course_id(session: Session, tenant_id: int | None) -> int | None:
    if tenant_id is None:
        return None
    return session.scalar(
        select(Course.id)
        .join(OrgUnit, OrgUnit.id == Course.org_unit_id)
        .where(OrgUnit.tenant_id == tenant_id, Course.code == DEMO_COURSE_CODE)
    )


def _built_ids(statement: dict[str, Any]) -> StatementIds:
    """Learner, item, skill and course ids of a statement :func:`sample_statements` built."""
    extensions = statement["context"]["extensions"]
    return (
        display_key(statement["actor"]),
        statement["object"]["id"],
        extensions.get(Extension.SKILL_ID),
        extensions.get(Extension.ITEM_ID),
        extensions.get(Extension.COURSE_ID),
    )


def _stored_ids(
    session: Session, tenant_id: int | None, statement_ids: list[str], chunk: int
) -> dict[str, StatementIds | None]:
    """For each of ``statement_ids`` that is stored: the ids it names, or ``None`` when it is not ours.

    Ours: a sample statement (source extension :data:`SOURCE`) of the tenant. Reads indexed
    columns and four JSON values per row, not the payloads.
    """

    def extension(key: str) -> Any:
        return Statement.payload[("context", "extensions", key)].as_string()

    query = select(
        Statement.statement_id,
        Statement.tenant_id,
        extension(Extension.SOURCE),
        Statement.actor_key,
        Statement.object_key,
        extension(Extension.SKILL_ID),
        extension(Extension.ITEM_ID),
        extension(Extension.COURSE_ID),
    )
    found: dict[str, StatementIds | None] = {}
    for start in range(0, len(statement_ids), chunk):
        part = statement_ids[start : start + chunk]
        rows = session.execute(query.where(Statement.statement_id.in_(part))).tuples()
        for statement_id, tenant, source, *ids in rows:
            found[statement_id] = tuple(ids) if tenant == tenant_id and source == SOURCE else None
    return found


def _delete_statements(session: Session, statement_ids: list[str], chunk: int) -> None:
    """Delete statements and their mention rows (the caller's transaction stores their replacements)."""
    for start in range(0, len(statement_ids), chunk):
        part = statement_ids[start : start + chunk]
        session.execute(delete(StatementRef).where(StatementRef.statement_id.in_(part)))
        session.execute(delete(Statement).where(Statement.statement_id.in_(part)))


def load_sample_statements(
    db_url: str, tenant_slug: str = "demo", chunk: int = 2000, sample: pd.DataFrame | None = None
) -> LoadReport:
    """Store every sample attempt (or those of ``sample``, a slice of it) as a statement.

    Stored sample statements that name other ids than the ones built now (a state directory
    from before platform ids) are replaced. One transaction, so a failure leaves none.
    """
    sample = load_sample() if sample is None else sample
    engine = make_engine(db_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            tenant_id = session.scalar(
                select(OrgUnit.id).where(OrgUnit.slug == tenant_slug, OrgUnit.parent_id.is_(None))
            )
            ids = platform_ids(session, tenant_id, sorted(sample["user_id"].astype(str).unique()))
            statements = sample_statements(sample, course_id=demo_course_id(session, tenant_id), ids=ids)
            stored = _stored_ids(session, tenant_id, [s["id"] for s in statements], chunk)
            stale = [s["id"] for s in statements if stored.get(s["id"]) not in (None, _built_ids(s))]
            _delete_statements(session, stale, chunk)
            replaced = set(stale)
            missing = [s for s in statements if s["id"] not in stored or s["id"] in replaced]
            for start in range(0, len(missing), chunk):
                store_statements(session, missing[start : start + chunk], Authority(tenant_id=tenant_id), batch=True)
    finally:
        engine.dispose()
    return LoadReport(total=len(statements), created=len(missing) - len(stale), rekeyed=len(stale))
