"""A throw-away OpenLDAP server for tests: Debian's slapd in a temporary directory.

It listens on 127.0.0.1 only, on free ports: plain LDAP (StartTLS offered) and LDAPS, with a
self-signed certificate for 127.0.0.1 and localhost. The configuration is a slapd.conf
(`slapd -f`), the database an MDB under the directory, seeded offline with slapadd before
the server starts. ACLs are a company's usual ones: passwords can only be bound against,
only signed-in entries (the service account, people) read the tree, nobody reads anonymously.

The seeded directory (`SEED`): ou=people with ASCII and Chinese names, ou=groups with
groupOfNames groups, ou=services with the opsdesk service account. Tests that change the
directory add their own people (`person_add`) and group memberships, so tests sharing one
server (one per pytest-xdist worker) never see each other's changes.
"""

import base64
import hashlib
import itertools
import os
import shutil
import subprocess
from dataclasses import dataclass, field

from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, Connection, Server
from ldap3.utils.conv import escape_filter_chars

from opsdesk.core.testing.daemon import Daemon, self_signed_write
from opsdesk.core.testing.daemon import free_port  # noqa: F401  (tests import it from here)

SUFFIX = "dc=opsdesk,dc=test"
ADMIN_DN, ADMIN_PASSWORD = f"cn=admin,{SUFFIX}", "slapd-admin-secret"
SERVICE_DN, SERVICE_PASSWORD = f"cn=opsdesk,ou=services,{SUFFIX}", "service-secret"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"


def slapd_binary() -> str | None:
    return shutil.which("slapd") or shutil.which("slapd", path="/usr/sbin:/sbin")


def group_dn(name: str) -> str:
    return f"cn={name},{GROUPS}"


def person_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


@dataclass
class Person:
    """A directory person as the tests seed them."""

    uid: str
    password: str
    cn: str
    sn: str
    given_name: str = ""
    display_name: str = ""
    mail: str = ""
    phone: str = ""
    department: str = ""
    groups: tuple[str, ...] = field(default=())


# The seeded company: a desk agent, an engineer in two groups, a manager with a Chinese name,
# an administrator, and a person in no group.
SEED = (
    Person("alice", "Alice-pass-1", "Alice Liddell", "Liddell", "Alice", "Alice Liddell",
           "alice@opsdesk.test", "+86 10 5555 0101", "IT", ("servicedesk",)),
    Person("bob", "Bob-pass-2", "Bob Stone", "Stone", "Bob", "Bob Stone", "bob@opsdesk.test",
           "+86 10 5555 0102", "IT", ("engineers", "network")),
    Person("zhangwei", "Zhang-wei-3", "张伟", "张", "伟", "张伟", "zhangwei@opsdesk.test",
           "+86 10 5555 0103", "运维部", ("managers",)),
    Person("root-admin", "Root-admin-4", "Root Admin", "Admin", "Root", "Root Admin",
           "root@opsdesk.test", "", "IT", ("admins",)),
    Person("carol", "Carol-pass-5", "Carol White", "White", "Carol", "Carol White",
           "carol@opsdesk.test", "", "Finance"),
)
SEED_GROUPS = ("servicedesk", "engineers", "network", "managers", "owners", "admins")


