"""From verified claims to a signed-in account: find or create it, update it, sync its roles.

Single sign-on updates the fields and roles only of the accounts it manages. A person the
company directory knows (an active DirectoryAccount, with LDAP on) is the directory's: the
sign-in finds and links that one account but leaves its fields and roles to the directory, so
they never flip between the two sources (opsdesk/accounts/directory/sync.py has the rule).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from opsdesk.accounts.directory.config import directory_config
from opsdesk.accounts.models import DirectoryAccount, Organisation
from opsdesk.accounts.roles import ROLE_FIELDS, Role
from opsdesk.audit.models import AuditKind
from opsdesk.audit.services import audit_record
from opsdesk.core.services import model_update

from .client import SsoError
from .conf import OidcConfig
from .models import SsoIdentity, SsoSession

logger = logging.getLogger(__name__)
User = get_user_model()


def sso_user_sign_in(*, config: OidcConfig, claims: dict) -> User:
    """The active account these verified claims are about, created or updated, roles synced.

    Raises SsoError when there is no such account (and creating is off), when it is inactive,
    or when the claims point at an account that another subject of this provider already has.
    Everything happens in one transaction: a refused sign-in changes nothing.
    """
    try:
        with transaction.atomic():
            return _sign_in(config, claims)
    except IntegrityError:
        # The same person's first sign-in in two tabs at once: the other one linked the account.
        with transaction.atomic():
            return _sign_in(config, claims)


def _sign_in(config: OidcConfig, claims: dict) -> User:
    identity = _identity(config, claims)
    user = identity.user
    if not user.is_active:
        raise SsoError("inactive", user.get_username())
    sso_claims_apply(config=config, user=user, claims=claims)
    identity.last_sign_in_at = timezone.now()
    identity.save(update_fields=["last_sign_in_at", "updated_at"])
    return user


def sso_session_start(*, config: OidcConfig, user: User, claims: dict,
                      refresh_token: str = "") -> SsoSession:
    """Record an SSO sign-in's session (its sid), and forget those that cannot be alive any more.

    No session outlives OPSDESK_SESSION_MAX_SECONDS, so older rows are deleted here.
    """
    too_old = timezone.now() - timedelta(seconds=settings.OPSDESK_SESSION_MAX_SECONDS)
    SsoSession.objects.filter(created_at__lt=too_old).delete()
    return SsoSession.objects.create(
        user=user, issuer=claims["iss"], subject=str(claims["sub"]),
        sid=str(claims.get("sid") or "")[:255],
        refresh_token=refresh_token if config.roles_recheck_seconds else "",  # kept only if used
        roles_checked_at=timezone.now())


def _identity(config: OidcConfig, claims: dict) -> SsoIdentity:
    """The link of (issuer, sub) to an account; made on the first sign-in."""
    issuer, subject = claims["iss"], str(claims["sub"])
    identity = (SsoIdentity.objects.select_related("user")
                .filter(issuer=issuer, subject=subject).first())
    if identity:
        return identity
    user = _existing_user(config, claims) or _new_user(config, claims)
    if SsoIdentity.objects.filter(issuer=issuer, user=user).exists():
        raise SsoError("conflict", f"{user.get_username()} is linked to another subject")
    return SsoIdentity.objects.create(issuer=issuer, subject=subject, user=user)


def sso_claims_apply(*, config: OidcConfig, user: User, claims: dict) -> None:
    """Copy the claims' fields and sync the roles, unless the directory owns the account."""
    if not directory_managed(user):
        _fields_update(user, config, claims)
        _roles_sync(user, config, claims)


def directory_managed(user: User) -> bool:
    """Whether the company directory owns this account's fields and roles (LDAP on, linked)."""
    if directory_config() is None:
        return False
    return DirectoryAccount.objects.filter(user=user, removed_at__isnull=True).exists()


def _existing_user(config: OidcConfig, claims: dict) -> User | None:
    """The account whose email or user name (OPSDESK_OIDC_MATCH_CLAIM) the claim names."""
    value = str(claims.get(config.match_claim) or "").strip()
    if not value:
        return None
    if config.match_claim == "email":
        if claims.get("email_verified") is False:
            raise SsoError("unverified_email", value)
        matches = list(User.objects.filter(email__iexact=value)[:2])
    else:
        matches = list(User.objects.filter(username__iexact=value)[:2])
    if len(matches) > 1:
        raise SsoError("ambiguous", value)
    return matches[0] if matches else None


