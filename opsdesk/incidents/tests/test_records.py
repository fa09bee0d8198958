"""Logging and editing the incident record (SPEC §2): defaults, priority matrix, validation."""

import pytest

from opsdesk.core.exceptions import InvalidInput, NotPermitted
from opsdesk.core.testing.factories import (ConfigurationItemFactory, LocationFactory,
                                            UserFactory, incident_factory)
from opsdesk.incidents.choices import Channel, EventKind, Status
from opsdesk.incidents.models import IdempotencyKey, Incident, IncidentEvent
from opsdesk.incidents.services import (incident_create, incident_transition, incident_update,
                                        request_digest)
from opsdesk.reference.models import Impact, Priority, PriorityMatrixCell, Source, Urgency


def create(by, **data):
    data.setdefault("short_description", "Cannot print")
    incident, _created = incident_create(by=by, data=data, channel=data.pop("channel",
                                                                           Channel.WEB))
    return Incident.objects.get(pk=incident.pk)


# --- Defaults and the priority matrix --------------------------------------------------------

def test_defaults_of_a_new_incident(org):
    incident = create(org.desk, requester=org.requester)
    assert (incident.impact_id, incident.urgency_id, incident.priority_id) == (4, 3, 3)
    assert incident.nature_id == "01" and incident.number.startswith("INC")
    assert incident.status == Status.LOGGED
    assert incident.created_by == org.desk and incident.channel == Channel.WEB
    assert incident.requester_department == org.requester.department
    assert (incident.reassignment_count, incident.hand_back_count, incident.reopen_count,
            incident.escalation_count) == (0, 0, 0, 0)


def test_plain_user_is_the_requester_of_what_they_log(org):
    incident = create(org.requester)
    assert incident.requester == org.requester and incident.owner is None
    assert incident.source_id == "03"  # the portal


@pytest.mark.parametrize(("channel", "source"), [
    (Channel.PHONE, "01"), (Channel.EMAIL, "02"), (Channel.WEB, "03"), (Channel.ALERT, "04"),
    (Channel.API, "07"),
])
def test_source_defaults_from_the_channel(org, channel, source):
    assert create(org.desk, requester=org.requester, channel=channel).source_id == source
    walk_in = Source.objects.get(pk="05")
    assert create(org.desk, requester=org.requester, channel=channel,
                  source=walk_in).source_id == "05"


