"""Course media behind authentication, with short-lived signed URLs for ``<video src>`` and ``<img src>``.

A media element cannot send an ``Authorization`` header, so the activity API hands the web app a
URL signed for the reader: ``/v1/media/{key}?u=<user>&exp=<unix time>&sig=<HMAC-SHA256>`` over
``key``, ``u`` and ``exp`` with the app secret. The URL names its reader because the route checks
again, on every request, that this user may still read the course the media belongs to; a leaked
URL therefore works only for a user who could fetch the file anyway, and only until ``exp``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_api.domain.assignments.storage import BlobStore
from platform_api.domain.learning.models import MediaAsset

KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")
MEDIA_PATH = "/v1/media/"


def media_store(home: Path) -> BlobStore:
    return BlobStore(home / "media")


def _signature(secret: str, key: str, user_id: int, expires: int) -> str:
    message = f"media:{key}:{user_id}:{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_url(secret: str, key: str, user_id: int, ttl_s: int, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + ttl_s)
    query = urlencode({"u": user_id, "exp": expires, "sig": _signature(secret, key, user_id, expires)})
    return f"{MEDIA_PATH}{quote(key)}?{query}"


def check_signature(secret: str, key: str, user_id: int, expires: int, sig: str) -> str | None:
    """None when the signature is good and current, else the reason (a sentence)."""
    # bytes, not str: compare_digest refuses a str with non-ASCII characters, which a URL can carry
    if not hmac.compare_digest(_signature(secret, key, user_id, expires).encode(), sig.encode()):
        return "The media signature does not match this URL."
    if expires < time.time():
        return "The signed media URL has expired; reload the page for a fresh one."
    return None


def add_media(session: Session, home: Path, key: str, course_id: int, content: bytes, content_type: str) -> MediaAsset:
    """Store (or replace) ``key`` for ``course_id``; the caller commits."""
    if not KEY.match(key):
        raise ValueError(f"media key {key!r} must be lower-case letters, digits, '.', '_' or '-'")
    sha = media_store(home).put(content)
    row = session.get(MediaAsset, key)
    if row is None:
        row = MediaAsset(key=key, course_id=course_id)
        session.add(row)
    row.course_id, row.content_type, row.sha256, row.size = course_id, content_type, sha, len(content)
    session.flush()
    return row


#: What the studio may upload, by extension: the media type stored and a check on the bytes themselves,
#: so a renamed file is refused (415) instead of being served under a type it does not have.
UPLOAD_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".webm": ("video/webm", (b"\x1a\x45\xdf\xa3",)),
    ".mp4": ("video/mp4", ()),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".ipynb": ("application/x-ipynb+json", ()),
}


class UploadRefused(ValueError):
    """An upload whose type is not accepted; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def sniff_upload(filename: str, content: bytes) -> str:
    """The media type of an upload whose extension and content agree, else :class:`UploadRefused`."""
    suffix = Path(filename.replace("\\", "/")).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        accepted = ", ".join(sorted(UPLOAD_TYPES))
        raise UploadRefused(415, f"files ending {suffix or '(no extension)'!r} are not accepted; use one of {accepted}")
    media_type, signatures = UPLOAD_TYPES[suffix]
    if suffix == ".mp4":
        good = content[4:8] == b"ftyp"
    elif suffix == ".webp":
        good = content.startswith(b"RIFF") and content[8:12] == b"WEBP"
    elif suffix == ".ipynb":
        check_notebook(content)
        good = True
    else:
        good = any(content.startswith(sig) for sig in signatures)
    if not good:
        raise UploadRefused(415, f"the content of this {suffix} file is not {media_type}")
    return media_type


def check_notebook(content: bytes) -> None:
    """A Jupyter notebook in nbformat 4: JSON with ``nbformat`` 4 and a list of cells (422 otherwise)."""
    try:
        notebook = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UploadRefused(422, "the .ipynb file is not JSON; export the notebook from Jupyter again") from None
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4:
        found = notebook.get("nbformat") if isinstance(notebook, dict) else None
        raise UploadRefused(422, f"the notebook must be nbformat version 4 (this one says {found!r})")
    cells = notebook.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) and "cell_type" in c for c in cells):
        raise UploadRefused(422, "the notebook has no list of cells, each with a cell_type")


def upload_key(filename: str, course_id: int, content: bytes) -> str:
    """A media key from the file's name and the first hex digits of a hash of the course and the bytes.

    The same file uploaded again to the same course gets the same key (nothing is stored twice); the same
    file uploaded to another course gets a key of its own, since each course's media follow its access.
    """
    sha256 = hashlib.sha256(f"{course_id}:".encode() + content).hexdigest()
    path = Path(filename.replace("\\", "/"))
    stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:80] or "file"
    return f"{stem}-{sha256[:10]}{path.suffix.lower()}"


def media_keys(metadata: dict[str, Any]) -> list[str]:
    keys = metadata.get("media") if isinstance(metadata, dict) else None
    return [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []


def signed_urls(
    session: Session, secret: str, metadata: dict[str, Any], user_id: int, ttl_s: int, course_id: int
) -> dict[str, str]:
    """Signed URLs for the media an activity's metadata names (those of its own course only)."""
    keys = media_keys(metadata)
    if not keys:
        return {}
    known = set(
        session.scalars(select(MediaAsset.key).where(MediaAsset.key.in_(keys), MediaAsset.course_id == course_id))
    )
    return {k: signed_url(secret, k, user_id, ttl_s) for k in keys if k in known}
