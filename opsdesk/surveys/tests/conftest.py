"""Closed incidents and survey helpers shared by the survey tests."""

import re

import pytest

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.services import incident_transition
from opsdesk.notifications.models import Delivery
from opsdesk.reference.models import ClosureCode, ResolutionCode
from opsdesk.surveys.services import survey_settings_get

TOKEN_RE = re.compile(r"http://127\.0\.0\.1:8000/survey/([A-Za-z0-9_-]+)/(?:(\d)/)?")


@pytest.fixture
def survey_settings(db):
    """Surveys on for every closed incident, mailed an hour after closure, low at ≤ 2."""
    row = survey_settings_get()
    row.is_enabled, row.sample_percent, row.delay_minutes = True, 100, 60
    row.expiry_days, row.low_score_threshold, row.follow_up_days = 14, 2, 2
    row.save()
    return row


def resolved_incident(org, *, requester=None, by=None, **data):
    """An incident of the requester, resolved by the desk."""
    data.setdefault("short_description", "Printer on floor 3 does not print")
    incident = incident_factory(by=by or org.desk, requester=requester or org.requester, **data)
    return incident_transition(incident=incident, action="resolve", by=by or org.desk,
                               resolution="Replaced the toner",
                               resolution_code=ResolutionCode.objects.get(pk="01"))


def closed_incident(org, *, requester=None, closure_code=None, **data):
    """An incident the requester confirmed (closure code 01), or the desk closed with a code."""
    incident = resolved_incident(org, requester=requester, **data)
    if closure_code:
        return incident_transition(incident=incident, action="close", by=org.desk,
                                   closure_code=ClosureCode.objects.get(pk=closure_code))
    return incident_transition(incident=incident, action="confirm",
                               by=requester or org.requester)


def invitations_to(address: str) -> list[Delivery]:
    return list(Delivery.objects.filter(email=address, idempotency_key__contains=":invitation:")
                .order_by("pk"))


def token_from(delivery: Delivery) -> str:
    """The survey token in an invitation's text (the same in every link)."""
    tokens = {m.group(1) for m in TOKEN_RE.finditer(delivery.text)}
    assert len(tokens) == 1, delivery.text
    return tokens.pop()
