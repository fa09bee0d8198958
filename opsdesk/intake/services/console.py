"""Changes made on the intake settings pages: integrations, filter rules, silences, mailboxes.

Every service checks all fields before it writes and raises InvalidInput with a message per
field, so a refused change leaves nothing half-saved.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput
from opsdesk.reference.models import Impact, Urgency

from ..imap import ImapSettingsError, settings_check
from ..models import AlertIntegration, AlertRule, Mailbox, Silence
from ..parsers.generic import DEFAULT_MAPPING
from .mail_auth import authserv_ids_clean
from .matching import matchers_valid
from .payloads import integration_tokens_forget

INTEGRATION_FIELDS = [
    "name", "kind", "is_active", "default_group", "default_category", "default_service",
    "group_by", "severity_map", "when_resolved", "flap_minutes", "rate_limit_per_minute",
    "max_payload_kib", "field_mapping", "senders"]
RULE_FIELDS = ["integration", "position", "action", "matchers", "is_active"]
SILENCE_FIELDS = ["kind", "integration", "matchers", "starts_at", "ends_at", "repeat",
                  "repeat_until", "comment"]
SILENCE_LONGEST = timedelta(days=30)
MAILBOX_FIELDS = [
    "name", "address", "host", "port", "security", "username", "auth_method", "password",
    "oauth_token_url", "oauth_client_id", "oauth_client_secret", "oauth_scope", "oauth_grant",
    "oauth_refresh_token", "folder", "after_store", "move_to_folder", "create_contacts",
    "alert_integration", "is_active", "poll_seconds", "default_group", "default_category",
    "default_service", "sender_auth", "trusted_authserv_ids"]
MAILBOX_SECRETS = ("password", "oauth_client_secret", "oauth_refresh_token")
# A change to any of these makes the kept access token someone else's: it is dropped.
SIGN_IN_FIELDS = ("host", "username", "auth_method", "oauth_token_url", "oauth_client_id",
                  "oauth_client_secret", "oauth_scope", "oauth_grant", "oauth_refresh_token")


# ---- alert integrations ------------------------------------------------------------------

def _integration_errors(data: dict) -> dict:
    errors = {}
    if message := _severity_map_error(data.get("severity_map")):
        errors["severity_map"] = message
    if message := _field_mapping_error(data.get("field_mapping")):
        errors["field_mapping"] = message
    return errors


def _severity_map_error(value) -> str:
    """'' when the map is {severity: [impact, urgency]} with levels that exist."""
    if value in (None, {}):
        return ""
    impacts, urgencies = (set(model.objects.values_list("pk", flat=True))
                          for model in (Impact, Urgency))
    if not isinstance(value, dict):
        return _("Write a JSON object, e.g. {\"critical\": [2, 1]}.")
    for severity, levels in value.items():
        if not (isinstance(levels, list) and len(levels) == 2
                and all(isinstance(n, int) and not isinstance(n, bool) for n in levels)):
            return _("“%(severity)s”: give [impact, urgency] as two whole numbers.") % {
                "severity": severity}
        if levels[0] not in impacts or levels[1] not in urgencies:
            return _("“%(severity)s”: no such impact or urgency level.") % {
                "severity": severity}
    return ""


def _field_mapping_error(value) -> str:
    """'' when the mapping is an object naming only fields the generic parser knows."""
    if value in (None, {}):
        return ""
    if not isinstance(value, dict):
        return _("Write a JSON object, e.g. {\"summary\": \"title\"}.")
    unknown = sorted(set(value) - set(DEFAULT_MAPPING))
    if unknown:
        return _("Unknown fields: %(unknown)s. Known fields: %(known)s.") % {
            "unknown": ", ".join(unknown), "known": ", ".join(DEFAULT_MAPPING)}
    return ""


@transaction.atomic
def integration_create(*, data: dict) -> tuple[AlertIntegration, str]:
    """Add an integration; returns it and its token, which is never readable again."""
    if errors := _integration_errors(data):
        raise InvalidInput(errors=errors)
    integration = AlertIntegration(**{f: data[f] for f in INTEGRATION_FIELDS if f in data})
    token = integration.token_new()
    integration.save()
    return integration, token


@transaction.atomic
def integration_update(*, integration: AlertIntegration, data: dict) -> AlertIntegration:
    """Change an integration's settings; its token and URL stay the same."""
    if errors := _integration_errors(data):
        raise InvalidInput(errors=errors)
    integration = AlertIntegration.objects.select_for_update().get(pk=integration.pk)
    for field in INTEGRATION_FIELDS:
        if field in data:
            setattr(integration, field, data[field])
    integration.save()
    integration_tokens_forget()  # other web processes follow within a few seconds
    return integration


