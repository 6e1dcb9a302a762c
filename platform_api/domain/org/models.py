"""Organizations as a tree of units (district → school → department → team)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from platform_api.core.db import Base, utcnow


class OrgUnit(Base):
    """A node in an organization tree; the root node is the tenant.

    ``path`` is a materialized path (``/1/4/9/``) so that "this unit and everything below
    it" is one indexed prefix query, which grant inheritance relies on.
    """

    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("parent_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="organization")
    path: Mapped[str] = mapped_column(String(1000), default="/", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cohort(Base):
    """A group of learners (a class section) inside an org unit, optionally tied to one course."""

    __tablename__ = "cohorts"
    __table_args__ = (UniqueConstraint("org_unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CohortMember(Base):
    __tablename__ = "cohort_members"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class GuardianLink(Base):
    """A guardian may see exactly the learners linked here, nobody else."""

    __tablename__ = "guardian_links"
    __table_args__ = (UniqueConstraint("guardian_id", "learner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    relationship: Mapped[str] = mapped_column(String(40), default="parent")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