def _new_user(config: OidcConfig, claims: dict) -> User:
    if not config.create_users:
        raise SsoError("unknown_user", str(claims.get(config.match_claim) or claims["sub"]))
    _name_conflict_check(claims)
    user = User(username=_free_username(claims))
    user.set_unusable_password()  # signs in at the provider only
    user.save()
    return user


def _name_conflict_check(claims: dict) -> None:
    """Refuse a person whose user name is a directory account's with another email.

    Directory and provider usually read the same Active Directory, where a user name is one
    person: a new account "name-2" beside the directory's "name" would be a duplicate (or a
    stranger's look-alike). The administrator decides which it is.
    """
    base = _base_username(claims)
    taken = User.objects.filter(username__iexact=base).first()
    if taken is not None and directory_managed(taken):
        raise SsoError("name_conflict", f"{base}: the directory's account has another email")


def name_conflict_audit(*, config: OidcConfig, claims: dict, request=None) -> None:
    """The audit event of a refused sign-in whose user name is a directory account's."""
    taken = User.objects.filter(username__iexact=_base_username(claims)).first()
    audit_record(kind=AuditKind.SIGN_IN_FAILED, actor_username=str(claims.get("email") or ""),
                 target=taken, target_text=taken.username if taken else "", request=request,
                 details={"reason": "identity_conflict", "source": "sso",
                          "issuer": config.issuer, "subject": str(claims.get("sub") or ""),
                          "sso_email": str(claims.get("email") or ""),
                          "account_email": taken.email if taken else ""})


def _base_username(claims: dict) -> str:
    email = str(claims.get("email") or "")
    return str(claims.get("preferred_username") or email.split("@")[0] or claims["sub"])[:140]


def _free_username(claims: dict) -> str:
    """preferred_username, else the email's local part, else the subject; made unique."""
    base = _base_username(claims)
    taken = set(User.objects.filter(Q(username__iexact=base) | Q(username__istartswith=f"{base}-"))
                .values_list("username", flat=True))
    taken = {name.lower() for name in taken}
    candidate, number = base, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _fields_update(user: User, config: OidcConfig, claims: dict) -> None:
    """Copy the mapped claims onto the account; a claim the provider left out changes nothing."""
    data = {}
    for field, claim in config.claims:
        if claim not in claims or claims[claim] is None:
            continue
        if field == "department":
            department = _department(str(claims[claim]))
            if department is not None:
                data["department"] = department
            continue
        max_length = User._meta.get_field(field).max_length
        data[field] = str(claims[claim]).strip()[:max_length]
    model_update(instance=user, data=data, fields=list(data))


def _department(value: str) -> Organisation | None:
    """The organisation a department claim names, by code or by name; none: left as it is."""
    value = value.strip()
    department = (Organisation.objects.filter(code__iexact=value).first()
                  or Organisation.objects.filter(Q(name_zh=value) | Q(name_en__iexact=value))
                  .order_by("code").first())
    if department is None:
        logger.warning("single sign-on: no organisation matches the department claim %r", value)
    return department


def _groups(config: OidcConfig, claims: dict) -> list[str] | None:
    """The groups claim as a list; None when the provider left it out for being too long."""
    if config.groups_claim in claims.get("_claim_names", {}):
        return None  # Entra ID's "groups overage": the list is elsewhere, not in the token
    groups = claims.get(config.groups_claim) or []
    return [groups] if isinstance(groups, str) else [str(group) for group in groups]


def _roles_sync(user: User, config: OidcConfig, claims: dict) -> None:
    """Grant the roles the person's groups map to and revoke the mapped roles they no longer do.

    Roles no group maps to are not touched: an administrator may still grant them by hand.
    """
    groups = _groups(config, claims)
    if groups is None:
        logger.warning("single sign-on: %s's groups were not in the token; roles unchanged", user)
        return
    granted = config.roles_for(groups)
    data = {ROLE_FIELDS[Role(role)]: role in granted
            for role in config.managed_roles if role != Role.USER}
    model_update(instance=user, data=data, fields=list(data))
