"""The question bank: items tagged by skill, with IRT parameters once calibrated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from platform_api.core.db import Base, utcnow


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"), index=True)
    skill_id: Mapped[int | None] = mapped_column(ForeignKey("skills.id", ondelete="SET NULL"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="multiple_choice")
    stem: Mapped[str] = mapped_column(String(10000), default="")
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    answer_key: Mapped[dict[str, Any]] = mapped_column(default=dict)
    difficulty: Mapped[float | None]
    discrimination: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
