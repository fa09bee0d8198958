"""Intake reads for the alert console and the intake settings: who may do what, and the lists.

Every list has a fixed query count: related rows come with select_related, and the active
silences (few at any time) are read once and matched in memory.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import Alert, AlertEvent, AlertIntegration, AlertPayload, InboundMail, Silence
from .services.matching import alert_matches

CONSOLE_PAGE_SIZE = 50
FAILED_PAYLOADS_SHOWN = 20


def _role(user, *flags: str) -> bool:
    return bool(getattr(user, "is_active", False) and (
        user.is_superuser or any(getattr(user, flag, False) for flag in flags)))


def alert_console_allowed(*, user) -> bool:
    """The desk, incident managers, engineers, process owners (who set the filter rules and
    maintenance windows) and administrators see the alert console."""
    return _role(user, "is_service_desk", "is_incident_manager", "is_engineer",
                 "is_process_owner", "is_administrator")


def alert_act_allowed(*, user) -> bool:
    """Acknowledging an alert, linking it and opening an incident for it is the desk's work
    (or a manager's): it decides what becomes of the alert on the desk."""
    return _role(user, "is_service_desk", "is_incident_manager")


def alert_silence_allowed(*, user) -> bool:
    """Silencing alerts, and ending or extending a silence, from the console: the desk and the
    managers, and those who keep silences and maintenance windows under Settings anyway
    (process owners and administrators)."""
    return _role(user, "is_service_desk", "is_incident_manager", "is_process_owner",
                 "is_administrator")


def payload_retry_allowed(*, user) -> bool:
    """A failed payload may be retried by the desk, a manager, or whoever fixes the
    integration's settings that made it fail (a process owner or an administrator)."""
    return _role(user, "is_service_desk", "is_incident_manager", "is_process_owner",
                 "is_administrator")


@dataclass(frozen=True)
class AlertFilters:
    """The console's filters; empty values filter nothing."""

    status: str = ""
    handling: str = ""
    integration_id: int | None = None
    unacknowledged: bool = False

    @classmethod
    def from_params(cls, params) -> "AlertFilters":
        """Filters from query parameters; unknown values are ignored, never an error."""
        status = params.get("status", "")
        handling = params.get("handling", "")
        integration = params.get("integration", "")
        return cls(status=status if status in Alert.Status.values else "",
                   handling=handling if handling in Alert.Handling.values else "",
                   integration_id=int(integration) if integration.isdigit() else None,
                   unacknowledged=params.get("unacknowledged") == "1")


def _filtered(filters: AlertFilters) -> QuerySet:
    rows = Alert.objects.all()
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.handling:
        rows = rows.filter(handling=filters.handling)
    if filters.integration_id:
        rows = rows.filter(integration_id=filters.integration_id)
    if filters.unacknowledged:
        rows = rows.filter(acknowledged_at__isnull=True)
    return rows


def alert_list(*, filters: AlertFilters, cursor: str = "", limit: int = CONSOLE_PAGE_SIZE,
               silences: list[Silence] | None = None) -> tuple[list[Alert], str]:
    """One page of alerts, last seen first (the alert_last_seen index), and the next cursor.

    The cursor is the last row's "last_seen_at|id", so new alerts arriving while someone
    pages never shift the rows they have not seen yet.
    """
    rows = (_filtered(filters).select_related("integration", "incident", "acknowledged_by")
            .order_by("-last_seen_at", "-id"))
    if after := _cursor_parse(cursor):
        seen, pk = after
        rows = rows.filter(Q(last_seen_at__lt=seen) | Q(last_seen_at=seen, id__lt=pk))
    page = list(rows[:limit + 1])
    more, page = len(page) > limit, page[:limit]
    alerts_mark_silenced(page, silences=silences)
    return page, _cursor_of(page[-1]) if more else ""


def _cursor_of(alert: Alert) -> str:
    return f"{alert.last_seen_at.isoformat()}|{alert.pk}"


def _cursor_parse(cursor: str) -> tuple[datetime, int] | None:
    seen, _bar, pk = (cursor or "").partition("|")
    try:
        when = parse_datetime(seen)
    except ValueError:
        return None
    return (when, int(pk)) if when and pk.isdigit() else None


def silences_active(*, at=None) -> list[Silence]:
    """Silences and maintenance windows in force now (or at `at`), ending soonest first, with
    their integration and author."""
    at = at or timezone.now()
    rows = [s for s in Silence.objects.filter(Silence.candidates_q(at))
            .select_related("integration", "created_by") if s.occurrence_end(at)]
    for row in rows:
        row.current_end = row.occurrence_end(at)
    return sorted(rows, key=lambda s: (s.current_end, s.pk))


def alerts_mark_silenced(alerts: list[Alert], *, at=None,
                         silences: list[Silence] | None = None) -> None:
    """Set `active_silence` on each alert: the silence covering it now, or None.

    One query, or none when the caller passes the silences in force (silences_active).
    """
    if silences is None:
        silences = silences_active(at=at) if alerts else []
    for alert in alerts:
        alert.active_silence = next(
            (s for s in silences if s.integration_id in (None, alert.integration_id)
             and alert_matches(s.matchers, alert)), None)


def alerts_held_firing(*, silence: Silence, limit: int = 1000) -> int:
    """How many alerts this silence holds that are still firing (up to `limit`): when it ends,
    each opens an incident at its next delivery."""
    rows = Alert.objects.filter(status=Alert.Status.FIRING, handling=Alert.Handling.SILENCED)
    if silence.integration_id:
        rows = rows.filter(integration_id=silence.integration_id)
    return sum(1 for alert in rows.only("labels", "severity", "summary")[:limit]
               if alert_matches(silence.matchers, alert))


def alert_get(*, alert_id: int) -> Alert | None:
    """One alert with its integration, incident and acknowledger, marked if silenced."""
    alert = (Alert.objects.select_related("integration", "incident", "acknowledged_by")
             .filter(pk=alert_id).first())
    if alert is not None:
        alerts_mark_silenced([alert])
    return alert


def alert_events(*, alert: Alert, limit: int = 200) -> list[AlertEvent]:
    """The alert's latest deliveries, newest first."""
    return list(alert.events.order_by("-received_at", "-id")[:limit])


def payloads_failed(*, limit: int = FAILED_PAYLOADS_SHOWN) -> tuple[list[AlertPayload], int]:
    """The newest payloads that could not be processed, and how many there are in all."""
    rows = AlertPayload.objects.filter(state=AlertPayload.State.FAILED)
    return list(rows.select_related("integration").order_by("-id")[:limit]), rows.count()


def integration_choices() -> list[AlertIntegration]:
    """Every integration by name, for filters and forms."""
    return list(AlertIntegration.objects.order_by("name"))


def inbound_mails(*, state: str, limit: int = 200) -> list[InboundMail]:
    """Quarantined, ignored or discarded mails, newest first (the inmail_state_time index)."""
    return list(InboundMail.objects.filter(state=state).select_related("mailbox", "released_by")
                .order_by("-received_at", "-id")[:limit])
