"""Persist rollout specs and controller decisions in the application database.

The tables (``rollouts`` and ``rollout_decisions``) are defined once in
:mod:`pathwise.contract.tables`, and the platform's migrations create them; serving uses them
with SQLAlchemy Core. A decision and the spec it produced are written in one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from pathwise.contract.rollout.controller import RolloutDecision
from pathwise.contract.rollout.spec import RolloutSpec, Slot
from pathwise.contract.tables import rollout_decisions as _decisions
from pathwise.contract.tables import rollouts as _rollouts


def _row(spec: RolloutSpec) -> dict[str, Any]:
    return {
        "model_name": spec.model_name,
        "champion": spec.champion,
        "challenger": spec.challenger,
        "mode": str(spec.mode),
        "traffic_percent": spec.traffic_percent,
        "state": str(spec.state),
        "spec": spec.model_dump(mode="json"),
        "updated_at": datetime.now(UTC),
    }


class RolloutStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self, slot: Slot | str) -> RolloutSpec | None:
        with self.engine.connect() as conn:
            raw = conn.execute(select(_rollouts.c.spec).where(_rollouts.c.slot == str(slot))).scalar_one_or_none()
        return None if raw is None else RolloutSpec.model_validate(raw)

    def load_all(self) -> list[RolloutSpec]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(_rollouts.c.spec).order_by(_rollouts.c.slot)).scalars().all()
        return [RolloutSpec.model_validate(raw) for raw in rows]

    def save(self, spec: RolloutSpec) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, spec)

    def record(self, decision: RolloutDecision, spec: RolloutSpec) -> None:
        """Store the decision and the spec it produced together, or neither."""
        with self.engine.begin() as conn:
            self._upsert(conn, spec)
            conn.execute(
                insert(_decisions).values(
                    slot=decision.slot,
                    at=decision.at,
                    action=str(decision.action),
                    from_state=str(decision.from_state),
                    to_state=str(decision.to_state),
                    traffic_before=decision.traffic_before,
                    traffic_after=decision.traffic_after,
                    reason=decision.reason,
                    metrics=decision.metrics,
                    champion=decision.champion,
                    challenger=decision.challenger,
                    mode=decision.mode,
                )
            )

    def decisions(self, slot: Slot | str, limit: int = 50) -> list[dict[str, Any]]:
        query = select(_decisions).where(_decisions.c.slot == str(slot)).order_by(_decisions.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    @staticmethod
    def _upsert(conn: Any, spec: RolloutSpec) -> None:
        exists = conn.execute(select(_rollouts.c.slot).where(_rollouts.c.slot == str(spec.slot))).first()
        if exists:
            conn.execute(update(_rollouts).where(_rollouts.c.slot == str(spec.slot)).values(**_row(spec)))
        else:
            conn.execute(insert(_rollouts).values(slot=str(spec.slot), **_row(spec)))
