"""Monitoring alerts become incidents: filter, deduplicate, group, open, follow and resolve.

Each alert is handled in its own transaction, in this order of locks: the Alert row (one per
integration and fingerprint), then its AlertGroup row. So two workers handling deliveries of
one alert take turns, and two alerts of one new group never open two incidents.

Deliveries may come twice and out of order: a delivery older than what the alert already says
(its start or end time is earlier) is recorded and changes nothing.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput
from opsdesk.incidents.choices import FINAL_STATUSES, Channel, Status, Visibility
from opsdesk.incidents.models import Incident

from ..models import Alert, AlertEvent, AlertGroup, AlertIntegration, AlertPayload, Silence
from ..parsers.types import NormalizedAlert
from .matching import alert_rule_action, alert_silence

MONITORING_USERNAME = "monitoring"
# Severity (as the tools spell it, lower-case) → (impact, urgency); priority follows the matrix.
DEFAULT_SEVERITY_MAP = {
    **dict.fromkeys(("critical", "disaster", "emergency", "fatal", "page", "p1"), (2, 1)),
    **dict.fromkeys(("high", "error", "major", "p2"), (2, 2)),
    **dict.fromkeys(("warning", "warn", "average", "minor", "medium", "p3"), (3, 3)),
    **dict.fromkeys(("info", "information", "low", "not classified", "ok", "p4"), (4, 4)),
}
DEFAULT_LEVELS = (3, 3)
ALERT_IDS_KEPT = 50  # the incident lists its first alerts; the console has them all
RESOLVED_BY_ALERTS_CODE = "99"


@dataclass
class Outcome:
    """What handling one delivery did, for the alert's event row and the tests."""

    text: str
    opened: Incident | None = None


def monitoring_user():
    """The account monitoring incidents are reported by; it can read and note them, not sign in."""
    user, created = get_user_model().objects.get_or_create(
        username=MONITORING_USERNAME,
        defaults={"display_name": "监控系统 (Monitoring)", "is_engineer": True})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@dataclass
class IngestBatch:
    """Alert rows locked once per batch and written once at its end, and its deliveries.

    A drain handles a few hundred payloads in one transaction; most deliveries repeat an alert
    already firing, so reading each row once and writing it once saves most of the queries.
    """

    integration: AlertIntegration
    rows: dict = field(default_factory=dict)    # fingerprint → Alert, locked
    dirty: dict = field(default_factory=dict)   # id → Alert to write at the flush
    events: list = field(default_factory=list)  # AlertEvent rows to insert at the flush

    def lock(self, fingerprints) -> None:
        """Lock and keep the existing rows of these fingerprints, in id order (no deadlocks)."""
        missing = {f[:128] for f in fingerprints} - self.rows.keys()
        if missing:
            for row in (Alert.objects.select_for_update().order_by("id")
                        .filter(integration=self.integration, fingerprint__in=missing)):
                self.rows[row.fingerprint] = row

    def flush(self) -> None:
        for row in self.dirty.values():
            row.save()
        AlertEvent.objects.bulk_create(self.events)
        self.dirty, self.events = {}, []


def alerts_ingest(*, integration: AlertIntegration, alerts: list[NormalizedAlert],
                  payload: AlertPayload | None = None,
                  batch: IngestBatch | None = None) -> list[Outcome]:
    """Handle every alert of one delivery, oldest first.

    With `batch`, the caller locked the rows and writes them at its flush; otherwise this
    call does both.
    """
    ordered = sorted(alerts, key=lambda a: (_event_time(a) or timezone.now()))
    own = batch is None
    batch = batch or IngestBatch(integration=integration)
    with transaction.atomic(savepoint=False):
        batch.lock(a.fingerprint for a in ordered)
        outcomes = [alert_ingest(alert=a, payload=payload, batch=batch) for a in ordered]
        if own:
            batch.flush()
    return outcomes


