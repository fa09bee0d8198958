"""The LDAP / Active Directory settings (settings.OPSDESK_LDAP), read and checked once per use.

Read at call time, not import time, so tests and a changed environment take effect, and a
mistake names the environment variable to fix.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..roles import ROLE_FIELDS

# Our User fields an attribute may fill, and department, which names an Organisation.
SYNCED_FIELDS = ("display_name", "first_name", "last_name", "email", "phone", "department")


@dataclass(frozen=True)
class DirectoryConfig:
    """Where the directory is, how to search it and what its groups mean here."""

    urls: tuple[str, ...]
    start_tls: bool
    ca_file: str
    tls_verify: bool
    bind_dn: str
    bind_password: str
    user_search_base: str
    user_filter: str
    username_attribute: str
    attributes: dict[str, str]
    create_departments: bool
    group_search_base: str
    group_filter: str
    role_groups: dict[str, frozenset[str]] = field(default_factory=dict)  # role -> DNs
    support_groups: dict[str, frozenset[str]] = field(default_factory=dict)  # code -> DNs
    timeout: int = 10
    deactivate_sso_accounts: bool = False  # also switch off gone people who sign in by SSO

    @property
    def mapped_group_dns(self) -> frozenset[str]:
        """Every group DN that grants something here (normalised)."""
        dns = set()
        for group_dns in (*self.role_groups.values(), *self.support_groups.values()):
            dns |= group_dns
        return frozenset(dns)


def directory_config() -> DirectoryConfig | None:
    """The configuration, or None when OPSDESK_LDAP_URL is empty (directory sign-in off)."""
    raw = getattr(settings, "OPSDESK_LDAP", {}) or {}
    urls = tuple(u.strip() for u in raw.get("URL", "").split(",") if u.strip())
    if not urls:
        return None
    if not raw.get("USER_SEARCH_BASE"):
        raise ImproperlyConfigured("OPSDESK_LDAP_URL is set: set OPSDESK_LDAP_USER_SEARCH_BASE "
                                   "too, e.g. ou=people,dc=example,dc=com.")
    return DirectoryConfig(
        urls=urls, start_tls=bool(raw.get("START_TLS")), ca_file=raw.get("CA_FILE", ""),
        tls_verify=bool(raw.get("TLS_VERIFY", True)), bind_dn=raw.get("BIND_DN", ""),
        bind_password=_bind_password(raw), user_search_base=raw["USER_SEARCH_BASE"],
        user_filter=raw.get("USER_FILTER") or "(objectClass=inetOrgPerson)",
        username_attribute=raw.get("USERNAME_ATTRIBUTE") or "uid",
        attributes=_attribute_map(raw.get("ATTRIBUTES", "")),
        create_departments=bool(raw.get("CREATE_DEPARTMENTS", True)),
        group_search_base=raw.get("GROUP_SEARCH_BASE") or raw["USER_SEARCH_BASE"],
        group_filter=raw.get("GROUP_FILTER") or "(member={dn})",
        role_groups=_group_map(raw.get("ROLE_GROUPS", ""), "OPSDESK_LDAP_ROLE_GROUPS",
                               valid={r.value for r in ROLE_FIELDS}),
        support_groups=_group_map(raw.get("SUPPORT_GROUPS", ""), "OPSDESK_LDAP_SUPPORT_GROUPS"),
        timeout=int(raw.get("TIMEOUT") or 10),
        deactivate_sso_accounts=bool(raw.get("DEACTIVATE_SSO_ACCOUNTS", False)),
    )


def _bind_password(raw: dict) -> str:
    path = raw.get("BIND_PASSWORD_FILE", "")
    if not path:
        return raw.get("BIND_PASSWORD", "")
    try:
        return Path(path).read_text().strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"OPSDESK_LDAP_BIND_PASSWORD_FILE={path} cannot be read: {error}") from error


def _attribute_map(text: str) -> dict[str, str]:
    """"display_name=displayName,email=mail" -> {"display_name": "displayName", ...}."""
    mapping = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        ours, _, theirs = item.partition("=")
        ours, theirs = ours.strip(), theirs.strip()
        if ours not in SYNCED_FIELDS or not theirs:
            raise ImproperlyConfigured(
                f"OPSDESK_LDAP_ATTRIBUTES: “{item}” should be field=attribute with a field "
                f"among {', '.join(SYNCED_FIELDS)}.")
        mapping[ours] = theirs
    return mapping


def _group_map(text: str, name: str, valid: set[str] | None = None) -> dict[str, frozenset[str]]:
    """"desk=cn=desk,ou=groups,...;admin=cn=..." -> {"desk": {normalised DN}, ...}."""
    mapping: dict[str, set[str]] = {}
    for item in filter(None, (p.strip() for p in text.split(";"))):
        key, _, dn = item.partition("=")
        key, dn = key.strip(), dn.strip()
        if not dn or "=" not in dn or (valid is not None and key not in valid):
            allowed = f" ({', '.join(sorted(valid))})" if valid else ""
            raise ImproperlyConfigured(
                f"{name}: “{item}” should be name=group DN{allowed}, entries separated by “;”.")
        mapping.setdefault(key, set()).add(dn_normalise(dn))
    return {key: frozenset(dns) for key, dns in mapping.items()}


def dn_normalise(dn: str) -> str:
    """One spelling per DN, to compare them: attribute names and values in lower case,
    no spaces around separators (LDAP compares these case-insensitively)."""
    from ldap3.utils.dn import parse_dn

    try:
        parts = parse_dn(dn, escape=False, strip=True)
    except Exception:  # ldap3 raises its own exception types for malformed DNs
        return dn.strip().casefold()
    return ",".join(f"{attr.strip().casefold()}={value.strip().casefold()}"
                    for attr, value, _sep in parts)