@transaction.atomic
def integration_token_renew(*, integration: AlertIntegration) -> str:
    """A new token (so a new URL): the old URL stops working within a few seconds."""
    integration = AlertIntegration.objects.select_for_update().get(pk=integration.pk)
    token = integration.token_new()
    integration.save(update_fields=["token_digest", "token_hint", "updated_at"])
    integration_tokens_forget()
    return token


# ---- filter rules and silences -----------------------------------------------------------

def _matchers_error(matchers) -> dict:
    message = matchers_valid(matchers)
    return {"matchers": message} if message else {}


def alert_rule_save(*, rule: AlertRule | None, data: dict) -> AlertRule:
    """Add a filter rule (rule=None) or change one; matchers are [label, operator, value]."""
    if errors := _matchers_error(data.get("matchers")):
        raise InvalidInput(errors=errors)
    rule = rule or AlertRule()
    for field in RULE_FIELDS:
        if field in data:
            setattr(rule, field, data[field])
    rule.save()
    return rule


def alert_rule_delete(*, rule: AlertRule) -> None:
    """Remove a filter rule; alerts it already dropped stay dropped."""
    rule.delete()


def _silence_errors(data: dict) -> dict:
    errors = _matchers_error(data.get("matchers"))
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts and ends and ends <= starts:
        errors["ends_at"] = _("The end must come after the start.")
    period = Silence(repeat=data.get("repeat") or "").period
    if period and starts and ends and ends - starts >= period:
        errors["repeat"] = _("A repeating window must be shorter than its period (a day or a "
                             "week).")
    if data.get("repeat_until") and starts and data["repeat_until"] <= starts:
        errors["repeat_until"] = _("The repetition must end after the first start.")
    if data.get("time_zone") and not _zone_known(data["time_zone"]):
        errors["time_zone"] = _("“%(zone)s” is not a time zone name such as Asia/Shanghai.") % {
            "zone": data["time_zone"]}
    if not data.get("matchers") and not data.get("integration"):
        errors["matchers"] = _("This would silence every alert of every integration: add a "
                               "matcher or choose an integration.")
    return errors


def silence_save(*, silence: Silence | None, data: dict, by) -> Silence:
    """Add a silence or maintenance window (silence=None), or change one.

    A repeating window keeps the local times of its `time_zone`: the one given, else for a new
    window the zone its times were entered in (the active time zone: the reader's own on the
    web). An edit keeps the window's zone, so changing a comment never moves the window.
    """
    if errors := _silence_errors(data):
        raise InvalidInput(errors=errors)
    if silence is None:
        silence = Silence(created_by=by)
    for field in SILENCE_FIELDS:
        if field in data:
            setattr(silence, field, data[field])
    if data.get("time_zone") or silence.pk is None:
        silence.time_zone = data.get("time_zone") or timezone.get_current_timezone_name()
    silence.save()
    return silence


def silence_expire(*, silence: Silence) -> bool:
    """End a silence now; False if it had ended already. Alerts firing after this open
    incidents again."""
    now = timezone.now()
    if silence.repeat:  # no later occurrence; the one in force, if any, ends now
        silence.refresh_from_db()
        ended = silence.occurrence_end(now) is not None or silence.starts_at > now or (
            silence.repeat_until is None or silence.repeat_until > now)
        Silence.objects.filter(pk=silence.pk).update(
            repeat="", repeat_until=None, ends_at=max(now, silence.starts_at), updated_at=now)
        return ended
    return bool(Silence.objects.filter(pk=silence.pk, ends_at__gt=now).update(
        ends_at=max(now, silence.starts_at), updated_at=now))


