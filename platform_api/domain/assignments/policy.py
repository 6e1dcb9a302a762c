"""Pure rules about when and from where a submission is accepted, and what lateness costs."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from platform_api.core.errors import ProblemError
from platform_api.domain.assignments.models import Assignment

PROBLEMS = "https://pathwise.example/problems/"
DAY = timedelta(days=1)


def aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Lateness:
    days: int
    penalty: float


def check_opened(assignment: Assignment, now: datetime) -> None:
    """409 before ``opens_at``."""
    if assignment.opens_at is not None and now < aware(assignment.opens_at):
        raise ProblemError(
            409,
            f"assignment {assignment.id} opens at {aware(assignment.opens_at).isoformat()}",
            type_=PROBLEMS + "not-open",
        )


def check_window(assignment: Assignment, now: datetime) -> None:
    """409 before ``opens_at`` and after the hard cutoff; nothing is written in either case."""
    check_opened(assignment, now)
    if assignment.cutoff_at is not None and now > aware(assignment.cutoff_at):
        raise ProblemError(
            409,
            f"the hard deadline of assignment {assignment.id} passed at {aware(assignment.cutoff_at).isoformat()}",
            type_=PROBLEMS + "deadline-passed",
        )


def lateness(assignment: Assignment, submitted_at: datetime) -> Lateness:
    """Each started day after ``due_at`` + grace costs ``late_penalty_per_day``, capped at the whole score."""
    free_until = aware(assignment.due_at) + timedelta(minutes=assignment.grace_minutes)
    if submitted_at <= free_until:
        return Lateness(0, 0.0)
    days = math.ceil((submitted_at - free_until) / DAY)
    return Lateness(days, min(1.0, round(days * assignment.late_penalty_per_day, 6)))


def check_attempts(assignment: Assignment, used: int) -> None:
    if used >= assignment.max_attempts:
        raise ProblemError(
            409,
            f"all {assignment.max_attempts} attempt(s) at assignment {assignment.id} are used",
            type_=PROBLEMS + "attempt-limit",
            attempts_used=used,
        )


def parse_networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """CIDR strings as networks; raises ``ValueError`` naming the bad entry."""
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or CIDR network") from None
    return out


def check_address(assignment: Assignment, client_ip: str) -> None:
    """403 unless the client address lies in one of the exam's networks (an empty list allows all)."""
    if not assignment.ip_allow:
        return
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        address = None
    networks = parse_networks([str(v) for v in assignment.ip_allow])
    if address is None or not any(address in network for network in networks):
        raise ProblemError(
            403,
            f"address {client_ip} is not on the allow-list of assignment {assignment.id}",
            type_=PROBLEMS + "address-not-allowed",
        )
