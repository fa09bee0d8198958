"""Alert intake: each integration posts to its own secret URL (202 at once, work later);
staff read the alerts and where they went."""

import json
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import Query, Router, Schema, Status
from pydantic import Field

from opsdesk.core.exceptions import DomainError, NotFound, NotPermitted
from opsdesk.intake.selectors import (AlertFilters, alert_console_allowed, alert_events,
                                      alert_get, alert_list)

from opsdesk.intake.services.payloads import (integration_for_token, payload_accept,
                                              payload_size_check,
                                              rate_check)

from .schemas import ERRORS, ErrorOut

router = Router()  # /intake: the tools post here, with no sign-in but the URL's token
alerts_router = Router()  # /alerts: staff read alerts and where they went


class AcceptedOut(Schema):
    payload: int
    detail: str


ACCEPT_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": True,
            "description": "The body exactly as the tool sends it: Alertmanager webhook v4, "
                           "Grafana alerting, Zabbix, Datadog or generic JSON.",
        }}},
    },
}


@router.post("/alerts/{token}", auth=None,
             response={202: AcceptedOut, **ERRORS, 413: ErrorOut, 429: ErrorOut},
             openapi_extra=ACCEPT_DOC, summary="Post monitoring alerts")
def alerts_post(request: HttpRequest, token: str):
    """Store the payload exactly as sent and queue it; processing happens in the background.

    Errors: 404 unknown or disabled token, 413 payload too large, 422 body not JSON,
    429 over the integration's rate limit (with Retry-After).
    """
    return Status(202, _accepted(_accept(request, token)))


@csrf_exempt  # like every django-ninja route: the token in the URL is the only credential
def alerts_post_view(request: HttpRequest, token: str) -> HttpResponse:
    """alerts_post without django-ninja's work per request; what config/wsgi.py serves.

    The same checks, the same answers (the errors through the API's own handler): in an
    alert storm, django-ninja's parameter and response validation cost as much Python time
    as the middleware the lean handler leaves out. alerts_post stays the documented route,
    and serves the test client and ASGI.
    """
    try:
        payload = _accept(request, token)
    except DomainError as exc:
        from .api import domain_error  # api.py imports this module

        return domain_error(request, exc)
    return HttpResponse(json.dumps(_accepted(payload)), status=202,
                        content_type="application/json; charset=utf-8")


def _accept(request: HttpRequest, token: str):
    integration = integration_for_token(token)
    rate_check(integration=integration)
    # Refuse by the declared length before reading, so a huge body is never held in memory.
    payload_size_check(integration=integration,
                       declared=int(request.META.get("CONTENT_LENGTH") or 0))
    return payload_accept(integration=integration, body=request.body)


def _accepted(payload) -> dict:
    return {"payload": payload.pk, "detail": _("Accepted; it will be processed shortly.")}


class AlertListQuery(Schema):
    status: str = Field("", description="firing or resolved")
    handling: str = Field("", description="incident, dropped, silenced or new")
    integration: str = Field("", description="an integration's id")
    unacknowledged: bool = False
    cursor: str = Field("", description="the `next` of the previous page")
    limit: int = Field(50, ge=1, le=200)


class AlertOut(Schema):
    id: int
    integration: str
    fingerprint: str
    status: str
    handling: str
    severity: str
    summary: str
    labels: dict
    annotations: dict
    generator_url: str
    starts_at: datetime | None
    ends_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    deliveries: int
    incident: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    silenced_until: datetime | None


class AlertPage(Schema):
    items: list[AlertOut]
    next: str


class AlertEventOut(Schema):
    status: str
    received_at: datetime
    outcome: str


class AlertDetailOut(AlertOut):
    description: str
    events: list[AlertEventOut]


def _check_reader(request) -> None:
    if not alert_console_allowed(user=request.auth):
        raise NotPermitted(_("Alerts are shown to the service desk, incident managers, "
                             "engineers, process owners and administrators."))


@alerts_router.get("", response={200: AlertPage, **ERRORS}, summary="List alerts")
def alerts_list(request: HttpRequest, query: Query[AlertListQuery]):
    """Alerts, last seen first, with the incident each went to; page on with `cursor`."""
    _check_reader(request)
    filters = AlertFilters.from_params({**query.dict(), "unacknowledged":
                                        "1" if query.unacknowledged else ""})
    page, cursor = alert_list(filters=filters, cursor=query.cursor, limit=query.limit)
    return {"items": [_alert(a) for a in page], "next": cursor}


@alerts_router.get("/{alert_id}", response={200: AlertDetailOut, **ERRORS},
            summary="One alert and its deliveries")
def alert_detail(request: HttpRequest, alert_id: int):
    _check_reader(request)
    alert = alert_get(alert_id=alert_id)
    if alert is None:
        raise NotFound(_("No alert has this id."))
    events = [{"status": e.status, "received_at": e.received_at, "outcome": e.outcome}
              for e in alert_events(alert=alert)]
    return {**_alert(alert), "description": alert.description, "events": events}


def _alert(alert) -> dict:
    silence = getattr(alert, "active_silence", None)
    return {
        "id": alert.pk, "integration": alert.integration.name, "fingerprint": alert.fingerprint,
        "status": alert.status, "handling": alert.handling, "severity": alert.severity,
        "summary": alert.summary, "labels": alert.labels, "annotations": alert.annotations,
        "generator_url": alert.generator_url, "starts_at": alert.starts_at,
        "ends_at": alert.ends_at, "first_seen_at": alert.first_seen_at,
        "last_seen_at": alert.last_seen_at, "deliveries": alert.deliveries,
        "incident": alert.incident.number if alert.incident_id else None,
        "acknowledged_by": alert.acknowledged_by.username if alert.acknowledged_by_id else None,
        "acknowledged_at": alert.acknowledged_at,
        "silenced_until": silence.current_end if silence else None,
    }
