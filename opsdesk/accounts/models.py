"""People, where they belong, the support groups they work in, and their API tokens."""

import hashlib
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import BilingualNamed, TimeStampedModel

from .roles import ROLE_FIELDS, SEE_ALL_ROLES, Role


class Organisation(BilingualNamed, TimeStampedModel):
    """A company, division or department; departments point at their parent."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    head = models.ForeignKey(
        "User", verbose_name=_("head"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="headed_organisations",
        help_text=_("The head of this department or organisation: the last step of a "
                    "hierarchical escalation."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("organisation or department")
        verbose_name_plural = _("organisations and departments")


class Location(BilingualNamed, TimeStampedModel):
    """A service location (服务地点): a site, building or floor."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")


class NotificationKind(models.TextChoices):
    """What a person may be emailed about; each can be switched off on the profile page."""

    CREATED = "created", _("My incident was logged")
    PUBLIC_REPLY = "public_reply", _("Support replied to my incident")
    INFO_REQUESTED = "info_requested", _("Support needs information from me")
    RESOLVED = "resolved", _("My incident was resolved")
    CLOSED = "closed", _("My incident was closed")
    ASSIGNED = "assigned", _("An incident was assigned to me or my group")
    USER_REPLIED = "user_replied", _("A user replied to an incident I work on")
    SLA = "sla", _("SLA warnings, breaches and escalations")
    MENTIONED = "mentioned", _("Someone mentioned me in a reply or work note")


