"""Plugin points for remote proctoring and lockdown browsers.

An exam names its guards in ``Assignment.guards`` (``{"name": {config}}``). Each guard is
asked before an admission starts and before a submission is accepted; any refusal stops the
request with a 403 naming the guard and its reason. Guards come from the built-ins below
and from the ``pathwise.exam_guards`` entry-point group, so a proctoring vendor ships its
own package with ``[project.entry-points."pathwise.exam_guards"] vendor = "pkg:Guard"``.

Built-ins:

* ``none`` - the documented default: allows everything (an exam without guards behaves
  the same way).
* ``safe_exam_browser`` - checks the ``X-SafeExamBrowser-ConfigKeyHash`` header that Safe
  Exam Browser sends: SHA-256 of the absolute request URL followed by the exam's config
  key, as hex. Config: ``{"config_keys": ["<key>", ...]}``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Literal, Protocol, runtime_checkable

ENTRY_POINT_GROUP = "pathwise.exam_guards"
#: When a guard is asked: starting an admission, reading the exam's task in it, submitting.
Phase = Literal["start", "view", "submit"]


@dataclass(frozen=True)
class GuardContext:
    """What a guard may look at: who, which exam, from where, with which headers."""

    phase: Phase
    assignment_id: int
    user_id: int
    client_ip: str
    url: str
    headers: Mapping[str, str]
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""


@runtime_checkable
class ExamGuard(Protocol):
    """A proctoring service or lockdown-browser check. ``validate_config`` runs when an exam is saved."""

    def validate_config(self, config: Mapping[str, Any]) -> None: ...

    def check(self, context: GuardContext) -> Verdict: ...


class NoGuard:
    """The default: no proctoring, no lockdown browser."""

    def validate_config(self, config: Mapping[str, Any]) -> None:
        if config:
            raise ValueError("the 'none' guard takes no configuration")

    def check(self, context: GuardContext) -> Verdict:
        return Verdict(True)


class SafeExamBrowserGuard:
    """Safe Exam Browser's config-key check (the header hash binds the request URL to the key)."""

    header = "x-safeexambrowser-configkeyhash"

    def validate_config(self, config: Mapping[str, Any]) -> None:
        keys = config.get("config_keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
            raise ValueError("safe_exam_browser needs config_keys: a non-empty list of strings")
        if set(config) - {"config_keys"}:
            raise ValueError(f"unknown safe_exam_browser settings: {sorted(set(config) - {'config_keys'})}")

    def check(self, context: GuardContext) -> Verdict:
        sent = {k.lower(): v for k, v in context.headers.items()}.get(self.header, "")
        if not sent:
            return Verdict(False, "this exam must be taken in Safe Exam Browser (no config key hash sent)")
        for key in context.config.get("config_keys", []):
            expected = hashlib.sha256((context.url + key).encode()).hexdigest()
            if hmac.compare_digest(expected.encode(), sent.lower().encode()):  # bytes: a header may hold non-ASCII
                return Verdict(True)
        return Verdict(False, "the Safe Exam Browser configuration does not match this exam")


BUILTIN: dict[str, type] = {"none": NoGuard, "safe_exam_browser": SafeExamBrowserGuard}


@cache
def registry() -> dict[str, ExamGuard]:
    """Built-ins plus installed entry points (loaded once per process)."""
    found: dict[str, ExamGuard] = {name: cls() for name, cls in BUILTIN.items()}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        guard = point.load()()
        if not isinstance(guard, ExamGuard):
            raise TypeError(f"entry point {point.name!r} does not implement ExamGuard")
        found.setdefault(point.name, guard)
    return found


def validate_guards(guards: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` for an unknown guard or a configuration it refuses."""
    known = registry()
    for name, config in guards.items():
        if name not in known:
            raise ValueError(f"unknown exam guard {name!r}; installed: {sorted(known)}")
        if not isinstance(config, Mapping):
            raise ValueError(f"the configuration of guard {name!r} must be an object")
        known[name].validate_config(config)


def first_refusal(guards: Mapping[str, Any], context: GuardContext) -> tuple[str, Verdict] | None:
    """Ask every configured guard; the first refusal (name, verdict), or None if all allow."""
    known = registry()
    for name, config in guards.items():
        verdict = known[name].check(
            GuardContext(
                context.phase,
                context.assignment_id,
                context.user_id,
                context.client_ip,
                context.url,
                context.headers,
                config,
            )
        )
        if not verdict.allowed:
            return name, verdict
    return None
