"""Signed statements (xAPI 1.0.3 Data 2.6): check each JWS signature attachment before storing.

A signature is a JWS (compact serialization, parsed with PyJWT) sent as an attachment part
with usageType ``.../attachments/signature`` and contentType ``application/octet-stream``.
Its algorithm must be RS256, RS384 or RS512, its payload must be the statement as it was
before the signature was attached, and when the header carries an X.509 chain (``x5c``)
the signature must verify against the first certificate. Anything else is a 400.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from jwt.api_jws import PyJWS
from jwt.exceptions import InvalidTokenError

from platform_api.lrs.equivalence import comparable
from platform_api.lrs.validation import StatementError

if TYPE_CHECKING:
    from platform_api.lrs.store import AttachmentPart

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_CONTENT_TYPE = "application/octet-stream"
ALGORITHMS = ("RS256", "RS384", "RS512")
#: What the signer could not know: the LRS sets these, and the signature attachment comes after signing.
UNSIGNED = ("stored", "authority", "version", "attachments")


def _unsigned_view(statement: dict[str, Any]) -> dict[str, Any]:
    body = comparable(statement, ignore=UNSIGNED)
    others = [a for a in statement.get("attachments", ()) if a.get("usageType") != SIGNATURE_USAGE]
    if others:
        body["attachments"] = others
    return body


def _certificate_key(chain: Any, where: str) -> Any:
    from cryptography import x509

    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise StatementError(where, "the JWS header's x5c must be a non-empty array of base64 certificates")
    try:
        return x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True)).public_key()
    except (binascii.Error, ValueError) as error:
        raise StatementError(where, f"the JWS header's x5c certificate cannot be read: {error}") from None


def verify_signature(statement: dict[str, Any], token: bytes, where: str) -> None:
    """Raise :class:`StatementError` unless ``token`` is a well-formed signature of ``statement``."""
    jws = PyJWS(algorithms=list(ALGORITHMS))
    try:
        header = jws.get_unverified_header(token)
    except InvalidTokenError as error:
        raise StatementError(where, f"is not a JWS in compact serialization: {error}") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise StatementError(where, f"JWS algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
    try:
        if "x5c" in header:
            key = _certificate_key(header["x5c"], where)
            decoded = jws.decode_complete(token, key=key, algorithms=[algorithm])
        else:
            decoded = jws.decode_complete(token, options={"verify_signature": False})
    except InvalidTokenError as error:
        raise StatementError(where, f"the JWS signature does not verify: {error}") from None
    try:
        signed = orjson.loads(decoded["payload"])
    except orjson.JSONDecodeError as error:
        raise StatementError(where, f"the JWS payload is not a JSON statement: {error}") from None
    if not isinstance(signed, dict):
        raise StatementError(where, "the JWS payload must be a JSON object (the signed statement)")
    if "id" in signed and str(signed["id"]).lower() != statement["id"]:
        raise StatementError(where, f"the signed statement's id {signed['id']!r} differs from {statement['id']!r}")
    try:
        same = _unsigned_view({**signed, "id": statement["id"]}) == _unsigned_view(statement)
    except StatementError:
        same = False
    if not same:
        raise StatementError(where, "the JWS payload is not the statement it is attached to")


def verify_signatures(statements: Sequence[dict[str, Any]], parts: Mapping[str, AttachmentPart]) -> None:
    """Check every signature attachment of every statement (its part must be in the request)."""
    for index, statement in enumerate(statements):
        for position, attachment in enumerate(statement.get("attachments", ())):
            if attachment["usageType"] != SIGNATURE_USAGE:
                continue
            where = f"statement[{index}].attachments[{position}]"
            if attachment["contentType"].split(";")[0].strip().lower() != SIGNATURE_CONTENT_TYPE:
                raise StatementError(
                    f"{where}.contentType",
                    f"a signature attachment must be {SIGNATURE_CONTENT_TYPE}, got {attachment['contentType']!r}",
                )
            part = parts.get(attachment["sha2"])
            if part is None:
                raise StatementError(where, "a signature must be sent as a multipart/mixed part of the request")
            verify_signature(statement, part.content, where)
