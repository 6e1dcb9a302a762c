"""multipart/mixed bodies for statements with attachments (xAPI 1.0.3, section 2.1.11).

Parsed by hand: the stdlib ``email`` parser rewrites line endings and decodes payloads,
which breaks the byte-exact SHA-2 check of binary parts, and python-multipart only
understands multipart/form-data.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from platform_api.lrs.store import AttachmentPart
from platform_api.lrs.validation import StatementError


@dataclass(frozen=True)
class Part:
    headers: dict[str, str]
    body: bytes


def boundary_of(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"')
    raise StatementError("Content-Type", "multipart/mixed needs a boundary parameter")


def split_parts(body: bytes, boundary: str) -> list[Part]:
    delimiter = b"--" + boundary.encode()
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise StatementError("body", f"is not a complete multipart/mixed document with boundary {boundary!r}")
    parts = []
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n"):
            raise StatementError("body", "each multipart boundary must be followed by CRLF")
        head, separator, payload = chunk[2:].partition(b"\r\n\r\n")
        if not separator:
            raise StatementError("body", "a multipart part has no blank line between headers and body")
        if payload.endswith(b"\r\n"):
            payload = payload[:-2]
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            if line.strip():
                name, colon, value = line.partition(":")
                if not colon:
                    raise StatementError("body", f"malformed part header {line!r}")
                headers[name.strip().lower()] = value.strip()
        parts.append(Part(headers, payload))
    return parts


def parse_statement_multipart(body: bytes, content_type: str) -> tuple[bytes, dict[str, AttachmentPart]]:
    """The statement JSON (first part) and the attachment parts keyed by their verified SHA-256."""
    parts = split_parts(body, boundary_of(content_type))
    first = parts[0]
    if not first.headers.get("content-type", "").lower().startswith("application/json"):
        raise StatementError("body", "the first multipart part must be application/json statements")
    attachments: dict[str, AttachmentPart] = {}
    for index, part in enumerate(parts[1:], start=1):
        declared = part.headers.get("x-experience-api-hash")
        if not declared:
            raise StatementError(f"part {index}", "has no X-Experience-API-Hash header")
        if part.headers.get("content-transfer-encoding", "binary").lower() != "binary":
            raise StatementError(f"part {index}", "Content-Transfer-Encoding must be binary")
        actual = hashlib.sha256(part.body).hexdigest()
        if actual != declared.lower():
            raise StatementError(f"part {index}", f"X-Experience-API-Hash {declared} does not match its content")
        attachments[actual] = AttachmentPart(part.headers.get("content-type", "application/octet-stream"), part.body)
    return first.body, attachments


def build_multipart(json_body: bytes, attachments: Sequence[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/mixed response: the statement JSON, then each (sha2, content type, content)."""
    boundary = uuid.uuid4().hex
    out = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(), json_body, b"\r\n"]
    for sha2, content_type, content in attachments:
        out.append(
            f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode()
        )
        out.extend([content, b"\r\n"])
    out.append(f"--{boundary}--".encode())
    return b"".join(out), f"multipart/mixed; boundary={boundary}"
