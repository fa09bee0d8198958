"""Alert intake: each integration posts to its own secret URL; 202 at once, work later."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from opsdesk.intake.services.payloads import (integration_for_token, payload_accept,
                                              payload_size_check,
                                              rate_check)

from .schemas import ERRORS, ErrorOut

router = Router()


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
    integration = integration_for_token(token)
    rate_check(integration=integration)
    # Refuse by the declared length before reading, so a huge body is never held in memory.
    payload_size_check(integration=integration,
                       declared=int(request.META.get("CONTENT_LENGTH") or 0))
    payload = payload_accept(integration=integration, body=request.body)
    return Status(202, {"payload": payload.pk,
                        "detail": _("Accepted; it will be processed shortly.")})
