"""Load instructor rules and per-learner overrides from the application database.

The platform API writes them (``instructor_rules`` and ``learner_overrides``, tables defined once
in :mod:`pathwise.contract.tables`); serving reads them with SQLAlchemy Core, as the rollout
store does. The
result is the Router's ``user_config`` fields, so pushing it is an ordinary ``reconfigure()``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from pathwise.contract.tables import instructor_rules as _rules
from pathwise.contract.tables import learner_overrides as _overrides
from serving.schemas import RouterConfig, RuleConfig


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


class RuleStore:
    """Read-only view of the rules and overrides the API manages."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def rules(self) -> list[RuleConfig]:
        """Every stored rule, enabled or not, in id order (rule ids become ``"rule-<id>"`` strings)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(_rules).order_by(_rules.c.id)).all()
        return [
            RuleConfig(
                id=f"rule-{row.id}",
                name=row.name,
                source=row.source,
                scope_kind=row.scope_kind,
                scope_id=str(row.scope_id),
                priority=row.priority,
                enabled=row.enabled,
            )
            for row in rows
        ]

    def overrides(self, now: datetime | None = None) -> dict[str, dict[str, Any]]:
        """Overrides still in force at ``now``, keyed by learner id as text (the Router's learner ids)."""
        now = now or datetime.now(UTC)
        with self.engine.connect() as conn:
            rows = conn.execute(select(_overrides)).all()
        out: dict[str, dict[str, Any]] = {}
        for row in rows:
            expires = _aware(row.expires_at)
            if expires is not None and expires <= now:
                continue
            out[str(row.learner_id)] = {
                "recommend": list(row.recommend or []),
                "block": list(row.block or []),
                "replace_model": bool(row.replace_model),
                "expires_at": expires.isoformat() if expires else None,
                "note": row.note or "",
            }
        return out

    def router_config(self, base: RouterConfig | None = None) -> RouterConfig:
        """``base`` (rollouts, timeouts) with its rules and overrides replaced by the stored ones."""
        return (base or RouterConfig()).model_copy(update={"rules": self.rules(), "overrides": self.overrides()})
