"""Pluggable SMS delivery for one-time codes; the console sender logs instead of sending."""

from __future__ import annotations

import importlib
from typing import Protocol

from pathwise.logs import get_logger

log = get_logger(__name__)


class SMSSender(Protocol):
    def send(self, phone: str, message: str) -> None: ...


class ConsoleSMSSender:
    """Development sender: writes the message to the log so a person can read the code."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, message: str) -> None:
        self.sent.append((phone, message))
        log.info("sms (console sender)", phone=phone, message=message)


def load_sender(spec: str) -> SMSSender:
    """``console`` or ``package.module:ClassName`` (constructed without arguments)."""
    if spec == "console":
        return ConsoleSMSSender()
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ValueError(f"SMS sender {spec!r} must be 'console' or 'module:Class'")
    sender: SMSSender = getattr(importlib.import_module(module_name), attr)()
    return sender
