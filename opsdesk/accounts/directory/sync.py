"""Keeps our accounts in step with the directory: on each sign-in and in `ldap_sync`.

Every account has one source of its identity attributes and roles (`account_source`): the
directory (an active DirectoryAccount), single sign-on (an SsoIdentity and no active
DirectoryAccount), or opsdesk itself (local). The directory owns the mapped fields (name,
email, phone, department) and whatever its groups grant, for everyone it knows; single sign-on
then only signs those people in (opsdesk/sso/services.py leaves their fields and roles alone).

Local-only accounts are never changed: a directory person whose user name belongs to a local
account with a usable password, or to a superuser, is refused rather than merged, so nobody in
the directory can take over the break-glass admin. An administrator hands an existing local
account over to the directory by making its password unusable.

An account single sign-on created before the directory saw the person (companies point both at
the same Active Directory) is handed over to the directory when it is the same person: same
user name, or no account by that name and the same email, and in both cases the email
addresses agree. A same user name with another (or no) email is a different person as far as
opsdesk can tell: refused, reported and audited, never merged. An account that signs in by
single sign-on is not deactivated when its entry leaves the directory unless
OPSDESK_LDAP_DEACTIVATE_SSO_ACCOUNTS: the directory lets go of it (takes back what its groups
granted) and single sign-on manages it again.
"""

import logging
from dataclasses import dataclass, field

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opsdesk.audit.models import AuditKind
from opsdesk.audit.services import audit_record

from ..models import DirectoryAccount, Organisation, SupportGroup, User
from ..roles import ROLE_FIELDS, Role
from ..signals import directory_synced
from .config import DirectoryConfig
from .client import DirectoryEntry

log = logging.getLogger(__name__)


def directory_username(entry: DirectoryEntry) -> str:
    """Our user name for a directory entry: its user name in lower case (LDAP ignores case)."""
    return entry.username.strip().lower()[:150]


class IdentityConflict(Exception):
    """A directory person whose user name belongs to a different person's SSO account."""

    def __init__(self, user: User, entry: DirectoryEntry):
        super().__init__(f"{user.username}: the directory's {entry.dn} has another email")
        self.user, self.entry = user, entry


def account_source(user: User) -> str:
    """Who owns this account's attributes and roles: "directory", "sso" or "local"."""
    account = DirectoryAccount.objects.filter(user=user, removed_at__isnull=True).first()
    if account is not None:
        return "directory"
    return "sso" if _has_sso(user) else "local"


def _has_sso(user: User) -> bool:
    identities = getattr(user, "sso_identities", None)  # opsdesk.sso may not be installed
    return identities is not None and identities.exists()


def directory_user_sync(*, entry: DirectoryEntry, config: DirectoryConfig,
                        request=None) -> User | None:
    """Create or update the account for `entry`; None if it is a local or conflicting one.

    A conflict (the name is another person's SSO account) is audited and noted on the request,
    so the sign-in form can say why.
    """
    try:
        result = _user_sync(entry, config)
    except IdentityConflict as conflict:
        _conflict_audit(conflict, request)
        if request is not None:
            request.opsdesk_directory_conflict = True
        return None
    return result[0] if result else None


def _conflict_audit(conflict: IdentityConflict, request=None) -> None:
    """One audit event per refused merge: who, and the two emails that disagree."""
    log.warning("directory person %s not merged into account %s: %s", conflict.entry.dn,
                conflict.user.username, conflict)
    audit_record(kind=AuditKind.SIGN_IN_FAILED, actor_username=conflict.user.username,
                 target=conflict.user, target_text=conflict.user.username, request=request,
                 details={
                     "reason": "identity_conflict", "source": "directory",
                     "dn": conflict.entry.dn, "directory_email": conflict.entry.values.get(
                         "email", ""), "account_email": conflict.user.email})


