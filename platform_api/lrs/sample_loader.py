"""Load the bundled ASSISTments sample into the LRS as ``answered`` statements (``pathwise up``).

Statement ids are derived from (dataset, learner, position), so a second run finds them
all present and writes nothing; the models then learn from the LRS like from any source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from features.xapi_vocabulary import answered_statement, deterministic_id
from pipelines.datasets import load_sample
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.domain.lrs.models import Statement
from platform_api.domain.org.models import OrgUnit
from platform_api.lrs.store import Authority, store_statements

SOURCE = "assistments-2009-sample"
#: Sample rows carry an order, not a time; statements are spaced a minute apart from here.
EPOCH = datetime(2009, 9, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LoadReport:
    total: int
    created: int


def load_sample_statements(db_url: str, tenant_slug: str = "demo", chunk: int = 2000) -> LoadReport:
    """Store every sample attempt as a statement; one transaction, so a failure leaves none."""
    sample = load_sample()
    ids = [deterministic_id(SOURCE, user, seq) for user, seq in zip(sample["user_id"], sample["seq"], strict=True)]
    engine = make_engine(db_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            tenant_id = session.scalar(
                select(OrgUnit.id).where(OrgUnit.slug == tenant_slug, OrgUnit.parent_id.is_(None))
            )
            present: set[str] = set()
            for start in range(0, len(ids), chunk):
                part = ids[start : start + chunk]
                present.update(session.scalars(select(Statement.statement_id).where(Statement.statement_id.in_(part))))
            missing = [
                answered_statement(
                    row.user_id,
                    row.item_id,
                    row.skill_id,
                    bool(row.correct),
                    seq=int(row.seq),
                    timestamp=EPOCH + timedelta(minutes=int(row.seq)),
                    statement_id=statement_id,
                    source=SOURCE,
                )
                for statement_id, row in zip(ids, sample.itertuples(index=False), strict=True)
                if statement_id not in present
            ]
            for start in range(0, len(missing), chunk):
                store_statements(session, missing[start : start + chunk], Authority(tenant_id=tenant_id), batch=True)
    finally:
        engine.dispose()
    return LoadReport(total=len(ids), created=len(missing))