def alert_ingest(*, alert: NormalizedAlert, batch: IngestBatch,
                 payload: AlertPayload | None = None) -> Outcome:
    """Record one delivery of one alert and act on it (see the module docstring)."""
    now = timezone.now()
    row, created = _alert_row(batch, alert=alert, now=now)
    if not created and _is_stale(row, alert):
        outcome = Outcome(_("Older than what the alert already reported: ignored."))
    else:
        was_firing = not created and row.status == Alert.Status.FIRING
        _alert_update(row, alert, now=now)
        outcome = (_on_firing(row, alert, was_firing=was_firing, now=now)
                   if alert.status == Alert.Status.FIRING
                   else _on_resolved(row, was_firing=was_firing, now=now))
    batch.dirty[row.pk] = row
    batch.events.append(AlertEvent(alert=row, payload=payload, status=alert.status,
                                   received_at=now, outcome=outcome.text[:200]))
    return outcome


def _alert_row(batch: IngestBatch, *, alert: NormalizedAlert, now) -> tuple[Alert, bool]:
    fingerprint = alert.fingerprint[:128]
    row = batch.rows.get(fingerprint)
    if row is not None:
        row.deliveries += 1
        return row, False
    try:
        with transaction.atomic():  # a savepoint: a concurrent first delivery may win the race
            row = Alert.objects.create(integration=batch.integration, fingerprint=fingerprint,
                                       status=alert.status, summary=alert.summary[:200] or "-",
                                       first_seen_at=now, last_seen_at=now, deliveries=1)
    except IntegrityError:
        row = Alert.objects.select_for_update().get(integration=batch.integration,
                                                    fingerprint=fingerprint)
        row.deliveries += 1
        batch.rows[fingerprint] = row
        return row, False
    batch.rows[fingerprint] = row
    return row, True


def _event_time(alert: NormalizedAlert):
    return alert.ends_at if alert.status == Alert.Status.RESOLVED else alert.starts_at


def _is_stale(row: Alert, alert: NormalizedAlert) -> bool:
    """Whether this delivery describes an earlier moment than the alert's current state."""
    current = row.ends_at if row.status == Alert.Status.RESOLVED else row.starts_at
    event = _event_time(alert)
    return bool(current and event and event < current)


def _alert_update(row: Alert, alert: NormalizedAlert, *, now) -> None:
    row.status, row.severity = alert.status, alert.severity[:40]
    row.summary, row.description = alert.summary[:200] or row.summary, alert.description
    row.labels, row.annotations = dict(alert.labels), dict(alert.annotations)
    row.generator_url, row.last_seen_at = alert.generator_url[:1000], now
    row.starts_at = alert.starts_at or row.starts_at
    row.ends_at = alert.ends_at if alert.status == Alert.Status.RESOLVED else None


def _on_firing(row: Alert, alert: NormalizedAlert, *, was_firing: bool, now) -> Outcome:
    if was_firing and row.handling == Alert.Handling.INCIDENT:
        return Outcome(_("Still firing."))
    row.resolved_at = None
    action = alert_rule_action(integration=row.integration, alert=alert)
    if action == "drop":
        row.handling = Alert.Handling.DROPPED
        return Outcome(_("Dropped by a filter rule."))
    if silence := alert_silence(integration=row.integration, alert=alert, at=now):
        row.handling = Alert.Handling.SILENCED
        return Outcome(_("Silenced: %(comment)s") % {"comment": silence.comment or silence.pk})
    return _join_group(row, alert, now=now)


def _join_group(row: Alert, alert: NormalizedAlert, *, now) -> Outcome:
    group = _group_locked(row.integration, group_key_for(row.integration, alert))
    group.firing += 1
    incident, outcome = _group_incident(group, row, alert, now=now)
    group.incident, group.last_resolved_at = incident, None
    group.save()
    row.group, row.incident, row.handling = group, incident, Alert.Handling.INCIDENT
    _alert_ids_add(incident, row)
    return outcome


def _group_locked(integration, key: str) -> AlertGroup:
    key = key[:255]
    group = AlertGroup.objects.select_for_update().filter(integration=integration, key=key).first()
    if group is None:
        with transaction.atomic():
            AlertGroup.objects.create(integration=integration, key=key)
        group = AlertGroup.objects.select_for_update().get(integration=integration, key=key)
    return group


