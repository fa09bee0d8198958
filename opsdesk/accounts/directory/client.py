"""Talks to the LDAP / Active Directory server with ldap3 (pure Python, no C library).

Sign-in is search-then-bind: the service account finds the person's entry by user name
(escaped, so a name cannot change the filter), then a second connection binds as that entry
with the typed password. The directory alone checks the password; we never see its hash.
An empty password is refused before any bind: many servers treat a simple bind without a
password as an anonymous bind and report success.
"""

import logging
import ssl
from dataclasses import dataclass

from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from .config import DirectoryConfig, dn_normalise

log = logging.getLogger(__name__)
PAGE_SIZE = 500


class DirectoryUnavailable(Exception):
    """No directory server answered, or the service account was refused (configuration)."""


@dataclass(frozen=True)
class DirectoryEntry:
    """A person as the directory describes them: their entry, our fields, their groups."""

    dn: str
    username: str
    values: dict[str, str]  # our field name -> the attribute's first value ("" when absent)
    groups: frozenset[str]  # normalised DNs of every group they are in


def _servers(config: DirectoryConfig) -> list[Server]:
    tls = Tls(validate=ssl.CERT_REQUIRED if config.tls_verify else ssl.CERT_NONE,
              ca_certs_file=config.ca_file or None)
    return [Server(url, use_ssl=url.lower().startswith("ldaps://"), tls=tls, get_info=NONE,
                   connect_timeout=config.timeout) for url in config.urls]


def _connect(config: DirectoryConfig, user: str, password: str) -> Connection | None:
    """A connection bound as `user`; None when the server refused the credentials.

    The servers are tried in order; DirectoryUnavailable when none of them answers.
    """
    errors = []
    for server in _servers(config):
        conn = Connection(server, user=user or None, password=password or None,
                          receive_timeout=config.timeout, read_only=True, raise_exceptions=False)
        try:
            conn.open()
            if config.start_tls and not server.ssl:
                if not conn.start_tls():
                    raise DirectoryUnavailable(f"StartTLS refused by {server.host}")
            if conn.bind():
                return conn
            result = conn.result or {}
            conn.unbind()
            if result.get("result") == 49:  # invalidCredentials
                return None
            raise DirectoryUnavailable(f"{server.host}: bind failed: {result.get('description')}")
        except (LDAPException, OSError) as error:
            errors.append(f"{server.host}: {error}")
            log.warning("directory server %s unavailable: %s", server.host, error)
    raise DirectoryUnavailable("; ".join(errors) or "no directory server configured")


def service_connection(config: DirectoryConfig) -> Connection:
    """Bound as the service account (anonymous when no bind DN is set)."""
    conn = _connect(config, config.bind_dn, config.bind_password)
    if conn is None:
        raise DirectoryUnavailable("the directory refused OPSDESK_LDAP_BIND_DN and its password")
    return conn


def password_check(config: DirectoryConfig, dn: str, password: str) -> bool:
    """Whether the directory accepts this password for this entry."""
    if not password:
        return False
    conn = _connect(config, dn, password)
    if conn is None:
        return False
    conn.unbind()
    return True


def entry_find(config: DirectoryConfig, conn: Connection, username: str) -> DirectoryEntry | None:
    """The one person whose user name is `username`; None if none or several match."""
    name_filter = f"({config.username_attribute}={escape_filter_chars(username)})"
    conn.search(config.user_search_base, f"(&{config.user_filter}{name_filter})",
                search_scope=SUBTREE, attributes=_attributes(config), size_limit=2)
    found = [r for r in conn.response or [] if r.get("type") == "searchResEntry"]
    if len(found) != 1:
        return None
    return _entry(config, conn, found[0])


def entries_all(config: DirectoryConfig, conn: Connection):
    """Every person the user filter matches (a generator; their groups looked up one by one).

    The people are read completely first: the paged search reads its next-page cookie from
    the connection's last result, which each person's group search would overwrite.
    """
    records = list(conn.extend.standard.paged_search(
        config.user_search_base, config.user_filter, search_scope=SUBTREE,
        attributes=_attributes(config), paged_size=PAGE_SIZE, generator=True))
    if conn.result and conn.result.get("result") not in (0, None):
        raise DirectoryUnavailable(f"search failed: {conn.result.get('description')}")
    for record in records:
        if record.get("type") == "searchResEntry":
            entry = _entry(config, conn, record)
            if entry.username:
                yield entry


def _attributes(config: DirectoryConfig) -> list[str]:
    return sorted({config.username_attribute, *config.attributes.values()})


def _entry(config: DirectoryConfig, conn: Connection, record: dict) -> DirectoryEntry:
    attributes = record.get("attributes") or {}
    values = {ours: _first(attributes, theirs) for ours, theirs in config.attributes.items()}
    username = _first(attributes, config.username_attribute)
    return DirectoryEntry(dn=record["dn"], username=username, values=values,
                          groups=_groups(config, conn, record["dn"], username))


def _groups(config: DirectoryConfig, conn: Connection, dn: str, username: str) -> frozenset[str]:
    group_filter = config.group_filter.replace("{dn}", escape_filter_chars(dn)).replace(
        "{username}", escape_filter_chars(username))
    found = set()
    pages = conn.extend.standard.paged_search(
        config.group_search_base, group_filter, search_scope=SUBTREE, attributes=["1.1"],
        paged_size=PAGE_SIZE, generator=True)
    for record in pages:
        if record.get("type") == "searchResEntry":
            found.add(dn_normalise(record["dn"]))
    return frozenset(found)


def _first(attributes: dict, name: str) -> str:
    """The first value of an attribute, as text ("" when the entry has none)."""
    for key, value in attributes.items():
        if key.casefold() == name.casefold():
            if isinstance(value, (list, tuple)):
                value = value[0] if value else ""
            if isinstance(value, bytes):
                value = value.decode("utf-8", errors="replace")
            return str(value).strip()
    return ""

