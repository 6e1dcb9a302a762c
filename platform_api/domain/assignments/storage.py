"""Submitted files: type sniffing and a content-addressed store under ``PATHWISE_HOME``.

A file is stored at ``submissions/<aa>/<bb>/<sha256>``; the client's file name is kept only
as display text in the database and never becomes part of a path. Writes go to a temporary
file in the same folder and are renamed into place, so a reader never sees half a file.

The sniffer is hand-written because the accepted set is tiny and strict (text must be valid
UTF-8 without NUL bytes, binary formats must start with their signature), which a general
libmagic lookup does not check, and libmagic is not installed here.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from platform_api.core.errors import ProblemError


@dataclass(frozen=True)
class FileType:
    name: str
    media_type: str
    extensions: tuple[str, ...]
    signature: bytes | None = None  # binary formats: the leading bytes; None means UTF-8 text


FILE_TYPES: dict[str, FileType] = {
    t.name: t
    for t in (
        FileType("python", "text/x-python", (".py",)),
        FileType("text", "text/plain", (".txt", ".md")),
        FileType("pdf", "application/pdf", (".pdf",), b"%PDF-"),
        FileType("png", "image/png", (".png",), b"\x89PNG\r\n\x1a\n"),
        FileType("zip", "application/zip", (".zip",), b"PK\x03\x04"),
    )
}
#: What each item kind accepts when an assignment names no types of its own.
DEFAULT_TYPES = {"code": ["python"], "essay": ["text"]}


def _is_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def sniff(filename: str, content: bytes, allowed: list[str]) -> FileType:
    """The allowed type that both the extension and the content agree on, else a 415 problem."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    by_extension = [FILE_TYPES[n] for n in allowed if suffix in FILE_TYPES[n].extensions]
    if not by_extension:
        accepted = sorted(e for n in allowed for e in FILE_TYPES[n].extensions)
        raise ProblemError(415, f"file extension {suffix or '(none)'!r} is not accepted here; use one of {accepted}")
    for kind in by_extension:
        if kind.signature is None and _is_text(content):
            return kind
        if kind.signature is not None and content.startswith(kind.signature):
            return kind
    expected = by_extension[0]
    what = "UTF-8 text without NUL bytes" if expected.signature is None else f"a {expected.name} file"
    raise ProblemError(415, f"the content of {suffix!r} upload is not {what}", file_type=expected.name)


def display_name(filename: str) -> str:
    """The last path segment of the client's name, cut to 255 characters, for display only."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    return "".join(ch for ch in name if ch.isprintable())[:255]


class BlobStore:
    """Content-addressed files: the same bytes are stored once, under their SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        target = self.path_of(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).chmod(0o440)
            Path(tmp).replace(target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path_of(sha256).read_bytes()
