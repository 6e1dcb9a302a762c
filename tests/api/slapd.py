"""A real OpenLDAP ``slapd`` for tests: temp config (``slapd -f``), data loaded with ``slapadd``, own port.

The directory holds ``ou=people`` (ada: teachers, bob: pupils, eve: no group) and
``ou=groups`` (groupOfNames with ``member`` DNs), all with the password ``PASSWORD``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SUFFIX = "dc=pathwise,dc=test"
PASSWORD = "directory-pass-1"
PEOPLE = {"ada": ("Ada Teacher", "teachers"), "bob": ("Bob Pupil", "pupils"), "eve": ("Eve Nogroup", None)}

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {root}/slapd.pid
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "cn=admin,{suffix}"
rootpw admin-secret
directory {root}/db
access to attrs=userPassword by self read by anonymous auth by * none
access to * by users read by * none
"""


def _ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: pathwise\no: Pathwise test\n",
        f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n",
    ]
    for uid, (name, _) in PEOPLE.items():
        entries.append(
            f"dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\n"
            f"sn: {name.split()[-1]}\nmail: {uid}@directory.test\nuserPassword: {PASSWORD}\n"
        )
    for group in ("teachers", "pupils"):
        members = "".join(f"member: uid={u},ou=people,{SUFFIX}\n" for u, (_, g) in PEOPLE.items() if g == group)
        entries.append(f"dn: cn={group},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {group}\n{members}")
    return "\n".join(entries)


def find_slapd() -> str:
    path = shutil.which("slapd") or ("/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None)
    if path is None:
        pytest.skip("slapd not found: install the Debian packages slapd and ldap-utils (.ci/run does)")
    return path


@contextmanager
def run_slapd(root: Path, port: int) -> Iterator[str]:
    """Start slapd on 127.0.0.1:``port`` with a fresh database; yield its ldap:// URL; stop it afterwards."""
    slapd = find_slapd()
    (root / "db").mkdir(parents=True)
    conf = root / "slapd.conf"
    conf.write_text(CONFIG.format(root=root, suffix=SUFFIX))
    (root / "data.ldif").write_text(_ldif())
    slapadd = Path(slapd).with_name("slapadd")
    subprocess.run([str(slapadd), "-f", str(conf), "-l", str(root / "data.ldif")], check=True, capture_output=True)
    url = f"ldap://127.0.0.1:{port}"
    proc = subprocess.Popen([slapd, "-f", str(conf), "-h", f"{url}/", "-d", "0"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"slapd exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"slapd did not listen on port {port}") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