def _zone_known(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def silence_end(*, silence: Silence) -> bool:
    """End a one-off silence now, from the alert console; False if it had ended already.

    A repeating maintenance window is planned under Settings, where ending it ends every later
    occurrence too; the console refuses it rather than do that by surprise.
    """
    if silence.repeat:
        raise Conflict(_("This maintenance window repeats: change or end it under Settings → "
                         "Silences and maintenance."))
    return silence_expire(silence=silence)


@transaction.atomic
def silence_extend(*, silence: Silence, hours: int) -> Silence:
    """Make a one-off silence in force last `hours` longer than its current end.

    Refused for a repeating window (see silence_end), a silence that has ended, and an end
    more than 30 days from now.
    """
    row = Silence.objects.select_for_update().get(pk=silence.pk)
    now = timezone.now()
    if row.repeat:
        raise Conflict(_("This maintenance window repeats: change it under Settings → "
                         "Silences and maintenance."))
    if row.ends_at <= now:
        raise Conflict(_("This silence has ended; silence the alert again instead."))
    new_end = row.ends_at + timedelta(hours=hours)
    if hours < 1 or new_end - now > SILENCE_LONGEST:
        raise InvalidInput(errors={"hours": _("A silence can last at most 30 days from now: "
                                              "extend it by fewer hours.")})
    row.ends_at = new_end
    row.save(update_fields=["ends_at", "updated_at"])
    return row


def silence_delete(*, silence: Silence) -> None:
    """Remove a silence from the list altogether."""
    silence.delete()


# ---- mailboxes ---------------------------------------------------------------------------

def sender_auth_check(mailbox: Mailbox) -> None:
    """Trusted ids in one form (one per line); requiring authentication needs at least one,
    or every mail would be quarantined."""
    try:
        mailbox.trusted_authserv_ids = authserv_ids_clean(mailbox.trusted_authserv_ids)
    except ValueError as error:
        raise InvalidInput(errors={"trusted_authserv_ids": _(
            "“%(value)s” is not an authserv-id: write the host name your mail server puts "
            "first in its Authentication-Results header, e.g. mx.example.com, one per line.")
            % {"value": str(error)[:100]}}) from None
    if mailbox.sender_auth == Mailbox.SenderAuth.REQUIRE and not mailbox.trusted_authserv_ids:
        raise InvalidInput(errors={"trusted_authserv_ids": _(
            "Name at least one trusted receiving server, or every mail would be "
            "quarantined.")})


def mailbox_save(*, mailbox: Mailbox | None, data: dict) -> Mailbox:
    """Add a mailbox (mailbox=None) or change one.

    Secrets (password, client secret, refresh token) are write-only: a blank one keeps the
    saved one. Changing how the mailbox signs in drops its kept OAuth2 access token.
    """
    mailbox = mailbox or Mailbox()
    data = {k: v for k, v in data.items() if k not in MAILBOX_SECRETS or v}
    # From the row: a bound form has already written its values into the instance.
    before = list(Mailbox.objects.filter(pk=mailbox.pk).values_list(*SIGN_IN_FIELDS).first()
                  or ()) if mailbox.pk else []
    for field in MAILBOX_FIELDS:
        if field in data:
            setattr(mailbox, field, data[field])
    try:
        settings_check(mailbox)
    except ImapSettingsError as error:
        raise InvalidInput(errors={error.field: str(error)}) from None
    sender_auth_check(mailbox)
    if before != [getattr(mailbox, field) for field in SIGN_IN_FIELDS]:
        mailbox.oauth_access_token, mailbox.oauth_access_expires_at = "", None
    mailbox.save()
    return mailbox
