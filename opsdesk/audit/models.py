"""The audit log: append-only security events on one global hash chain."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import AppendOnlyQuerySet

from . import chain


class AuditKind(models.TextChoices):
    """What happened: the code table of security events."""

    SIGN_IN = "sign_in", _("signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("sign-in failed")
    SIGN_OUT = "sign_out", _("signed out")
    LOCKOUT = "lockout", _("locked out")
    ACCOUNT_CREATED = "account_created", _("account created")
    ACCOUNT_ACTIVE_CHANGED = "account_active_changed", _("account activated or deactivated")
    ROLE_CHANGED = "role_changed", _("roles changed")
    GROUP_MEMBERSHIP_CHANGED = "group_membership_changed", _("support-group membership changed")
    PASSWORD_CHANGED = "password_changed", _("password changed")
    SESSIONS_REVOKED = "sessions_revoked", _("sessions signed out everywhere")
    MFA_ENABLED = "mfa_enabled", _("multi-factor sign-in enabled")
    MFA_DISABLED = "mfa_disabled", _("multi-factor sign-in disabled")
    MFA_RESET = "mfa_reset", _("multi-factor sign-in reset")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    TOKEN_USED = "token_used", _("API token used")
    CONFIG_CHANGED = "config_changed", _("configuration changed")
    EXPORT = "export", _("data exported")


class AuditEvent(models.Model):
    """One security event. Append-only, and chained: `hash` covers the content and `prev_hash`.

    `seq` numbers the global chain without gaps (1, 2, 3 …); it is taken under the lock on
    the chain's head row (AuditChainHead), so concurrent writers queue and never fork it. The
    actor's username is kept as text (and hashed) so the entry outlives the account.
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, editable=False)
    at = models.DateTimeField(_("time"), default=timezone.now, editable=False)
    kind = models.CharField(_("event"), max_length=32, choices=AuditKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
        # The entry outlives the person: deleting a user leaves its rows untouched (an
        # append-only log is never updated), the id dangling and actor_username telling who.
        on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        db_index=False)  # see the indexes
    actor_username = models.CharField(_("actor's username"), max_length=150, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("target type"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_text = models.CharField(_("target"), max_length=255, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        base_manager_name = "objects"
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        # The list: newest first (seq's unique index), by kind, by actor, by time range.
        indexes = [
            models.Index(fields=["kind", "-seq"], name="audit_kind_seq"),
            models.Index(fields=["actor", "-seq"], name="audit_actor_seq"),
            models.Index(fields=["actor_username", "-seq"], name="audit_username_seq"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_kind_display()} {self.actor_username}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        if not self.hash:
            raise PermissionError("Audit events are written by opsdesk.audit.services only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def chain_content(self) -> dict:
        """What the hash covers: every column but the id, the actor link and the hashes."""
        return {
            "seq": self.seq, "at": chain.time_text(self.at), "kind": str(self.kind),
            "actor": self.actor_username, "ip": self.ip, "user_agent": self.user_agent,
            "target_type": _type_label(self.target_type_id), "target_id": self.target_id,
            "target": self.target_text, "details": self.details,
        }


def _type_label(type_id: int | None) -> str | None:
    # By label, not id: ids of content types may differ after a restore into a new database.
    if type_id is None:
        return None
    ct = ContentType.objects.get_for_id(type_id)
    return f"{ct.app_label}.{ct.model}"


class AuditChainHead(models.Model):
    """The last entry of the audit chain (one row, id 1); its lock serialises the writers.

    It also anchors the chain's end: an entry removed from the tail no longer matches it.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
