"""Ordering, approving and rejecting service requests through the services."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from opsdesk.catalog.models import ApprovalState, ServiceRequest
from opsdesk.catalog.selectors import approvals_pending, approvals_waiting_count, approver_for
from opsdesk.catalog.services import request_approve, request_order, request_reject
from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.incidents.choices import Action, Channel, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import allowed_actions, incident_transition
from opsdesk.notifications.models import Delivery


def order(by, request_type, answers, **kwargs):
    incident, created = request_order(by=by, request_type=request_type, answers=answers,
                                      **kwargs)
    assert created
    return incident


def test_a_request_is_an_sr_of_nature_02_assigned_to_the_fulfilment_group(org, catalog):
    with translation.override("en"):
        incident = order(org.requester, catalog.reset, {"account": "li.lei"})
    assert incident.number.startswith("SR")
    assert incident.nature_id == "02"
    assert incident.short_description == "Password reset – li.lei"
    assert incident.description == "Account: li.lei"
    assert incident.status == Status.ASSIGNED
    assert incident.assignment_group == org.groups["DESK"]
    assert incident.source_id == "03"
    details = incident.service_request
    assert details.approval_state == ApprovalState.NOT_NEEDED
    assert details.answers[0]["value"] == "li.lei"


def test_the_types_sla_policy_replaces_the_matrix_choice(org, catalog):
    incident = order(org.requester, catalog.reset, {"account": "li.lei"})
    assert incident.priority_id == 3  # the matrix would choose P3
    assert incident.sla_policy_id == "P2"
    assert incident.sla_resolution_seconds == catalog.policy.resolution_seconds
    assert incident.resolution_due_at is not None


@pytest.mark.parametrize(("answers", "field", "message"), [
    ({}, "account", "This answer is required."),
    ({"account": "Li Lei"}, "account", "Lower-case letters and digits only"),
    ({"account": "a" * 21}, "account", "Use at most 20 characters (this answer has 21)."),
    ({"account": "li", "colour": "red"}, "colour", "This form has no field “colour”."),
])
def test_text_answers_are_checked(org, catalog, answers, field, message):
    with translation.override("en"), pytest.raises(InvalidInput) as error:
        request_order(by=org.requester, request_type=catalog.reset, answers=answers)
    assert error.value.errors[field] == message
    assert not Incident.objects.exists()


def test_the_pattern_message_is_in_the_readers_language(org, catalog):
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as error:
        request_order(by=org.requester, request_type=catalog.reset, answers={"account": "X"})
    assert error.value.errors["account"] == "账号只含小写字母和数字"


@pytest.mark.parametrize(("answers", "field", "message"), [
    ({"software": "excel", "why": "x"}, "software", "Choose one of: Visio, Project."),
    ({"software": "visio"}, "why", "This answer is required."),
])
def test_choice_answers_are_checked(org, catalog, answers, field, message):
    with translation.override("en"), pytest.raises(InvalidInput) as error:
        request_order(by=org.requester, request_type=catalog.software, answers=answers)
    assert error.value.errors[field] == message


@pytest.mark.parametrize(("answers", "field", "message"), [
    ({"start": "tomorrow"}, "start", "Enter a date as YYYY-MM-DD."),
    ({"start": "2025-12-31"}, "start", "Choose Jan. 1, 2026 or later."),
    ({"start": "2028-01-01"}, "start", "Choose Dec. 31, 2027 or earlier."),
    ({"start": "2026-05-01", "deputy": "nobody"}, "deputy",
     "Nobody with the username or email “nobody” was found."),
])
def test_date_and_person_answers_are_checked(org, catalog, answers, field, message):
    with translation.override("en"), pytest.raises(InvalidInput) as error:
        request_order(by=org.requester, request_type=catalog.vpn, answers=answers)
    assert error.value.errors[field] == message


def test_a_file_of_a_refused_type_is_an_error_of_its_field_and_nothing_is_kept(org, catalog):
    upload = SimpleUploadedFile("run.exe", b"MZ...", content_type="application/x-msdownload")
    with translation.override("en"), pytest.raises(InvalidInput) as error:
        request_order(by=org.requester, request_type=catalog.vpn,
                      answers={"start": "2026-05-01"}, files={"form": upload})
    assert "not accepted" in error.value.errors["form"]
    assert not Incident.objects.exists() and not ServiceRequest.objects.exists()


def test_answers_are_frozen_when_the_form_changes_later(org, catalog):
    incident = order(org.requester, catalog.software, {"software": "visio", "why": "Diagrams"})
    catalog.software.fields.filter(key="software").update(
        label_en="Program", options="visio | 新 Visio | New Visio")
    answer = ServiceRequest.objects.get(incident=incident).answers[0]
    assert (answer["label_en"], answer["display_en"], answer["display_zh"]) == (
        "Software", "Visio", "Visio 绘图")


def test_a_request_needing_approval_waits_without_clocks_and_cannot_be_worked(org, catalog):
    incident = order(org.requester, catalog.software, {"software": "visio", "why": "Diagrams"})
    assert (incident.status, incident.pending_reason_id) == (Status.PENDING, "06")
    assert incident.assignment_group is None
    assert incident.sla_policy_id is None and incident.resolution_due_at is None
    assert incident.service_request.approver == catalog.boss
    assert list(approvals_pending(user=catalog.boss)) == [incident.service_request]
    assert approvals_waiting_count(user=catalog.boss) == 1
    assert approvals_waiting_count(user=org.requester) == 0
    assert allowed_actions(user=org.desk, incident=incident) == [Action.CANCEL]
    with pytest.raises(Conflict):
        incident_transition(incident=incident, action=Action.RESUME, by=org.desk)
    mail = Delivery.objects.get(email="boss@example.com")
    assert incident.number in mail.subject and "Awaiting your approval" in mail.subject


def test_approval_assigns_to_the_fulfilment_group_and_starts_the_clocks(org, catalog):
    incident = order(org.requester, catalog.vpn, {"start": "2026-05-01",
                                                  "deputy": org.colleague.username})
    request_approve(incident=incident, by=catalog.boss, comment="OK for the project")
    incident.refresh_from_db()
    assert incident.status == Status.ASSIGNED
    assert incident.assignment_group == org.groups["NET2"]
    assert incident.sla_policy_id == "P2" and incident.resolution_due_at is not None
    details = ServiceRequest.objects.get(incident=incident)
    assert details.approval_state == ApprovalState.APPROVED
    assert details.decision_comment == "OK for the project" and details.decided_at
    event = incident.events.filter(action=Action.ASSIGN).last()
    assert "OK for the project" in event.new_value and catalog.boss.label in event.new_value
    assert approvals_pending(user=catalog.boss) == []


def test_rejection_cancels_the_request_with_the_reason(org, catalog):
    incident = order(org.requester, catalog.software, {"software": "visio", "why": "Fun"})
    with pytest.raises(InvalidInput):
        request_reject(incident=incident, by=catalog.boss, comment=" ")
    request_reject(incident=incident, by=catalog.boss, comment="Use draw.io")
    incident.refresh_from_db()
    assert incident.status == Status.CANCELLED
    assert ServiceRequest.objects.get(incident=incident).approval_state == ApprovalState.REJECTED
    with pytest.raises(Conflict):
        request_approve(incident=incident, by=catalog.boss)


@pytest.mark.parametrize("who", ["requester", "desk", "manager", "colleague"])
def test_only_the_approver_may_decide(org, catalog, who):
    incident = order(org.requester, catalog.software, {"software": "visio", "why": "x"})
    with pytest.raises(NotPermitted):
        request_approve(incident=incident, by=getattr(org, who))
    with pytest.raises(NotPermitted):
        request_reject(incident=incident, by=getattr(org, who), comment="no")
    assert Incident.objects.get(pk=incident.pk).status == Status.PENDING


def test_the_department_head_approves_when_no_manager_is_set(org, catalog):
    org.requester.manager = None
    org.requester.save()
    assert approver_for(user=org.requester) is None
    with translation.override("en"), pytest.raises(InvalidInput) as error:
        request_order(by=org.requester, request_type=catalog.software,
                      answers={"software": "visio", "why": "x"})
    assert "Ask the administrator to set the manager" in error.value.errors["request_type"]
    org.dept.head = org.colleague
    org.dept.save()
    assert approver_for(user=org.requester) == org.colleague
    assert approver_for(user=org.colleague) is None  # never one's own approver


def test_the_desk_orders_for_a_caller_by_phone(org, catalog):
    incident = order(org.desk, catalog.reset, {"account": "li.lei"},
                     requester=org.requester, channel=Channel.PHONE)
    assert incident.requester == org.requester and incident.owner == org.desk
    assert incident.source_id == "01"


def test_a_user_cannot_order_for_someone_else(org, catalog):
    with pytest.raises(NotPermitted):
        request_order(by=org.colleague, request_type=catalog.reset,
                      answers={"account": "li.lei"}, requester=org.requester)


def test_an_attachment_answer_is_stored_on_the_request(org, catalog):
    upload = SimpleUploadedFile("form.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    incident = order(org.requester, catalog.vpn, {"start": "2026-05-01"},
                     files={"form": upload})
    answer = ServiceRequest.objects.get(incident=incident).answers[-1]
    attachment = incident.attachments.get()
    assert answer["value"] == str(attachment.pk) and answer["display_en"] == "form.pdf"


def test_the_audience_limits_who_may_order(org, catalog):
    catalog.reset.audience.add(org.dept)
    order(org.requester, catalog.reset, {"account": "li.lei"})
    with pytest.raises(InvalidInput):
        request_order(by=org.outsider, request_type=catalog.reset, answers={"account": "x1"})