class User(AbstractUser):
    """An employee. Role flags grant the desk, engineer, manager, owner and admin roles."""

    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    department = models.ForeignKey(
        Organisation, verbose_name=_("department"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="members",
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    manager = models.ForeignKey(
        "self", verbose_name=_("manager"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="reports",
        help_text=_("Approves this person's service requests; empty: the department's head."))
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True,
        help_text=_("A zoneinfo name such as Asia/Shanghai; blank uses the site's time zone."))
    is_service_desk = models.BooleanField(_("service-desk agent"), default=False)
    is_engineer = models.BooleanField(_("support engineer"), default=False)
    is_incident_manager = models.BooleanField(_("incident manager"), default=False)
    is_process_owner = models.BooleanField(_("process owner"), default=False)
    is_administrator = models.BooleanField(_("administrator"), default=False)
    can_view_department = models.BooleanField(
        _("sees department's incidents"), default=False,
        help_text=_("The user may see every incident reported by people of their department."),
    )
    email_notifications_off = models.JSONField(
        _("email notifications switched off"), default=list, blank=True,
        help_text=_("NotificationKind values this person does not want by email."))
    sessions_revoked_at = models.DateTimeField(
        _("signed out everywhere at"), null=True, blank=True, editable=False,
        help_text=_("Every session started before this moment was ended."))
    sessions_ended = models.JSONField(
        _("sessions signed out one by one"), default=list, blank=True, editable=False,
        help_text=_("[session id, ended at] of the last day's sessions that were signed out "
                    "singly; read with the user on every request (accounts/usersessions.py)."))

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def _get_session_auth_hash(self, secret=None):
        """Sessions carry this hash; changing the password or sessions_revoked_at ends them.

        Without a revocation the hash is Django's own, so sessions made before this field
        existed stay valid. Every session backend honours it (no session table scan needed).
        """
        if self.sessions_revoked_at is None:
            return super()._get_session_auth_hash(secret=secret)
        value = f"{self.password}|{self.sessions_revoked_at.isoformat()}"
        return salted_hmac("opsdesk.accounts.User.session_auth_hash", value, secret=secret,
                           algorithm="sha256").hexdigest()

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def roles(self) -> set[str]:
        """Every role this person holds, as Role values."""
        held = {Role.USER.value}
        held.update(role.value for role, field in ROLE_FIELDS.items() if getattr(self, field))
        return held

    def wants_email(self, kind: str) -> bool:
        """Whether this person still wants email about `kind` (yes unless switched off)."""
        return self.is_active and kind not in (self.email_notifications_off or [])

    def has_role(self, role: str) -> bool:
        if role == Role.USER:
            return self.is_active
        return bool(getattr(self, ROLE_FIELDS[Role(role)], False))

    @property
    def sees_all_incidents(self) -> bool:
        return self.is_superuser or any(self.has_role(r) for r in SEE_ALL_ROLES)

    @cached_property
    def support_group_ids(self) -> frozenset[int]:
        """Ids of the support groups this person works in, cached per request."""
        return frozenset(self.support_groups.values_list("id", flat=True))


class SupportGroup(BilingualNamed, TimeStampedModel):
    """A team that takes assignments, on line 1 (service desk), 2 or 3."""

    class Line(models.IntegerChoices):
        FIRST = 1, _("1st line (service desk)")
        SECOND = 2, _("2nd line")
        THIRD = 3, _("3rd line")

    code = models.CharField(_("code"), max_length=32, unique=True)
    line = models.PositiveSmallIntegerField(_("line"), choices=Line.choices, default=Line.SECOND)
    email = models.EmailField(_("email"), blank=True)
    manager = models.ForeignKey(
        User, verbose_name=_("group manager"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="managed_groups",
    )
    members = models.ManyToManyField(
        User, verbose_name=_("members"), blank=True, related_name="support_groups"
    )
    escalation_group = models.ForeignKey(
        "self", verbose_name=_("escalates to"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("The next-line group for functional escalation."),
    )
    robot_endpoints = models.ManyToManyField(
        "notifications.Endpoint", verbose_name=_("group robots"), blank=True, related_name="+",
        help_text=_("WeCom, DingTalk or Feishu robots (or webhooks) told of P1/P2 assignments "
                    "and breaches, in Chinese."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["line", "code"]
        verbose_name = _("support group")
        verbose_name_plural = _("support groups")


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 digest is stored; the secret is shown once."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(secret: str) -> str:
        # Tokens carry 256 bits of randomness, so a fast hash is enough (as GitHub does).
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class DirectoryAccount(models.Model):
    """Links a user to their LDAP / Active Directory entry; local-only accounts have none.

    What the directory granted is remembered (roles, support groups) so that exactly that is
    taken away when the group membership goes, and roles an administrator gave by hand stay.
    """

    user = models.OneToOneField(User, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="directory_account")
    dn = models.CharField(_("distinguished name"), max_length=500)
    granted_roles = models.JSONField(_("roles from directory groups"), default=list, blank=True)
    granted_group_codes = models.JSONField(
        _("support groups from directory groups"), default=list, blank=True)
    synced_at = models.DateTimeField(_("last synchronised at"))
    removed_at = models.DateTimeField(
        _("gone from the directory at"), null=True, blank=True,
        help_text=_("Set when synchronisation deactivated the account because its entry went."))

    class Meta:
        verbose_name = _("directory account")
        verbose_name_plural = _("directory accounts")

    def __str__(self) -> str:
        return self.dn


class UserSession(models.Model):
    """One signed-in browser session of a person: where, from what, since when, last seen.

    The session key is a credential, so only its SHA-256 digest is kept. The session data holds
    this row's id (`accounts/usersessions.py`), which survives the key being cycled at sign-in,
    multi-factor verification and "sign out everywhere else". `last_seen_at` is written only as
    often as the session's own last-seen stamp (a twentieth of the idle limit).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="user_sessions")
    key_digest = models.CharField(_("session key digest"), max_length=64, db_index=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    browser = models.CharField(_("browser"), max_length=80, blank=True)
    os = models.CharField(_("operating system"), max_length=80, blank=True)
    device = models.CharField(_("device"), max_length=80, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("signed in at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last active"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="accounts_usess_user_seen")]

    def __str__(self) -> str:
        return f"{self.user} · {self.browser or '?'} · {self.ip_address or '?'}"

    @staticmethod
    def digest_of(session_key: str) -> str:
        # Session keys are 32 random characters: a fast hash is enough, as for API tokens.
        return hashlib.sha256(session_key.encode()).hexdigest()
