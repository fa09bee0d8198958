"""Intake: mailboxes and the mails read from them, alert integrations and the alerts they send.

Everything that arrives is stored raw first (InboundMail, AlertPayload) and processed after, in
the background, so nothing is lost when processing fails: a failed mail waits in the quarantine
and a failed payload keeps its error until someone retries it.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.core.fields import EncryptedTextField
from opsdesk.core.models import TimeStampedModel

from .recurrence import PERIODS, occurrence_at

USER = settings.AUTH_USER_MODEL


def _fk(to: str, verbose_name, **kwargs):
    return models.ForeignKey(to, verbose_name=verbose_name, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+", **kwargs)


class IntakeDefaults(models.Model):
    """What a new incident from this source gets unless a rule says otherwise."""

    default_group = _fk("accounts.SupportGroup", _("default support group"))
    default_category = _fk("reference.Category", _("default category"))
    default_service = _fk("cmdb.Service", _("default service"))

    class Meta:
        abstract = True


class Mailbox(IntakeDefaults, TimeStampedModel):
    """An IMAP mailbox polled for new mail; `address` is ours, so mail from it is a loop.

    It signs in with a password, or with OAuth2 (XOAUTH2) for Microsoft 365 and Gmail: an access
    token from the token endpoint (intake/oauth.py), kept encrypted in the row until shortly
    before it expires so every worker shares it.
    """

    class Security(models.TextChoices):
        TLS = "tls", _("TLS (IMAPS, port 993)")
        STARTTLS = "starttls", _("STARTTLS (port 143)")
        PLAIN = "plain", _("plain (localhost only)")

    class AuthMethod(models.TextChoices):
        PASSWORD = "password", _("password")
        OAUTH2 = "oauth2", _("OAuth2 (XOAUTH2)")

    class OAuthGrant(models.TextChoices):
        CLIENT_CREDENTIALS = "client_credentials", _(
            "client credentials (Microsoft 365 app-only access)")
        REFRESH_TOKEN = "refresh_token", _("refresh token (Gmail, delegated Microsoft 365)")

    class AfterStore(models.TextChoices):
        SEEN = "seen", _("mark as seen")
        DELETE = "delete", _("delete from the server")
        MOVE = "move", _("move to a folder")

    class SenderAuth(models.TextChoices):
        OFF = "off", _("off: trust the From address")
        REQUIRE = "require", _("require a pass from a trusted receiving server")

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(_("mailbox address"))
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=10, choices=Security.choices,
                                default=Security.TLS)
    username = models.CharField(_("user name"), max_length=255)
    auth_method = models.CharField(_("sign in with"), max_length=10, choices=AuthMethod.choices,
                                   default=AuthMethod.PASSWORD)
    password = EncryptedTextField(_("password"), blank=True)
    oauth_token_url = models.URLField(
        _("token endpoint"), max_length=500, blank=True,
        help_text=_("e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token or "
                    "https://oauth2.googleapis.com/token"))
    oauth_client_id = models.CharField(_("client ID"), max_length=255, blank=True)
    oauth_client_secret = EncryptedTextField(_("client secret"), blank=True)
    oauth_scope = models.CharField(
        _("scope"), max_length=500, blank=True,
        help_text=_("Microsoft 365: https://outlook.office365.com/.default (app-only) or "
                    "https://outlook.office365.com/IMAP.AccessAsUser.All offline_access; "
                    "Gmail: https://mail.google.com/"))
    oauth_grant = models.CharField(_("OAuth2 grant"), max_length=20, choices=OAuthGrant.choices,
                                   default=OAuthGrant.CLIENT_CREDENTIALS)
    oauth_refresh_token = EncryptedTextField(
        _("refresh token"), blank=True,
        help_text=_("Refresh-token grant only. When the server sends a new one, it replaces "
                    "this one."))
    oauth_access_token = EncryptedTextField(_("access token"), blank=True, editable=False)
    oauth_access_expires_at = models.DateTimeField(_("access token expires at"), null=True,
                                                   blank=True, editable=False)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    after_store = models.CharField(_("after storing a mail"), max_length=10,
                                   choices=AfterStore.choices, default=AfterStore.SEEN)
    move_to_folder = models.CharField(_("move to folder"), max_length=255, blank=True)
    create_contacts = models.BooleanField(
        _("create contacts"), default=True,
        help_text=_("Create a contact for an unknown sender; otherwise the mail is quarantined."))
    alert_integration = models.ForeignKey(
        "intake.AlertIntegration", verbose_name=_("monitoring mails go to"), null=True,
        blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Icinga/Nagios notification mails from the integration's senders become "
                    "alerts of this integration instead of incidents."))
    sender_auth = models.CharField(
        _("sender authentication"), max_length=10, choices=SenderAuth.choices,
        default=SenderAuth.OFF,
        help_text=_("Require: a mail counts as its From address only when a trusted receiving "
                    "server's Authentication-Results header says DMARC passed (or, for a domain "
                    "without DMARC, an aligned DKIM or SPF pass); any other mail is quarantined "
                    "for the desk to release or discard."))
    trusted_authserv_ids = models.TextField(
        _("trusted receiving servers"), blank=True,
        help_text=_("The authserv-id your own mail server writes in Authentication-Results, "
                    "e.g. “mx.example.com”, one per line. Headers of any other server are "
                    "ignored: a sender can write their own."))
    is_active = models.BooleanField(_("active"), default=True)
    poll_seconds = models.PositiveIntegerField(_("poll every (seconds)"), default=60)
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True,
                                          editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name


def raw_mail_path(instance: "InboundMail", filename: str) -> str:
    return f"mail/{timezone.now():%Y/%m}/{instance.dedup_key}.eml"


class InboundMail(models.Model):
    """One mail exactly as received, and what became of it.

    `dedup_key` (parsers.email.dedup_key) is unique: the same mail fetched twice is stored once.
    """

    class State(models.TextChoices):
        RECEIVED = "received", _("received, not yet processed")
        PROCESSED = "processed", _("processed")
        IGNORED = "ignored", _("ignored (automatic mail)")
        QUARANTINED = "quarantined", _("quarantined")
        DISCARDED = "discarded", _("discarded")

    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="mails")
    dedup_key = models.CharField(_("deduplication key"), max_length=64, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    raw = models.FileField(_("original message"), upload_to=raw_mail_path, max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    from_address = models.CharField(_("from"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    state = models.CharField(_("state"), max_length=12, choices=State.choices,
                             default=State.RECEIVED)
    note = models.TextField(_("note"), blank=True,
                            help_text=_("Why the mail was ignored or quarantined."))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    comment = models.ForeignKey("incidents.Comment", verbose_name=_("comment"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")
    sender_verdict = models.CharField(
        _("sender authentication"), max_length=255, blank=True,
        help_text=_("Why the sender was not authenticated (the mail was quarantined for it)."))
    released_by = models.ForeignKey(
        USER, verbose_name=_("released by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("Who let an unauthenticated mail through as its sender."))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["state", "received_at"], name="inmail_state_time")]
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mails")

    def __str__(self) -> str:
        return self.subject or self.message_id or str(self.pk)


def token_digest(token: str) -> str:
    """Tokens are kept as digests, like passwords: the database alone cannot post alerts."""
    return hashlib.sha256(token.encode()).hexdigest()


class AlertIntegration(IntakeDefaults, TimeStampedModel):
    """A monitoring tool posting to its own URL, /api/v1/intake/alerts/{token}."""

    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")
        GRAFANA = "grafana", _("Grafana alerting")
        ZABBIX = "zabbix", _("Zabbix")
        DATADOG = "datadog", _("Datadog")
        GENERIC = "generic", _("generic JSON")
        ICINGA_MAIL = "icinga", _("Icinga/Nagios mail")

    class WhenResolved(models.TextChoices):
        RESOLVE = "resolve", _("resolve the incident")
        FLAG = "flag", _("flag it for the desk")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token"), max_length=12, editable=False, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    field_mapping = models.JSONField(
        _("field mapping"), default=dict, blank=True,
        help_text=_("Generic JSON only: which field of the payload holds each alert field."))
    group_by = models.CharField(
        _("group alerts by"), max_length=200, blank=True,
        help_text=_("Label names joined by commas, e.g. “service,alertname”. Blank: the "
                    "source's own group (Alertmanager's groupKey), else service and alertname."))
    severity_map = models.JSONField(
        _("severity to impact and urgency"), default=dict, blank=True,
        help_text=_("e.g. {\"critical\": [2, 1]}; unknown severities use the defaults."))
    when_resolved = models.CharField(_("when every alert has resolved"), max_length=10,
                                     choices=WhenResolved.choices, default=WhenResolved.RESOLVE)
    flap_minutes = models.PositiveIntegerField(
        _("flapping window (minutes)"), default=15,
        help_text=_("An alert that fires again this soon after resolving continues its "
                    "incident instead of opening a new one."))
    rate_limit_per_minute = models.PositiveIntegerField(_("rate limit (requests per minute)"),
                                                        default=1200)
    max_payload_kib = models.PositiveIntegerField(_("largest payload (KiB)"), default=1024)
    senders = models.TextField(
        _("sender addresses"), blank=True,
        help_text=_("Icinga/Nagios mail only: the addresses its notification mails come from, "
                    "one per line."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert integration")
        verbose_name_plural = _("alert integrations")

    def __str__(self) -> str:
        return self.name

    def token_new(self) -> str:
        """Set a fresh token and return it: the only moment it is ever readable."""
        token = secrets.token_urlsafe(32)
        self.token_digest = token_digest(token)
        self.token_hint = "…" + token[-4:]
        return token


class AlertDrain(models.Model):
    """The lock a drain of an integration's payloads holds (services.payloads).

    A row of its own rather than the integration's: storing a payload checks its foreign key
    to the integration, and on MariaDB that check waits for any lock on the integration's row.
    """

    integration = models.OneToOneField(AlertIntegration, primary_key=True,
                                       on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("alert drain lock")
        verbose_name_plural = _("alert drain locks")


class AlertPayload(models.Model):
    """One request body exactly as a monitoring tool posted it, kept before processing."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to be processed")
        PROCESSED = "processed", _("processed")
        FAILED = "failed", _("could not be processed")

    integration = models.ForeignKey(AlertIntegration, verbose_name=_("integration"),
                                    on_delete=models.CASCADE, related_name="payloads")
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    body = models.TextField(_("body"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.PENDING)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    alert_count = models.PositiveIntegerField(_("alerts"), default=0)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["integration", "state", "id"], name="alertpayload_queue"),
            models.Index(fields=["state", "id"], name="alertpayload_state_id"),
        ]
        verbose_name = _("alert payload")
        verbose_name_plural = _("alert payloads")