def group_key_for(integration: AlertIntegration, alert: NormalizedAlert) -> str:
    """The integration's grouping rule, else the source's own group, else service + alertname."""
    if integration.group_by.strip():
        names = [n.strip() for n in integration.group_by.split(",") if n.strip()]
        return "|".join(f"{n}={alert.labels.get(n, '')}" for n in names)
    if alert.group_key:
        return alert.group_key
    service, name = alert.labels.get("service", ""), alert.labels.get("alertname", "")
    return f"service={service}|alertname={name}" if service or name else alert.fingerprint


def _group_incident(group: AlertGroup, row: Alert, alert, *, now) -> tuple[Incident, Outcome]:
    incident = (Incident.objects.select_for_update().filter(pk=group.incident_id).first()
                if group.incident_id else None)
    if incident is not None and incident.status not in FINAL_STATUSES:
        if incident.status == Status.RESOLVED:
            return _reopen(incident, row, group=group, now=now)
        _note(incident, _("Alert firing: %(summary)s") % {"summary": row.summary})
        return incident, Outcome(_("Joined %(number)s.") % {"number": incident.number})
    incident = _open(group.integration, alert)
    return incident, Outcome(_("Opened %(number)s.") % {"number": incident.number}, incident)


def _reopen(incident: Incident, row: Alert, *, group: AlertGroup, now):
    """Within the flapping window the resolved incident continues; after it, a new one opens."""
    window = timedelta(minutes=group.integration.flap_minutes)
    if incident.resolved_at and now - incident.resolved_at <= window:
        from opsdesk.incidents.services.lifecycle import incident_transition

        reason = _("The alert fired again: %(summary)s") % {"summary": row.summary}
        incident = incident_transition(incident=incident, action="reopen", by=None,
                                       channel=Channel.ALERT, reason=reason)
        return incident, Outcome(_("Fired again within the flapping window: %(number)s "
                                   "reopened.") % {"number": incident.number})
    opened = _open(group.integration, _as_normalized(row))
    return opened, Outcome(_("Opened %(number)s.") % {"number": opened.number}, opened)


def _as_normalized(row: Alert) -> NormalizedAlert:
    return NormalizedAlert(source=row.integration.kind, fingerprint=row.fingerprint,
                           status=row.status, summary=row.summary, severity=row.severity,
                           description=row.description, labels=row.labels,
                           annotations=row.annotations, starts_at=row.starts_at,
                           generator_url=row.generator_url)


def _open(integration: AlertIntegration, alert: NormalizedAlert) -> Incident:
    from .alert_incidents import incident_from_alert

    return incident_from_alert(integration=integration, alert=alert, by=monitoring_user())


def _alert_ids_add(incident: Incident, row: Alert) -> None:
    ids = list(incident.alert_ids or [])
    if row.pk not in ids and len(ids) < ALERT_IDS_KEPT:
        ids.append(row.pk)
        Incident.objects.filter(pk=incident.pk).update(alert_ids=ids)
        incident.alert_ids = ids


def _on_resolved(row: Alert, *, was_firing: bool, now) -> Outcome:
    row.resolved_at = now
    if not was_firing or row.group_id is None or row.handling != Alert.Handling.INCIDENT:
        return Outcome(_("Resolved."))
    group = AlertGroup.objects.select_for_update().get(pk=row.group_id)
    group.firing = max(group.firing - 1, 0)
    if group.firing:
        group.save()
        return Outcome(_("Resolved; %(count)d alerts of the group still firing.")
                       % {"count": group.firing})
    group.last_resolved_at = now
    group.save()
    return _all_resolved(group)


def _all_resolved(group: AlertGroup) -> Outcome:
    incident = Incident.objects.select_for_update().filter(pk=group.incident_id).first()
    if incident is None or incident.status in (*FINAL_STATUSES, Status.RESOLVED):
        return Outcome(_("Resolved; every alert of the group has resolved."))
    note = _("Every alert of this incident has resolved.")
    if group.integration.when_resolved == AlertIntegration.WhenResolved.FLAG:
        _note(incident, note + " " + _("Check the service and resolve the incident."))
        return Outcome(_("All resolved: %(number)s flagged for the desk.")
                       % {"number": incident.number})
    from opsdesk.core import lookups
    from opsdesk.incidents.services.lifecycle import incident_transition
    from opsdesk.reference.models import ResolutionCode

    _note(incident, note)
    incident_transition(incident=incident, action="resolve", by=None, channel=Channel.ALERT,
                        resolution=_("Resolved automatically: the monitoring reports that every "
                                     "alert has recovered."),
                        resolution_code=lookups.lookup(ResolutionCode, RESOLVED_BY_ALERTS_CODE))
    return Outcome(_("All resolved: %(number)s resolved.") % {"number": incident.number})


