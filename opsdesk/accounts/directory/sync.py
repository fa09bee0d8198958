"""Keeps our accounts in step with the directory: on each sign-in and in `ldap_sync`.

The directory owns the mapped fields (name, email, phone, department) and whatever its
groups grant. Local-only accounts (no DirectoryAccount) are never changed: a directory
person whose user name belongs to a local account with a usable password, or to a
superuser, is refused rather than merged, so nobody in the directory can take over the
break-glass admin. An administrator hands an existing local account over to the directory
by making its password unusable.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import DirectoryAccount, Organisation, SupportGroup, User
from ..roles import ROLE_FIELDS, Role
from ..signals import directory_synced
from .config import DirectoryConfig
from .client import DirectoryEntry

log = logging.getLogger(__name__)


def directory_username(entry: DirectoryEntry) -> str:
    """Our user name for a directory entry: its user name in lower case (LDAP ignores case)."""
    return entry.username.strip().lower()[:150]


def directory_user_sync(*, entry: DirectoryEntry, config: DirectoryConfig) -> User | None:
    """Create or update the account for `entry`; None if the name belongs to a local account."""
    result = _user_sync(entry, config)
    return result[0] if result else None


def _user_sync(entry: DirectoryEntry, config: DirectoryConfig):
    """(user, created, changes), or None for a local account; sends directory_synced."""
    with transaction.atomic():
        user, created = User.objects.select_for_update().get_or_create(
            username=directory_username(entry))
        account = DirectoryAccount.objects.filter(user=user).first()
        if account is None and not created and not _adoptable(user):
            log.warning("directory user %s matches a local account: left alone", user.username)
            return None
        if account is None:
            account = DirectoryAccount(user=user, dn=entry.dn, synced_at=timezone.now())
        if created:
            user.set_unusable_password()
        changes = _apply(user, account, entry, config)
        user.save()
        account.dn, account.synced_at = entry.dn, timezone.now()
        account.save()
        changes.update(_support_groups_apply(user, account, entry, config))
        account.save(update_fields=["granted_group_codes"])
    directory_synced.send(sender=User, user=user, created=created, changes=changes)
    return user, created, changes


def _adoptable(user: User) -> bool:
    """A local account the administrator handed to the directory (no usable password)."""
    return not user.is_superuser and not user.has_usable_password()


def _apply(user: User, account: DirectoryAccount, entry: DirectoryEntry,
           config: DirectoryConfig) -> dict:
    """Set the mapped fields, the roles and the active flag; return what changed."""
    changes = {}
    for name, value in entry.values.items():
        new = _department(value, config) if name == "department" else \
            value[:User._meta.get_field(name).max_length]
        old = getattr(user, name)
        if old != new:
            changes[name] = (str(old or ""), str(new or ""))
            setattr(user, name, new)
    changes.update(_roles_apply(user, account, entry, config))
    if account.removed_at is not None:  # back in the directory after sync deactivated it
        user.is_active, account.removed_at = True, None
        changes["is_active"] = (False, True)
    return changes


def _roles_apply(user: User, account: DirectoryAccount, entry: DirectoryEntry,
                 config: DirectoryConfig) -> dict:
    """Grant the roles of the person's groups; take back those the groups granted before."""
    granted = {role for role, dns in config.role_groups.items() if dns & entry.groups}
    before = set(user.roles)
    for role in set(account.granted_roles) - granted:
        setattr(user, ROLE_FIELDS[Role(role)], False)
    for role in granted:
        setattr(user, ROLE_FIELDS[Role(role)], True)
    account.granted_roles = sorted(granted)
    after = set(user.roles)
    return {"roles": (sorted(before), sorted(after))} if before != after else {}


def _support_groups_apply(user: User, account: DirectoryAccount, entry: DirectoryEntry,
                          config: DirectoryConfig) -> dict:
    """Join the support groups the directory groups map to; leave those they granted before."""
    granted = {code for code, dns in config.support_groups.items() if dns & entry.groups}
    groups = {g.code: g for g in SupportGroup.objects.filter(
        code__in=granted | set(account.granted_group_codes))}
    for code in granted - set(groups):
        log.warning("OPSDESK_LDAP_SUPPORT_GROUPS names %s: no such support group", code)
    current = set(user.support_groups.filter(code__in=list(groups)).values_list("code", flat=True))
    leave = (set(account.granted_group_codes) - granted) & current
    join = (granted & set(groups)) - current
    user.support_groups.remove(*(groups[c] for c in leave))
    user.support_groups.add(*(groups[c] for c in join))
    account.granted_group_codes = sorted(granted & set(groups))
    if not (leave or join):
        return {}
    return {"support_groups": (sorted(current), sorted((current - leave) | join))}


def _department(value: str, config: DirectoryConfig) -> Organisation | None:
    """The organisation whose code or name is `value`; created when allowed and missing."""
    if not value:
        return None
    found = Organisation.objects.filter(
        Q(code=value) | Q(name_zh=value) | Q(name_en=value)).order_by("pk").first()
    if found is not None or not config.create_departments:
        return found
    code = value[:32]
    if Organisation.objects.filter(code=code).exists():
        return None
    return Organisation.objects.create(code=code, name_zh=value[:200], name_en=value[:200])


@dataclass
class SyncReport:
    """What `ldap_sync` did, for its output."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deactivated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def directory_sync_all(*, entries, config: DirectoryConfig, allow_empty: bool = False,
                       ) -> SyncReport:
    """Sync every directory person, then deactivate linked accounts gone from the directory.

    An empty directory answer deactivates nobody unless `allow_empty`: a wrong filter must
    not lock the whole company out.
    """
    report, seen = SyncReport(), set()
    for entry in entries:
        _sync_one(entry, config, report, seen)
    if not seen and not allow_empty:
        raise ValueError("the directory returned nobody")
    for account in DirectoryAccount.objects.select_related("user").filter(
            removed_at__isnull=True).exclude(user__username__in=seen).iterator():
        _deactivate(account)
        report.deactivated.append(account.user.username)
    return report


def _sync_one(entry: DirectoryEntry, config: DirectoryConfig, report: SyncReport,
              seen: set[str]) -> None:
    result = _user_sync(entry, config)
    if result is None:
        report.skipped.append(directory_username(entry))
        return
    user, created, changes = result
    seen.add(user.username)
    if created:
        report.created.append(user.username)
    elif changes:
        report.updated.append(user.username)
    else:
        report.unchanged += 1


def _deactivate(account: DirectoryAccount) -> None:
    """Switch off an account whose directory entry went, with the roles its groups gave."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=account.user_id)
        before = sorted(user.roles)
        for role in account.granted_roles:
            setattr(user, ROLE_FIELDS[Role(role)], False)
        user.is_active = False
        user.save()
        groups = SupportGroup.objects.filter(code__in=account.granted_group_codes)
        user.support_groups.remove(*groups)
        account.granted_roles, account.granted_group_codes = [], []
        account.removed_at = timezone.now()
        account.save()
    directory_synced.send(sender=User, user=user, created=False, changes={
        "is_active": (True, False), "roles": (before, sorted(user.roles))})