class Slapd(Daemon):
    """One running slapd; `start()` and `stop()` it; `person_add`, `member_add`... per test."""

    name = "slapd"
    install_hint = "apt-get install slapd ldap-utils"
    start_seconds = 15

    def __init__(self, binary: str | None = None):
        super().__init__(binary or slapd_binary())
        self._uids = itertools.count(1)

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def ca_file(self) -> str:
        return str(self.directory / "cert.pem")

    def _command(self) -> list[str]:
        return [self.binary, "-d", "0", "-f", str(self.directory / "slapd.conf"),
                "-h", f"{self.url}/ {self.tls_url}/"]

    def settings(self, **overrides) -> dict:
        """settings.OPSDESK_LDAP for this server (plain LDAP; see `overrides`)."""
        values = {
            "URL": self.url, "START_TLS": False, "CA_FILE": "", "TLS_VERIFY": True,
            "BIND_DN": SERVICE_DN, "BIND_PASSWORD": SERVICE_PASSWORD, "BIND_PASSWORD_FILE": "",
            "USER_SEARCH_BASE": PEOPLE, "USER_FILTER": "(objectClass=inetOrgPerson)",
            "USERNAME_ATTRIBUTE": "uid",
            "ATTRIBUTES": "display_name=displayName,first_name=givenName,last_name=sn,"
                          "email=mail,phone=telephoneNumber,department=departmentNumber",
            "CREATE_DEPARTMENTS": True, "GROUP_SEARCH_BASE": GROUPS,
            "GROUP_FILTER": "(|(member={dn})(uniqueMember={dn}))",
            "ROLE_GROUPS": ";".join([
                f"desk={group_dn('servicedesk')}", f"engineer={group_dn('engineers')}",
                f"manager={group_dn('managers')}", f"process_owner={group_dn('owners')}",
                f"admin={group_dn('admins')}"]),
            "SUPPORT_GROUPS": f"NET={group_dn('network')}",
            "TIMEOUT": 5,
        }
        values.update(overrides)
        return values

    # --- changing the directory during a test ---------------------------------------------

    def admin(self) -> Connection:
        """A connection bound as the directory's root DN (use it with `with`)."""
        return Connection(Server(self.url), ADMIN_DN, ADMIN_PASSWORD, auto_bind=True,
                          raise_exceptions=True)

    def person_add(self, prefix: str = "p", *, groups: tuple[str, ...] = (), **fields) -> Person:
        """A new person with a unique uid (and a strong password), in `groups`."""
        uid = f"{prefix}{os.getpid()}x{next(self._uids)}"
        person = Person(uid=uid, password=fields.pop("password", f"Pw-{uid}-9"),
                        cn=fields.pop("cn", uid), sn=fields.pop("sn", uid), groups=groups,
                        **fields)
        with self.admin() as conn:
            conn.add(person_dn(uid), attributes=_person_attributes(person))
            for group in groups:
                conn.modify(group_dn(group), {"member": [(MODIFY_ADD, [person_dn(uid)])]})
        return person

    def person_delete(self, uid: str) -> None:
        """Delete the person and take them out of every group they were in."""
        with self.admin() as conn:
            conn.search(GROUPS, f"(member={escape_filter_chars(person_dn(uid))})",
                        attributes=["1.1"])
            for group in [entry.entry_dn for entry in conn.entries]:
                conn.modify(group, {"member": [(MODIFY_DELETE, [person_dn(uid)])]})
            conn.delete(person_dn(uid))

    def person_restore(self, person: Person) -> None:
        """Put a deleted person back (without groups), as a re-hire would."""
        with self.admin() as conn:
            conn.add(person_dn(person.uid), attributes=_person_attributes(person))

    def person_modify(self, uid: str, **attributes) -> None:
        """Replace attributes, by LDAP name (e.g. displayName="...")."""
        with self.admin() as conn:
            conn.modify(person_dn(uid), {k: [(MODIFY_REPLACE, [v] if v else [])]
                                         for k, v in attributes.items()})

    def member_remove(self, uid: str, group: str) -> None:
        with self.admin() as conn:
            conn.modify(group_dn(group), {"member": [(MODIFY_DELETE, [person_dn(uid)])]})

    def member_add(self, uid: str, group: str) -> None:
        with self.admin() as conn:
            conn.modify(group_dn(group), {"member": [(MODIFY_ADD, [person_dn(uid)])]})

    # --- setting up -------------------------------------------------------------------------

    def _prepare(self) -> None:
        (self.directory / "db").mkdir()
        self_signed_write(self.directory / "cert.pem", self.directory / "key.pem")
        (self.directory / "slapd.conf").write_text(CONFIG.format(
            dir=self.directory, suffix=SUFFIX, admin_dn=ADMIN_DN, admin_pw=ADMIN_PASSWORD,
            service_dn=SERVICE_DN))
        (self.directory / "seed.ldif").write_text(seed_ldif(), encoding="utf-8")
        result = subprocess.run(
            [self._slapadd(), "-f", str(self.directory / "slapd.conf"),
             "-l", str(self.directory / "seed.ldif")],
            capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"slapadd failed:\n{result.stderr}")

    def _slapadd(self) -> str:
        found = shutil.which("slapadd") or shutil.which("slapadd", path="/usr/sbin:/sbin")
        return found or self.binary  # slapadd is slapd under another name


def ssha(password: str) -> str:
    """{SSHA} hash, as slappasswd writes it."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _person_attributes(person: Person) -> dict:
    attributes = {
        "objectClass": ["inetOrgPerson", "organizationalPerson", "person", "top"],
        "uid": person.uid, "cn": person.cn, "sn": person.sn,
        "userPassword": ssha(person.password),
        "givenName": person.given_name, "displayName": person.display_name,
        "mail": person.mail, "telephoneNumber": person.phone,
        "departmentNumber": person.department,
    }
    return {k: v for k, v in attributes.items() if v}


def seed_ldif() -> str:
    """The seeded tree as LDIF; non-ASCII values base64-encoded (`attr:: ...`) as LDIF wants."""
    entries = [
        {"dn": SUFFIX, "objectClass": ["dcObject", "organization"], "dc": "opsdesk",
         "o": "opsdesk test company"},
        *({"dn": f"ou={ou},{SUFFIX}", "objectClass": ["organizationalUnit"], "ou": ou}
          for ou in ("people", "groups", "services")),
        {"dn": SERVICE_DN, "objectClass": ["organizationalRole", "simpleSecurityObject"],
         "cn": "opsdesk", "userPassword": ssha(SERVICE_PASSWORD)},
        *({"dn": person_dn(p.uid), **_person_attributes(p)} for p in SEED),
    ]
    for group in SEED_GROUPS:
        members = [person_dn(p.uid) for p in SEED if group in p.groups]
        # groupOfNames needs a member: the service account stands in for an empty group.
        entries.append({"dn": group_dn(group), "objectClass": ["groupOfNames"], "cn": group,
                        "member": members or [SERVICE_DN]})
    return "\n".join(_ldif_entry(entry) for entry in entries)


def _ldif_entry(entry: dict) -> str:
    lines = []
    for key, values in entry.items():
        for value in values if isinstance(values, list) else [values]:
            if value.isascii() and not value.startswith((" ", ":", "<")):
                lines.append(f"{key}: {value}")
            else:
                lines.append(f"{key}:: {base64.b64encode(value.encode()).decode()}")
    return "\n".join(lines) + "\n"


# slapd.conf: core schemas, one MDB database, TLS, and the ACLs a company would set.
CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile {dir}/cert.pem
TLSCertificateKeyFile {dir}/key.pem
TLSCACertificateFile {dir}/cert.pem
disallow bind_anon
require authc
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by users read
  by * none
database mdb
maxsize 104857600
suffix "{suffix}"
rootdn "{admin_dn}"
rootpw {admin_pw}
directory {dir}/db
index objectClass eq
index uid,member eq
"""