def _user_sync(entry: DirectoryEntry, config: DirectoryConfig):
    """(user, created, changes), or None for a local account; sends directory_synced.

    Raises IdentityConflict when the entry's user name is another person's SSO account.
    """
    with transaction.atomic():
        user, created = _account_find(entry)
        account = DirectoryAccount.objects.filter(user=user).first()
        handover = account is None and not created and _has_sso(user) and _adoptable(user)
        if handover and not _same_person(user, entry):
            raise IdentityConflict(user, entry)
        if account is None and not created and not handover and not _adoptable(user):
            log.warning("directory user %s matches a local account: left alone", user.username)
            return None
        if account is None:
            account = DirectoryAccount(user=user, dn=entry.dn, synced_at=timezone.now(),
                                       granted_roles=_handover_roles(user, config, handover))
        if created:
            user.set_unusable_password()
        changes = _apply(user, account, entry, config)
        if user.username != directory_username(entry):  # an SSO account found by its email
            changes["username"] = (user.username, directory_username(entry))
            user.username = directory_username(entry)
        user.save()
        account.dn, account.synced_at = entry.dn, timezone.now()
        account.save()
        changes.update(_support_groups_apply(user, account, entry, config))
        account.save(update_fields=["granted_group_codes"])
    directory_synced.send(sender=User, user=user, created=created, changes=changes)
    return user, created, changes


def _account_find(entry: DirectoryEntry) -> tuple[User, bool]:
    """(account, created): by user name; else the SSO account with the entry's email; else new.

    Locked (select_for_update) so a sign-in and `ldap_sync` at once do not both create it.
    """
    name = directory_username(entry)
    user = User.objects.select_for_update().filter(username__iexact=name).first()
    if user is not None:
        return user, False
    email = entry.values.get("email", "").strip()
    if email:
        # Found first, locked after: PostgreSQL locks no rows of a DISTINCT or an outer join.
        matches = list(User.objects.filter(
            email__iexact=email, sso_identities__isnull=False, directory_account__isnull=True,
            is_superuser=False, password__startswith=UNUSABLE_PASSWORD_PREFIX)
            .values_list("pk", flat=True).distinct()[:2])
        if len(matches) == 1:
            return User.objects.select_for_update().get(pk=matches[0]), False
    return User.objects.get_or_create(username=name)


def _same_person(user: User, entry: DirectoryEntry) -> bool:
    """An SSO account is this directory person's when both name the same email address."""
    email = entry.values.get("email", "").strip().casefold()
    return bool(email) and email == (user.email or "").strip().casefold()


def _handover_roles(user: User, config: DirectoryConfig, handover: bool) -> list[str]:
    """Roles the directory takes over from single sign-on: those its own groups map.

    They are the directory's from now on, so it takes them back when its groups do not grant
    them; roles it does not map stay as they are (an administrator's to change).
    """
    if not handover:
        return []
    return sorted(role for role in config.role_groups if role in user.roles)


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
    released: list[str] = field(default_factory=list)  # gone, but single sign-on keeps them
    skipped: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


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
        keep = _has_sso(account.user) and not config.deactivate_sso_accounts
        _deactivate(account, keep_active=keep)
        (report.released if keep else report.deactivated).append(account.user.username)
    return report


def _sync_one(entry: DirectoryEntry, config: DirectoryConfig, report: SyncReport,
              seen: set[str]) -> None:
    try:
        result = _user_sync(entry, config)
    except IdentityConflict as conflict:
        _conflict_audit(conflict)
        report.conflicts.append(directory_username(entry))
        seen.add(conflict.user.username)  # not this directory's account: never deactivated
        return
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


def _deactivate(account: DirectoryAccount, *, keep_active: bool = False) -> None:
    """Switch off an account whose directory entry went, with the roles its groups gave.

    `keep_active`: an account that signs in by single sign-on loses what the directory gave
    but stays on; single sign-on manages it from now on.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=account.user_id)
        before = sorted(user.roles)
        for role in account.granted_roles:
            setattr(user, ROLE_FIELDS[Role(role)], False)
        was_active = user.is_active
        user.is_active = was_active and keep_active
        user.save()
        groups = SupportGroup.objects.filter(code__in=account.granted_group_codes)
        user.support_groups.remove(*groups)
        account.granted_roles, account.granted_group_codes = [], []
        account.removed_at = timezone.now()
        account.save()
    directory_synced.send(sender=User, user=user, created=False, changes={
        "is_active": (was_active, user.is_active), "roles": (before, sorted(user.roles))})
