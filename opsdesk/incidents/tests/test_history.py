"""The append-only history (SPEC §2): who, when, what changed (old → new), through which channel."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import ProtectedError

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Action, Channel, EventKind, Status
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.incidents.services import (attachment_create, comment_create, incident_transition,
                                        incident_update, people_add, people_remove)
from opsdesk.reference.models import Category, Impact

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def last_event(incident, **filters) -> IncidentEvent:
    return IncidentEvent.objects.filter(incident=incident, **filters).order_by("at", "id").last()


def test_creation_is_recorded(org):
    with time_machine.travel(T0, tick=False):
        incident = incident_factory(by=org.desk, requester=org.requester, channel=Channel.PHONE)
    event = IncidentEvent.objects.get(incident=incident)
    assert (event.kind, event.actor, event.channel, event.at) == (
        EventKind.CREATED, org.desk, Channel.PHONE, T0)
    # The number is taken as the creating transaction's last step, after this row is written.
    assert (event.to_status, event.incident.number) == (Status.LOGGED, incident.number)
    assert incident.number.startswith("INC")


def test_each_changed_field_is_one_entry_with_old_and_new(org):
    incident = incident_factory(by=org.desk, requester=org.requester,
                                short_description="Printer jam")
    printer = Category.objects.get(path="HW.PRINTER")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        incident_update(incident=incident, by=org.desk, channel=Channel.API, data={
            "short_description": "Printer jams on every job", "category": printer,
            "impact": Impact.objects.get(pk=3), "description": ""})
    events = {e.field: e for e in IncidentEvent.objects.filter(incident=incident,
                                                               kind=EventKind.FIELD)}
    # description did not change (""), so it has no entry; priority followed the matrix (3+3)/2.
    assert set(events) == {"short_description", "category", "impact"}
    changed = events["short_description"]
    assert (changed.old_value, changed.new_value) == ("Printer jam", "Printer jams on every job")
    assert (changed.actor, changed.channel, changed.at) == (org.desk, Channel.API,
                                                            T0 + timedelta(hours=1))
    assert (events["category"].old_value, events["category"].new_value) == ("", "HW.PRINTER")
    assert (events["impact"].old_value, events["impact"].new_value) == ("4", "3")


def test_priority_following_the_matrix_is_recorded(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    incident_update(incident=incident, by=org.desk, data={"impact": Impact.objects.get(pk=1)})
    event = last_event(incident, field="priority")
    assert (event.old_value, event.new_value) == ("3", "2")


def test_an_update_that_changes_nothing_writes_nothing(org):
    incident = incident_factory(by=org.desk, requester=org.requester, description="Same")
    before = IncidentEvent.objects.filter(incident=incident).count()
    incident_update(incident=incident, by=org.desk, data={"description": "Same"})
    assert IncidentEvent.objects.filter(incident=incident).count() == before


def test_transitions_and_assignments_are_recorded(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    with time_machine.travel(T0, tick=False):
        incident = incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                                       channel=Channel.PHONE, assignment_group=org.groups["NET2"])
    assignment = last_event(incident, kind=EventKind.ASSIGNMENT)
    assert (assignment.actor, assignment.channel, assignment.at) == (org.desk, Channel.PHONE, T0)
    assert (assignment.old_value, assignment.new_value) == ("", "NET2")
    assert assignment.data["to_group"] == "NET2" and assignment.data["escalation"] is False
    moved = last_event(incident, kind=EventKind.TRANSITION)
    assert (moved.action, moved.from_status, moved.to_status) == (
        Action.ASSIGN, Status.LOGGED, Status.ASSIGNED)
    assert (moved.actor, moved.channel, moved.at) == (org.desk, Channel.PHONE, T0)

    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        incident_transition(incident=incident, action=Action.ACCEPT, by=org.engineer,
                            channel=Channel.API)
    taken = last_event(incident, kind=EventKind.FIELD, field="assignee")
    assert (taken.old_value, taken.new_value, taken.actor) == ("", "engineer", org.engineer)
    accepted = last_event(incident, kind=EventKind.TRANSITION)
    assert (accepted.action, accepted.actor, accepted.channel, accepted.at) == (
        Action.ACCEPT, org.engineer, Channel.API, T0 + timedelta(minutes=3))
    assert (accepted.from_status, accepted.to_status) == (Status.ASSIGNED, Status.IN_PROGRESS)


def test_reason_of_a_transition_is_recorded(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    incident_transition(incident=incident, action=Action.CANCEL, by=org.requester,
                        reason="Found the cable unplugged")
    event = last_event(incident, kind=EventKind.TRANSITION)
    assert (event.action, event.new_value, event.actor) == (
        Action.CANCEL, "Found the cable unplugged", org.requester)


def test_comments_are_recorded_with_their_visibility(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    with time_machine.travel(T0, tick=False):
        reply = comment_create(incident=incident, by=org.requester, body="It's on floor 3",
                               channel=Channel.EMAIL)
        note = comment_create(incident=incident, by=org.desk, body="Toner is low",
                              visibility="internal")
    events = list(IncidentEvent.objects.filter(incident=incident, kind=EventKind.COMMENT))
    assert [(e.actor, e.channel, e.at, e.new_value, e.is_internal, e.data["comment_id"])
            for e in events] == [
        (org.requester, Channel.EMAIL, T0, "It's on floor 3", False, reply.pk),
        (org.desk, Channel.WEB, T0, "Toner is low", True, note.pk),
    ]


def test_attachments_are_recorded(org, media):
    incident = incident_factory(by=org.desk, requester=org.requester)
    with time_machine.travel(T0, tick=False):
        attachment = attachment_create(
            incident=incident, by=org.requester, channel=Channel.API,
            upload=SimpleUploadedFile("error.png", b"\x89PNG\r\n\x1a\nx", content_type="image/png"))
    event = last_event(incident, kind=EventKind.ATTACHMENT)
    assert (event.actor, event.channel, event.at, event.new_value) == (
        org.requester, Channel.API, T0, "error.png")
    assert event.data == {"attachment_id": attachment.pk, "size": 9, "content_type": "image/png"}


def test_collaborators_and_watchers_are_recorded(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    with time_machine.travel(T0, tick=False):
        people_add(incident=incident, by=org.desk, field="collaborators",
                   users=[org.engineer, org.expert], channel=Channel.API)
        people_add(incident=incident, by=org.desk, field="collaborators", users=[org.engineer])
        people_remove(incident=incident, by=org.desk, field="collaborators", users=[org.expert])
        people_add(incident=incident, by=org.requester, field="watchers", users=[org.requester])
        incident_update(incident=incident, by=org.desk, data={"watchers": [org.colleague]})
    events = list(IncidentEvent.objects.filter(incident=incident, kind=EventKind.COLLABORATOR))
    assert [(e.field, e.actor, e.data["added"], e.data["removed"]) for e in events] == [
        ("collaborators", org.desk, ["engineer", "expert"], []),  # adding again: no entry
        ("collaborators", org.desk, [], ["expert"]),
        ("watchers", org.requester, ["requester"], []),
        ("watchers", org.desk, ["colleague"], ["requester"]),
    ]
    assert events[0].channel == Channel.API and events[0].at == T0
    assert (events[1].old_value, events[1].new_value) == ("expert", "")


def test_system_actions_are_recorded_without_a_person(org):
    from opsdesk.reference.models import PendingReason

    incident = incident_factory(by=org.desk, requester=org.requester)
    incident = incident_transition(incident=incident, action=Action.START, by=org.desk)
    incident_transition(incident=incident, action=Action.PEND, by=org.desk,
                        pending_reason=PendingReason.objects.get(pk="01"))
    comment_create(incident=incident, by=org.requester, body="Answer")
    event = last_event(incident, kind=EventKind.TRANSITION)
    assert (event.action, event.actor, event.channel) == (Action.RESUME, None, Channel.SYSTEM)


def test_the_timeline_is_in_order(org):
    with time_machine.travel(T0, tick=True):
        incident = incident_factory(by=org.desk, requester=org.requester)
        incident = incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                                       assignment_group=org.groups["NET2"])
        incident_transition(incident=incident, action=Action.ACCEPT, by=org.engineer)
    kinds = [(e.kind, e.action) for e in incident.events.all()]
    assert kinds == [(EventKind.CREATED, ""), (EventKind.ASSIGNMENT, ""),
                     (EventKind.TRANSITION, Action.ASSIGN), (EventKind.FIELD, ""),
                     (EventKind.TRANSITION, Action.ACCEPT)]


# --- Append-only ----------------------------------------------------------------------------------

@pytest.fixture
def event(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    return IncidentEvent.objects.get(incident=incident)


def unchanged(event) -> bool:
    row = IncidentEvent.objects.get(pk=event.pk)
    return (row.actor_id, row.new_value, row.at, row.kind) == (
        event.actor_id, event.new_value, event.at, event.kind)


def test_saving_an_existing_entry_is_refused(event):
    original = IncidentEvent.objects.get(pk=event.pk)
    event.new_value = "forged"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.save(update_fields=["new_value"])
    assert unchanged(original)


def test_deleting_an_entry_is_refused(event):
    with pytest.raises(PermissionError):
        event.delete()
    assert IncidentEvent.objects.filter(pk=event.pk).exists()


def test_bulk_update_and_delete_are_refused(event, org):
    original = IncidentEvent.objects.get(pk=event.pk)
    with pytest.raises(PermissionError):
        IncidentEvent.objects.filter(pk=event.pk).update(new_value="forged")
    with pytest.raises(PermissionError):
        IncidentEvent.objects.all().update(actor=org.admin)
    with pytest.raises(PermissionError):
        event.incident.events.update(new_value="forged")
    event.new_value = "forged"
    # bulk_update runs inside its own atomic block; a savepoint keeps the test's transaction usable.
    with pytest.raises(PermissionError), transaction.atomic():
        IncidentEvent.objects.bulk_update([event], ["new_value"])
    with pytest.raises(PermissionError):
        IncidentEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        IncidentEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        event.incident.events.all().delete()
    assert unchanged(original)


def test_an_incident_with_history_cannot_be_deleted(event):
    with pytest.raises(ProtectedError):
        Incident.objects.get(pk=event.incident_id).delete()
    assert IncidentEvent.objects.filter(pk=event.pk).exists()
