"""Reads of multi-factor state: the policy, a person's devices, what a session still owes.

The middleware asks `pending_step` on every signed-in page request, so the common case costs no
query: the policy comes from the cache, whether the person has an authenticator from the session
(set at sign-in), and a verified session is django-otp's (one primary-key read of the device).
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast

from opsdesk.accounts.roles import ROLE_FIELDS, Role
from opsdesk.core import crypto

from .models import Authenticator, MfaPolicy, RecoveryCode, RecoveryDevice, SsoTrust

POLICY_CACHE_KEY = "opsdesk:mfa:policy"
# A policy change reaches other web processes within this many seconds (at once with Redis,
# where the change deletes the shared entry).
POLICY_CACHE_SECONDS = 30

# Session keys. DEVICE_FLAG caches "has a confirmed authenticator" for the middleware.
DEVICE_FLAG = "opsdesk_mfa_device"
NEW_CODES = "opsdesk_mfa_new_codes"
# Request attribute: the session named a verified device when the request came in (set by the
# middleware before anything reads request.user, which lets django-otp drop a deleted device).
VERIFIED_AT_START = "mfa_verified_at_start"

# The contract with the single sign-on app (opsdesk.sso): at an OIDC sign-in it stores the ID
# token's `amr` claim (RFC 8176 authentication method references) in the session, as a list of
# strings (empty when the provider sent none), under SSO_AMR, or as the "amr" item of its own
# record under SSO_RECORD (what opsdesk.sso does today); both are read. Either key's presence
# marks a session opened by single sign-on: a password or LDAP sign-in sets neither. Whether it
# counts as multi-factor is the administrator's choice (MfaPolicy.sso_trust).
SSO_AMR = "opsdesk_sso_amr"
SSO_RECORD = "sso"
# amr values that show a second factor: "mfa"/"mca" say so, the others are possession or
# biometric methods, which no password-only sign-in reports.
SECOND_FACTOR_AMR = frozenset({"mfa", "mca", "otp", "hwk", "swk", "sc", "sms", "tel", "fpt",
                               "face", "iris", "retina", "vbm"})

RECOVERY_DEVICE_NAME = "recovery"


@dataclass(frozen=True)
class Policy:
    """The policy as plain values (what the cache keeps)."""

    required_roles: frozenset[str]
    sso_trust: str

    def requires(self, user) -> bool:
        """Whether one of the person's roles must use multi-factor sign-in."""
        roles = set(user.roles)
        if user.is_superuser:
            roles.add(Role.ADMIN.value)
        return bool(roles & self.required_roles)


def policy_current() -> Policy:
    """The policy in force (cached for POLICY_CACHE_SECONDS); defaults when never saved."""
    cached = cache.get(POLICY_CACHE_KEY)
    if cached is None:
        row = MfaPolicy.objects.filter(pk=1).first() or MfaPolicy()
        cached = {"required_roles": sorted(row.required_roles or []), "sso_trust": row.sso_trust}
        cache.set(POLICY_CACHE_KEY, cached, POLICY_CACHE_SECONDS)
    return Policy(required_roles=frozenset(cached["required_roles"]),
                  sso_trust=cached["sso_trust"])


def policy_row() -> MfaPolicy:
    """The stored policy row for the settings page (unsaved defaults when there is none)."""
    return MfaPolicy.objects.filter(pk=1).select_related("updated_by").first() or MfaPolicy()


def sso_satisfies(session, policy: Policy) -> bool:
    """Whether this session's single sign-on counts as multi-factor under the policy."""
    if policy.sso_trust == SsoTrust.NEVER:
        return False
    amr = _sso_amr(session)
    if amr is None:
        return False
    if policy.sso_trust == SsoTrust.ALWAYS:
        return True
    if isinstance(amr, str):
        amr = amr.split()
    return bool(SECOND_FACTOR_AMR & {str(value).lower() for value in amr})


def _sso_amr(session) -> list | str | None:
    """The amr of the session's single sign-on; None when the session was not opened by it."""
    if SSO_AMR in session:
        return session.get(SSO_AMR) or []
    record = session.get(SSO_RECORD)
    if isinstance(record, dict):
        return record.get("amr") or []
    return None


def authenticator_of(user) -> Authenticator | None:
    """The person's confirmed authenticator app, if any."""
    return Authenticator.objects.filter(user=user, confirmed=True).first()


def has_authenticator(user) -> bool:
    return Authenticator.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    """How many unused recovery codes the person still has."""
    return RecoveryCode.objects.filter(device__user=user, device__name=RECOVERY_DEVICE_NAME,
                                       device__confirmed=True).count()


def session_has_authenticator(request) -> bool:
    """The session's cached answer; worked out once for sessions older than this app."""
    flag = request.session.get(DEVICE_FLAG)
    if flag is None:
        flag = has_authenticator(request.user)
        request.session[DEVICE_FLAG] = flag
    return flag


def pending_step(request) -> str | None:
    """What a signed-in session must do before anything else: "verify", "enrol" or nothing."""
    user = request.user
    if user.is_verified():
        return None
    if getattr(request, VERIFIED_AT_START, False):
        # django-otp dropped the session's device this request: it is gone (an administrator's
        # reset), so the cached "has an authenticator" is stale too.
        request.session.pop(DEVICE_FLAG, None)
        setattr(request, VERIFIED_AT_START, False)
    policy = policy_current()
    if sso_satisfies(request.session, policy):
        return None
    if session_has_authenticator(request):
        return "verify"
    if policy.requires(user):
        return "enrol"
    return None


def enrolled_users(*, search: str = ""):
    """People with a confirmed authenticator, by user name, for the administrator's list."""
    confirmed = Authenticator.objects.filter(user=OuterRef("pk"), confirmed=True)
    users = get_user_model().objects.filter(Exists(confirmed))
    if search:
        users = users.filter(Q(username__icontains=search) | Q(display_name__icontains=search)
                             | Q(email__icontains=search))
    return users.order_by("username")


def missing_users(policy: Policy):
    """Active people whose role requires multi-factor sign-in but who have no authenticator."""
    wanted = Q(pk__in=[])
    for role in policy.required_roles:
        if role in ROLE_FIELDS:
            wanted |= Q(**{ROLE_FIELDS[Role(role)]: True})
        if role == Role.ADMIN:
            wanted |= Q(is_superuser=True)
    confirmed = Authenticator.objects.filter(user=OuterRef("pk"), confirmed=True)
    return (get_user_model().objects.filter(wanted, is_active=True)
            .exclude(Exists(confirmed)).order_by("username"))


def recovery_device_of(user) -> RecoveryDevice | None:
    return RecoveryDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).first()


def secret_readable(device: Authenticator) -> bool:
    """Whether the device's secret decrypts with the configured keys."""
    try:
        device.bin_key  # noqa: B018 - loads (decrypts) the deferred secret
    except crypto.DecryptionError:
        return False
    return True


def unreadable_secret_count() -> int:
    """How many authenticator secrets no configured key opens (a key was changed or lost).

    Reads the stored text as it is (the cast skips the field's decryption), so one bad row
    cannot hide the others."""
    stored = (Authenticator._base_manager.annotate(stored=Cast("key", TextField()))
              .values_list("stored", flat=True))
    return sum(1 for value in stored if not _opens(value))


def _opens(stored: str) -> bool:
    try:
        crypto.decrypt(stored)
    except crypto.DecryptionError:
        return False
    return True