def test_priority_follows_the_itss_formula_in_every_cell(org):
    for impact in range(1, 5):
        for urgency in range(1, 5):
            incident = create(org.desk, requester=org.requester,
                              impact=Impact.objects.get(pk=impact),
                              urgency=Urgency.objects.get(pk=urgency))
            assert incident.priority_id == max(1, (impact + urgency) // 2), (impact, urgency)
            assert not incident.priority_overridden


def test_priority_follows_an_edited_matrix_cell(org):
    PriorityMatrixCell.objects.filter(impact_id=4, urgency_id=4).update(priority_id=2)
    incident = create(org.desk, requester=org.requester, impact=Impact.objects.get(pk=4),
                      urgency=Urgency.objects.get(pk=4))
    assert incident.priority_id == 2


def test_priority_is_recomputed_when_impact_or_urgency_change(org):
    incident = create(org.desk, requester=org.requester)
    incident_update(incident=incident, by=org.desk, data={"urgency": Urgency.objects.get(pk=1)})
    assert Incident.objects.get(pk=incident.pk).priority_id == 2  # (4 + 1) // 2


def test_override_when_logging_needs_a_reason(org):
    with pytest.raises(InvalidInput) as raised:
        create(org.desk, requester=org.requester, priority=Priority.objects.get(pk=1))
    assert "priority_override_reason" in raised.value.errors
    assert not Incident.objects.exists()
    incident = create(org.desk, requester=org.requester, priority=Priority.objects.get(pk=1),
                      priority_override_reason="Payroll run tonight")
    assert (incident.priority_id, incident.priority_overridden) == (1, True)


def test_only_desk_and_managers_end_an_override(org):
    incident = create(org.desk, requester=org.requester, priority=Priority.objects.get(pk=1),
                      priority_override_reason="Payroll run tonight")
    incident_transition(incident=incident, action="assign", by=org.desk,
                        assignment_group=org.groups["NET2"])
    for value in (None, Priority.objects.get(pk=3), Priority.objects.get(pk=2)):
        with pytest.raises(NotPermitted):
            incident_update(incident=incident, by=org.engineer, data={"priority": value})
    # Sending the value it already has changes nothing and is allowed.
    incident_update(incident=incident, by=org.engineer,
                    data={"priority": Priority.objects.get(pk=1), "description": "Checked"})
    row = Incident.objects.get(pk=incident.pk)
    assert (row.priority_id, row.priority_overridden, row.description) == (1, True, "Checked")
    incident_update(incident=incident, by=org.manager, data={"priority": None})
    row = Incident.objects.get(pk=incident.pk)
    assert (row.priority_id, row.priority_overridden, row.priority_override_reason) == (
        3, False, "")


# --- What a person may set -----------------------------------------------------------------------

def test_desk_records_every_item_of_the_record(org):
    location = LocationFactory()
    cis = [ConfigurationItemFactory(), ConfigurationItemFactory()]
    incident = create(
        org.desk, requester=org.requester, contact_name="Li Lei", contact_phone="13800000000",
        contact_email="li@example.com", location=location, description="Paper jam in tray 2",
        vendor_reference="HP-123", alert_ids=["am-1"], related_problem="PRB202611250001",
        configuration_items=cis, watchers=[org.colleague], collaborators=[org.engineer])
    assert (incident.contact_name, incident.contact_phone, incident.contact_email) == (
        "Li Lei", "13800000000", "li@example.com")
    assert incident.location == location and incident.alert_ids == ["am-1"]
    assert set(incident.configuration_items.all()) == set(cis)
    assert list(incident.watchers.all()) == [org.colleague]
    assert list(incident.collaborators.all()) == [org.engineer]


@pytest.mark.parametrize(("field", "value"), [
    ("short_description", ""), ("short_description", "   "), ("alert_ids", "am-1"),
])
def test_invalid_records_are_refused_and_nothing_is_saved(org, field, value):
    with pytest.raises(InvalidInput) as raised:
        create(org.desk, requester=org.requester, **{field: value})
    assert field in raised.value.errors
    assert not Incident.objects.exists() and not IncidentEvent.objects.exists()


@pytest.mark.parametrize("field", ["duplicate_of", "parent"])
def test_an_incident_cannot_point_at_itself(org, field):
    incident = create(org.desk, requester=org.requester)
    with pytest.raises(InvalidInput) as raised:
        incident_update(incident=incident, by=org.desk, data={field: incident})
    assert field in raised.value.errors
    assert getattr(Incident.objects.get(pk=incident.pk), f"{field}_id") is None


def test_changing_the_requester_moves_the_department(org):
    incident = create(org.desk, requester=org.requester)
    incident_update(incident=incident, by=org.desk, data={"requester": org.outsider})
    row = Incident.objects.get(pk=incident.pk)
    assert row.requester == org.outsider
    assert row.requester_department == org.outsider.department
    event = row.events.get(field="requester")
    assert (event.old_value, event.new_value) == ("requester", "outsider")


def test_system_items_cannot_be_set_through_update(org):
    incident = create(org.desk, requester=org.requester)
    number = incident.number
    incident_update(incident=incident, by=org.desk, data={
        "number": "INC209901010001", "status": Status.CLOSED, "owner": org.manager,
        "reopen_count": 9, "first_contact_resolution": True, "description": "Real change"})
    row = Incident.objects.get(pk=incident.pk)
    assert (row.number, row.status, row.owner, row.reopen_count) == (
        number, Status.LOGGED, org.desk, 0)
    assert row.first_contact_resolution is False and row.description == "Real change"
    assert set(row.events.filter(kind=EventKind.FIELD).values_list("field", flat=True)) == {
        "description"}


def test_engineer_logs_for_themselves_only(org):
    incident = create(org.engineer)
    assert incident.requester == org.engineer
    with pytest.raises(NotPermitted):
        create(org.engineer, requester=org.requester)


# --- Idempotent creation ------------------------------------------------------------------------

def test_a_retried_request_returns_the_first_incident(org):
    payload = {"short_description": "Wi-Fi down", "requester": "requester"}
    digest = request_digest(payload)
    data = {"short_description": "Wi-Fi down", "requester": org.requester}
    first, created = incident_create(by=org.desk, data=data, idempotency_key="k-1",
                                     digest=digest)
    again, created_again = incident_create(by=org.desk, data=data, idempotency_key="k-1",
                                           digest=digest)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and Incident.objects.count() == 1
    assert IdempotencyKey.objects.get(user=org.desk, key="k-1").incident == first

    with pytest.raises(InvalidInput):
        incident_create(by=org.desk, data={**data, "short_description": "Other"},
                        idempotency_key="k-1", digest=request_digest({"other": 1}))
    assert Incident.objects.count() == 1
    # The same key from another person is another request.
    other_desk = UserFactory(username="other_desk", is_service_desk=True)
    _other, created_other = incident_create(by=other_desk, data=data, idempotency_key="k-1",
                                            digest=digest)
    assert created_other and Incident.objects.count() == 2


def test_a_failed_keyed_request_can_be_retried(org):
    digest = request_digest({"short_description": ""})
    with pytest.raises(InvalidInput):
        incident_create(by=org.desk, data={"short_description": "", "requester": org.requester},
                        idempotency_key="k-2", digest=digest)
    assert not IdempotencyKey.objects.filter(key="k-2").exists()
    incident, created = incident_create(
        by=org.desk, data={"short_description": "Fixed", "requester": org.requester},
        idempotency_key="k-2", digest=request_digest({"short_description": "Fixed"}))
    assert created and incident.short_description == "Fixed"


def test_factory_goes_through_the_service(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    assert IncidentEvent.objects.filter(incident=incident, kind=EventKind.CREATED).exists()