def _note(incident: Incident, text: str, *, by=None) -> None:
    """A work note from `by`, else the monitoring account (the reporter of its incidents)."""
    from opsdesk.incidents.services.comments import comment_create

    comment_create(incident=incident, by=by or monitoring_user(), body=text,
                   visibility=Visibility.INTERNAL, channel=Channel.ALERT)


def severity_levels(integration: AlertIntegration, severity: str) -> tuple[int, int]:
    """(impact, urgency) for an alert severity: the integration's map, then the defaults."""
    key = (severity or "").strip().lower()
    custom = {str(k).lower(): v for k, v in (integration.severity_map or {}).items()}
    levels = custom.get(key) or DEFAULT_SEVERITY_MAP.get(key) or DEFAULT_LEVELS
    return int(levels[0]), int(levels[1])




def alert_acknowledge(*, alert: Alert, by) -> Alert:
    """The desk has seen the alert; the console stops highlighting it."""
    Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=by, acknowledged_at=timezone.now())
    alert.refresh_from_db()
    return alert


def alert_link(*, alert: Alert, incident: Incident, by) -> Alert:
    """Put the alert on an existing incident (the desk knows better than the grouping)."""
    if incident.status in FINAL_STATUSES:
        raise Conflict(_("%(number)s is finished: link the alert to an open incident.")
                       % {"number": incident.number})
    with transaction.atomic():
        row = Alert.objects.select_for_update().get(pk=alert.pk)
        _group_release(row)
        row.incident, row.group, row.handling = incident, None, Alert.Handling.INCIDENT
        row.save(update_fields=["incident", "group", "handling"])
        _alert_ids_add(incident, row)
        _note(incident, _("Alert linked by %(person)s: %(summary)s")
              % {"person": by.label, "summary": row.summary}, by=by)
    return row


def _group_release(row: Alert) -> None:
    """A firing alert leaving its group no longer keeps the group's incident open."""
    if row.group_id and row.status == Alert.Status.FIRING:
        AlertGroup.objects.filter(pk=row.group_id, firing__gt=0).update(firing=F("firing") - 1)


def alert_incident_create(*, alert: Alert, by) -> Incident:
    """Open an incident for an alert the rules dropped or a silence held, by hand."""
    if alert.incident_id and alert.incident.status not in FINAL_STATUSES:
        raise Conflict(_("This alert is already on %(number)s.") % {
            "number": alert.incident.number})
    with transaction.atomic():
        row = Alert.objects.select_for_update().get(pk=alert.pk)
        _group_release(row)
        incident = _open(row.integration, _as_normalized(row))
        row.incident, row.group, row.handling = incident, None, Alert.Handling.INCIDENT
        row.save(update_fields=["incident", "group", "handling"])
        _alert_ids_add(incident, row)
        _note(incident, _("Opened by hand from the alert console by %(person)s.")
              % {"person": by.label})
    return incident


def alert_silence_create(*, alert: Alert, by, hours: float, comment: str = "") -> Silence:
    """Silence alerts with this one's labels for `hours`; a firing one stops opening incidents."""
    if not 0 < hours <= 24 * 30:
        raise InvalidInput(errors={"hours": _("Silence for between a few minutes and 30 days.")})
    now = timezone.now()
    matchers = [[k, "=", str(v)] for k, v in sorted(alert.labels.items())] or \
        [["summary", "=", alert.summary]]
    return Silence.objects.create(
        integration=alert.integration, matchers=matchers, starts_at=now,
        ends_at=now + timedelta(hours=hours), created_by=by,
        comment=comment or _("Silenced from the alert console by %(person)s")
        % {"person": by.label})
