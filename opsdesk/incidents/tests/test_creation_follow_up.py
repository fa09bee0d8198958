"""A creation outside a caller's transaction commits the incident first and then runs its
follow-up (mails, create hooks) in a second transaction; what fails there is run again by the
periodic sweep, once."""

from datetime import timedelta

import pytest
from django.db import transaction

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.incidents import hooks
from opsdesk.incidents.models import CreationFollowUp, Incident
from opsdesk.incidents.services import incident_create
from opsdesk.incidents.services.records import creation_follow_ups_run
from opsdesk.notifications.models import Delivery

pytestmark = pytest.mark.django_db(transaction=True)
NOW = timedelta(0)


def acknowledgements(incident: Incident) -> list[Delivery]:
    return list(Delivery.objects.filter(idempotency_key__startswith=f"incident:{incident.pk}:created"
                                        , email=incident.requester.email))


@pytest.fixture
def failing_hook():
    """An app's create hook that fails the first `times` calls (a bug, a lost connection)."""
    state = {"left": 0, "calls": 0}

    def hook(*, incident, by, channel):
        state["calls"] += 1
        if state["left"]:
            state["left"] -= 1
            raise RuntimeError("the hook's database went away")

    saved = list(hooks._after_create)
    hooks.after_create_add(hook)
    yield state
    hooks._after_create[:] = saved


def test_an_api_create_is_numbered_acknowledged_and_leaves_no_follow_up(reference_data, org,
                                                                         failing_hook):
    response = ApiClient(org.desk).post("/incidents", {"short_description": "Printer jammed",
                                                       "requester": "requester"})
    assert response.status_code == 201
    incident = Incident.objects.get(number=response.json()["number"])
    [mail] = acknowledgements(incident)
    assert incident.number in mail.subject
    assert failing_hook["calls"] == 1
    assert not CreationFollowUp.objects.exists()


def test_a_failed_follow_up_keeps_the_incident_and_the_sweep_runs_it_once(reference_data, org,
                                                                          failing_hook):
    failing_hook["left"] = 1
    response = ApiClient(org.desk).post("/incidents", {"short_description": "VPN down",
                                                       "requester": "requester"})
    assert response.status_code == 201  # the incident is logged: its number is the answer
    incident = Incident.objects.get(number=response.json()["number"])
    assert acknowledgements(incident) == []  # the mail rolled back with the failed hook
    assert CreationFollowUp.objects.filter(incident=incident).exists()

    assert creation_follow_ups_run() == 0  # younger than a minute: a request may still run it
    assert creation_follow_ups_run(older_than=NOW) == 1
    [mail] = acknowledgements(incident)
    assert incident.number in mail.subject and failing_hook["calls"] == 2
    assert not CreationFollowUp.objects.exists()
    assert creation_follow_ups_run(older_than=NOW) == 0
    assert len(acknowledgements(incident)) == 1 and failing_hook["calls"] == 2


def test_a_follow_up_that_keeps_failing_stays_for_the_next_sweep(reference_data, org,
                                                                 failing_hook):
    failing_hook["left"] = 2
    incident, created = incident_create(by=org.desk, data={
        "requester": org.requester, "short_description": "Mail server slow"})
    assert created and incident.number
    assert creation_follow_ups_run(older_than=NOW) == 0  # failed again, logged
    assert CreationFollowUp.objects.filter(incident=incident).exists()
    assert creation_follow_ups_run(older_than=NOW) == 1
    assert len(acknowledgements(incident)) == 1


def test_inside_a_callers_transaction_it_is_one_unit(reference_data, org, failing_hook):
    with transaction.atomic():
        incident, _created = incident_create(by=org.desk, data={
            "requester": org.requester, "short_description": "Logged by mail intake"})
    assert len(acknowledgements(incident)) == 1 and failing_hook["calls"] == 1
    assert not CreationFollowUp.objects.exists()
    failing_hook["left"] = 1
    with pytest.raises(RuntimeError), transaction.atomic():
        incident_create(by=org.desk, data={"requester": org.requester,
                                           "short_description": "Rolled back with its hook"})
    assert not Incident.objects.filter(short_description="Rolled back with its hook").exists()
