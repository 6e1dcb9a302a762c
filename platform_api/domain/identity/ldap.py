"""LDAP / Active Directory: bind as the user with ldap3, then read their e-mail and groups."""

from __future__ import annotations

import math
import re

from ldap3 import BASE, SUBTREE, Connection, Server
from ldap3.core.exceptions import LDAPCommunicationError, LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from pathwise.logs import get_logger
from platform_api.core.config import LDAPSettings
from platform_api.core.errors import ProblemError
from platform_api.domain.identity.external import ExternalIdentity

log = get_logger(__name__)
#: Login names allowed into a DN; anything else is refused before the directory is asked.
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")


class InvalidCredentials(Exception):
    """The directory refused the bind (or the name or password cannot be valid)."""


def authenticate(config: LDAPSettings, username: str, password: str) -> ExternalIdentity:
    """Bind as ``username``; raise :class:`InvalidCredentials`, or a 503 problem when the directory is down.

    An empty password is refused here: LDAP treats it as an unauthenticated bind, which succeeds.
    """
    if not USERNAME.match(username) or not password:
        raise InvalidCredentials
    dn = config.user_dn_template.format(username=escape_rdn(username))
    server = Server(config.url, connect_timeout=config.timeout_s)
    try:
        conn = Connection(
            server, user=dn, password=password, receive_timeout=math.ceil(config.timeout_s), raise_exceptions=False
        )
        if not conn.bind():
            raise InvalidCredentials
        try:
            conn.search(dn, "(objectClass=*)", BASE, attributes=[config.email_attribute, config.name_attribute])
            entry = conn.entries[0].entry_attributes_as_dict if conn.entries else {}
            member = config.group_filter.format(dn=escape_filter_chars(dn), username=escape_filter_chars(username))
            conn.search(config.group_base, member, SUBTREE, attributes=["cn"])
            groups = frozenset(str(e.cn.value) for e in conn.entries)
        finally:
            conn.unbind()
    except LDAPCommunicationError as error:
        log.warning("directory unreachable", url=config.url, error=str(error))
        raise ProblemError(503, "the directory server is unreachable; try again later") from None
    except LDAPException as error:  # e.g. a group filter naming an attribute the directory lacks
        log.error("directory query failed", url=config.url, error=str(error))
        raise ProblemError(502, f"the directory server refused the query: {error}") from None
    email = _first(entry.get(config.email_attribute))
    return ExternalIdentity(
        external_id=f"ldap:{username.lower()}",
        email=email,
        display_name=_first(entry.get(config.name_attribute)) or username,
        groups=groups,
    )


def _first(values: object) -> str:
    return str(values[0]) if isinstance(values, list) and values else ""