class AlertGroup(models.Model):
    """Alerts that belong to one incident: one row per (integration, group key).

    The row is the lock point: processing locks it before deciding whether to open an incident,
    so two workers never open two incidents for one group.
    """

    integration = models.ForeignKey(AlertIntegration, verbose_name=_("integration"),
                                    on_delete=models.CASCADE, related_name="groups")
    key = models.CharField(_("group"), max_length=255)
    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    firing = models.PositiveIntegerField(_("alerts firing"), default=0)
    last_resolved_at = models.DateTimeField(_("all resolved at"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["integration", "key"],
                                               name="alertgroup_integration_key")]
        verbose_name = _("alert group")
        verbose_name_plural = _("alert groups")

    def __str__(self) -> str:
        return self.key


class Alert(models.Model):
    """The current state of one alert (integration + fingerprint) and the incident it went to.

    One row per fingerprint: every delivery updates it and adds an AlertEvent, so the console
    lists alerts, not deliveries.
    """

    class Status(models.TextChoices):
        FIRING = "firing", _("firing")
        RESOLVED = "resolved", _("resolved")

    class Handling(models.TextChoices):
        INCIDENT = "incident", _("on an incident")
        DROPPED = "dropped", _("dropped by a filter rule")
        SILENCED = "silenced", _("silenced")
        NEW = "new", _("waiting for the desk")

    integration = models.ForeignKey(AlertIntegration, verbose_name=_("integration"),
                                    on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(_("fingerprint"), max_length=128)
    group = models.ForeignKey(AlertGroup, verbose_name=_("group"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="alerts")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    handling = models.CharField(_("handling"), max_length=10, choices=Handling.choices,
                                default=Handling.NEW)
    severity = models.CharField(_("severity"), max_length=40, blank=True)
    summary = models.CharField(_("summary"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    labels = models.JSONField(_("labels"), default=dict)
    annotations = models.JSONField(_("annotations"), default=dict)
    generator_url = models.CharField(_("source link"), max_length=1000, blank=True)
    starts_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    deliveries = models.PositiveIntegerField(_("deliveries"), default=0)
    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_by = models.ForeignKey(USER, verbose_name=_("acknowledged by"), null=True,
                                        blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["integration", "fingerprint"],
                                               name="alert_integration_fingerprint")]
        indexes = [
            models.Index(fields=["last_seen_at", "id"], name="alert_last_seen"),
            models.Index(fields=["status", "last_seen_at"], name="alert_status_seen"),
            models.Index(fields=["incident"], name="alert_incident"),
        ]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return self.summary


class AlertEvent(models.Model):
    """One delivery of one alert: what the tool said, and what opsdesk did with it."""

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE,
                              related_name="events")
    payload = models.ForeignKey(AlertPayload, verbose_name=_("payload"), null=True,
                                on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Alert.Status.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["alert", "received_at"], name="alertevent_alert_time")]
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")


class AlertRule(TimeStampedModel):
    """A filter rule: alerts matching every matcher are dropped or kept; first match wins."""

    class Action(models.TextChoices):
        DROP = "drop", _("drop")
        KEEP = "keep", _("keep")

    integration = models.ForeignKey(
        AlertIntegration, verbose_name=_("integration"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="rules",
        help_text=_("Blank: the rule applies to every integration."))
    position = models.PositiveIntegerField(_("position"), default=0)
    action = models.CharField(_("action"), max_length=4, choices=Action.choices)
    matchers = models.JSONField(
        _("matchers"), default=list,
        help_text=_("A list of [label, operator, value]; operators = != =~ !~ (regex). "
                    "“severity” matches the alert's severity."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("alert filter rule")
        verbose_name_plural = _("alert filter rules")


class Silence(TimeStampedModel):
    """Alerts matching every matcher between the two instants are recorded but open nothing.

    A maintenance window is a silence planned ahead, usually by service or host.
    """

    class Kind(models.TextChoices):
        SILENCE = "silence", _("silence")
        MAINTENANCE = "maintenance", _("maintenance window")

    class Repeat(models.TextChoices):
        ONCE = "", _("once")
        DAILY = "daily", _("every day")
        WEEKLY = "weekly", _("every week")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices,
                            default=Kind.SILENCE)
    integration = models.ForeignKey(
        AlertIntegration, verbose_name=_("integration"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="silences",
        help_text=_("Blank: every integration."))
    matchers = models.JSONField(_("matchers"), default=list)
    starts_at = models.DateTimeField(_("starts at"), default=timezone.now)
    ends_at = models.DateTimeField(_("ends at"))
    repeat = models.CharField(
        _("repeats"), max_length=6, choices=Repeat.choices, default=Repeat.ONCE, blank=True,
        help_text=_("A repeating window recurs every day or every week at the local times of "
                    "its first occurrence, in its time zone, also across daylight saving "
                    "changes."))
    repeat_until = models.DateTimeField(_("repeats until"), null=True, blank=True,
                                        help_text=_("Blank: for ever."))
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True,
        help_text=_("The zone whose local times a repeating window keeps (the zone of whoever "
                    "created it). Blank: the site's time zone."))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["ends_at"], name="silence_ends")]
        verbose_name = _("silence")
        verbose_name_plural = _("silences")

    @property
    def period(self) -> timedelta | None:
        return PERIODS.get(self.repeat)

    @property
    def zone(self) -> ZoneInfo:
        """The window's time zone; an unknown name (a removed zone) falls back to the site's."""
        try:
            return ZoneInfo(self.time_zone or settings.TIME_ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(settings.TIME_ZONE)

    def occurrence_end(self, at) -> datetime | None:
        """The end of the occurrence in force at `at`, or None if none is (recurrence.py)."""
        found = occurrence_at(starts_at=self.starts_at, ends_at=self.ends_at, repeat=self.repeat,
                              zone=self.zone, at=at, until=self.repeat_until)
        return found[1] if found else None

    @classmethod
    def candidates_q(cls, at) -> models.Q:
        """Rows that may be in force at `at` (occurrence_end decides): an index-friendly filter."""
        once = models.Q(repeat="", ends_at__gt=at)
        repeating = ~models.Q(repeat="") & (models.Q(repeat_until__isnull=True)
                                            | models.Q(repeat_until__gt=at - timedelta(days=7)))
        return models.Q(starts_at__lte=at) & (once | repeating)
