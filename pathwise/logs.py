"""Structured logging for every Pathwise process (console for people, JSON for machines)."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import structlog

#: Keys whose values never reach a log: credentials in headers, bodies and keyword arguments.
SECRET_KEY = re.compile(
    r"authorization|cookie|token|password|passwd|secret|api[-_]?key|mfa[-_]?code",
    re.IGNORECASE,
)
#: Secrets written inside text: ``Bearer <token>``, ``Basic <b64>``, ``password=…``, ``Cookie: …``, JWTs.
SECRET_TEXT = (
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE), r"\1 [redacted]"),
    (
        re.compile(
            r"(['\"]?(?:authorization|cookie|set-cookie|[a-z_]*token|password|passwd|secret|api[-_]?key)['\"]?\s*[:=]\s*)"
            r"(['\"]?)[^\s'\",;&}]+",
            re.IGNORECASE,
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[redacted]"),
)
REDACTED = "[redacted]"
#: A traceback in the log keeps this many innermost frames, one line each, without source or locals.
TRACEBACK_FRAMES = 8


def redact_text(text: str) -> str:
    """``text`` with every credential it spells out replaced by ``[redacted]``."""
    for pattern, replacement in SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, key: str = "") -> Any:
    """A copy of ``value`` safe to log: secret keys' values and secrets inside text are redacted."""
    if key and SECRET_KEY.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        pairs = all(isinstance(v, tuple) and len(v) == 2 for v in value) and bool(value)
        if pairs:  # ASGI / httpx headers: [(name, value), ...]
            return [(k, redact(v, k.decode() if isinstance(k, bytes) else str(k))) for k, v in value]
        return [redact(v) for v in value]
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    return value


def compact_traceback(exc: BaseException) -> str:
    """The exception as a few lines: its innermost frames (file:line in function) and its message, redacted.

    No source lines and no local variables (they held request headers and tokens); a chained
    cause adds one line. Rendering is cheap, so logging a 500 never stalls the process.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    shown = frames[-TRACEBACK_FRAMES:]
    lines = [f"Traceback ({len(frames)} frames, innermost {len(shown)} shown):"]
    lines += [f"  {frame.filename}:{frame.lineno} in {frame.name}" for frame in shown]
    lines.append("".join(traceback.format_exception_only(type(exc), exc)).strip())
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None:
        lines.append("caused by " + "".join(traceback.format_exception_only(type(cause), cause)).strip())
    return redact_text("\n".join(lines))


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _exception_of(exc_info: Any) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1] if isinstance(exc_info[1], BaseException) else None
    if exc_info:
        import sys

        return sys.exc_info()[1]
    return None


def _redact_and_compact(_: Any, __: str, event_dict: structlog.types.EventDict) -> structlog.types.EventDict:
    """Processor: secrets out of every field, and any exception rendered once, compactly, as ``exception``."""
    exc_info = event_dict.pop("exc_info", None)
    record = event_dict.pop("_record", None)
    from_structlog = event_dict.pop("_from_structlog", None)
    cleaned = {k: (v if k.startswith("_") else redact(v, "" if k == "event" else k)) for k, v in event_dict.items()}
    exc = _exception_of(exc_info)
    if exc is not None:
        cleaned["exception"] = compact_traceback(exc)
    elif isinstance(cleaned.get("exception"), str):
        cleaned["exception"] = redact_text(cleaned["exception"])
    if record is not None:
        cleaned["_record"] = record
    if from_structlog is not None:
        cleaned["_from_structlog"] = from_structlog
    return cleaned


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    """Route stdlib and structlog records through one structured renderer.

    Called once by the CLI entry point, never at import time.
    """
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_and_compact,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("alembic", "numexpr", "uvicorn.access", "httpx", "httpcore"):  # a line per outgoing request
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
