"""HTTP Basic credentials for LRS clients, one set per client and organization."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from features.xapi_vocabulary import ACCOUNT_HOMEPAGE
from platform_api.core.db import utcnow
from platform_api.domain.lrs.models import LRSCredential
from platform_api.lrs.store import Authority

#: Scopes a credential may hold; ``all`` implies the others.
SCOPES = ("all", "statements/write", "statements/read", "state", "profile")
CLIENT_HOMEPAGE = f"{ACCOUNT_HOMEPAGE}/lrs/clients"
#: How long an API worker trusts a resolved credential before asking the database again.
CACHE_TTL_S = 30.0


@dataclass(frozen=True)
class IssuedCredential:
    key: str
    secret: str
    name: str
    tenant_id: int | None
    scopes: list[str]

    @property
    def basic_header(self) -> str:
        return "Basic " + base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()


@dataclass(frozen=True)
class LRSClient:
    """An authenticated client: what it may do and the authority its statements carry."""

    credential_id: int
    name: str
    tenant_id: int | None
    scopes: frozenset[str]

    def can(self, scope: str) -> bool:
        return "all" in self.scopes or scope in self.scopes

    @property
    def authority(self) -> Authority:
        agent: dict[str, Any] = {
            "objectType": "Agent",
            "name": self.name,
            "account": {"homePage": CLIENT_HOMEPAGE, "name": str(self.credential_id)},
        }
        return Authority(agent=agent, tenant_id=self.tenant_id, credential_id=self.credential_id)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_credential(
    session: Session, name: str, *, tenant_id: int | None = None, scopes: list[str] | None = None
) -> IssuedCredential:
    """Issue a new key and secret; only the secret's hash is stored, so show it once."""
    scopes = scopes or ["all"]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    if not name.strip():
        raise ValueError("a credential needs a non-empty name")
    key, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    session.add(LRSCredential(key=key, secret_sha256=_digest(secret), name=name, tenant_id=tenant_id, scopes=scopes))
    session.flush()
    return IssuedCredential(key=key, secret=secret, name=name, tenant_id=tenant_id, scopes=scopes)


def list_credentials(session: Session) -> list[LRSCredential]:
    """Every credential, oldest first (revoked ones included, marked by ``revoked_at``)."""
    return list(session.scalars(select(LRSCredential).order_by(LRSCredential.id)))


def revoke_credential(session: Session, key: str) -> LRSCredential:
    """Revoke by key; raises ``LookupError`` for an unknown key. Revoking twice keeps the first time."""
    row = session.scalar(select(LRSCredential).where(LRSCredential.key == key))
    if row is None:
        raise LookupError(f"no LRS credential with key {key!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


class CredentialCache:
    """Resolves Basic headers to clients, caching lookups briefly so ingest skips a query per request.

    A revocation therefore takes effect within ``ttl_s`` seconds in every API worker.
    """

    def __init__(self, factory: sessionmaker[Session], ttl_s: float = CACHE_TTL_S) -> None:
        self._factory = factory
        self._ttl = ttl_s
        self._cache: dict[str, tuple[float, LRSClient | None]] = {}

    def resolve(self, header: str | None) -> LRSClient | None:
        if not header or not header.startswith("Basic "):
            return None
        hit = self._cache.get(header)
        now = time.monotonic()
        if hit and hit[0] > now:
            return hit[1]
        client = self._lookup(header[6:].strip())
        self._cache[header] = (now + self._ttl, client)
        return client

    def forget(self, credential_id: int) -> None:
        """Drop what this worker cached for a credential, so its revocation holds here at once."""
        stale = [h for h, (_, client) in self._cache.items() if client and client.credential_id == credential_id]
        for header in stale:
            self._cache.pop(header, None)

    def _lookup(self, token: str) -> LRSClient | None:
        try:
            key, _, secret = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        with self._factory() as session:
            row = session.scalar(select(LRSCredential).where(LRSCredential.key == key))
        if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_sha256, _digest(secret)):
            return None
        return LRSClient(row.id, row.name, row.tenant_id, frozenset(row.scopes))
