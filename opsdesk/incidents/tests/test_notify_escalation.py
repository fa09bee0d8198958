"""Escalations, the auto-close reminder, rejections and cancellations reach people by real mail.

Instants on 5×8 Shanghai (P3: 2 h response, 1 working day resolution) and 7×24 (P1)."""

import re

import pytest

from opsdesk.accounts.models import Organisation
from opsdesk.core.testing.factories import OrganisationFactory, UserFactory
from opsdesk.incidents import notify
from opsdesk.incidents.choices import EventKind, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_transition
from opsdesk.incidents.tests.sla_support import act, at, logged, resolve, sh
from opsdesk.incidents.tests.test_notify import mails_to, subject, text_of
from opsdesk.notifications.models import Delivery
from opsdesk.notifications.services import deliveries_send_due
from opsdesk.notifications.tests.conftest import smtp_server  # noqa: F401  (fixture)
from opsdesk.reference.models import ResolutionCode
from opsdesk.reference.tests.admin_helpers import change_form_data, client_for
from opsdesk.sla.escalation import department_head, incident_escalate_to_managers
from opsdesk.sla.tick import sla_tick_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(org):
    """The incident manager and the requester read English."""
    for person in (org.manager, org.requester):
        person.language = "en"
        person.save()
    return org


@pytest.fixture
def head(org):
    """A head of the division above the requester's department (which has none of its own)."""
    boss = UserFactory(username="cfo", language="en")
    division = OrganisationFactory(code="CORP", name_zh="总部", name_en="Head office", head=boss)
    Organisation.objects.filter(pk=org.dept.pk).update(parent=division)
    return boss


def assign(incident, org, *, group: str = "NET2", assignee=None, when=None):
    with at(when or sh(2025, 3, 10, 9, 1)):
        return incident_transition(incident=incident, action="assign", by=org.desk,
                                   assignment_group=org.groups[group], assignee=assignee)


def escalate(incident, org, reason: str, when=None):
    with at(when or sh(2025, 3, 10, 10, 0)):
        return incident_escalate_to_managers(incident=incident, by=org.engineer, reason=reason)


def escalation_mails(server, address: str) -> list:
    return [m for m in mails_to(server, address) if "Escalation" in subject(m)]


def head_events(incident) -> list:
    return list(incident.events.filter(kind=EventKind.SLA, data__notify="department_head"))


def test_p1_at_creation_mails_the_incident_managers_at_once(english, smtp_server):
    incident = logged(english, priority=1, when=sh(2025, 3, 10, 9, 0))
    low = logged(english, when=sh(2025, 3, 10, 9, 0))  # P3: no escalation at creation
    deliveries_send_due()
    [mail] = escalation_mails(smtp_server, english.manager.email)
    text = text_of(mail)
    assert subject(mail).startswith(incident.number) and low.number not in text
    assert "escalated to the incident managers" in text and "logged with priority" in text


def test_n_reassignments_mail_the_incident_managers_once(english, smtp_server):
    incident = logged(english, when=sh(2025, 3, 10, 9, 0))
    for minute, code in enumerate(("NET2", "APP2", "NET2", "APP2", "NET2"), start=1):
        incident = assign(incident, english, group=code, when=sh(2025, 3, 10, 9, minute))
    deliveries_send_due()
    [mail] = escalation_mails(smtp_server, english.manager.email)
    assert "reassigned 3 times" in text_of(mail)
    assert "Group:" not in text_of(mail)  # rendered before the new group is saved


def test_escalating_by_hand_mails_the_managers_with_the_reason(english, smtp_server):
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english,
                      assignee=english.engineer)
    escalate(incident, english, "Whole floor offline since 9:30")
    deliveries_send_due()
    [mail] = escalation_mails(smtp_server, english.manager.email)
    assert "Whole floor offline since 9:30" in text_of(mail)
    assert "Whole floor offline since 9:30" in mail.get_body(("html",)).get_content()
    assert not escalation_mails(smtp_server, english.engineer.email)  # who escalated knows


def test_a_breach_goes_up_to_the_nearest_head_once_written_and_counted(english, head,
                                                                       smtp_server):
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    with at(sh(2025, 3, 12, 12, 0)):  # a working day and more later: both clocks breached
        recorded = sla_tick_run()
        sla_tick_run()
    assert recorded["head_escalation"] == 1
    [event] = head_events(incident)
    assert event.data == {"clock": "breach", "crossing": "escalated_head",
                          "escalation": "hierarchical", "notify": "department_head",
                          "department": "CORP", "head": "cfo"}
    assert Incident.objects.get(pk=incident.pk).hierarchical_escalation_count == 1
    escalate(incident, english, "Still down", when=sh(2025, 3, 12, 13, 0))
    escalate(incident, english, "Still down, really", when=sh(2025, 3, 12, 14, 0))
    deliveries_send_due()
    [mail] = mails_to(smtp_server, head.email)  # once per incident, whatever comes next
    assert "head of the department" in text_of(mail) and incident.number in subject(mail)
    assert len(head_events(incident)) == 1
    assert len(escalation_mails(smtp_server, english.manager.email)) == 3  # head step, 2 by hand


def test_the_second_escalation_by_hand_reaches_the_head(english, head, smtp_server):
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    escalate(incident, english, "Payroll run blocked")
    assert not head_events(incident)
    escalate(incident, english, "Payroll deadline at noon", when=sh(2025, 3, 10, 10, 30))
    [event] = head_events(incident)
    assert (event.actor, event.data["clock"], event.new_value) == (
        english.engineer, "manual", "Payroll deadline at noon")
    assert Incident.objects.get(pk=incident.pk).hierarchical_escalation_count == 3
    deliveries_send_due()
    [mail] = mails_to(smtp_server, head.email)
    assert "Payroll deadline at noon" in text_of(mail)


def test_without_a_head_nothing_goes_up(english, smtp_server):
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    with at(sh(2025, 3, 12, 12, 0)):
        assert sla_tick_run()["head_escalation"] == 0
    assert department_head(department_id=english.dept.pk) == (None, None)
    assert not head_events(incident)


def test_the_walk_up_stops_at_the_nearest_active_head(org, head):
    own = UserFactory(username="fin_head")
    Organisation.objects.filter(pk=org.dept.pk).update(head=own)
    assert department_head(department_id=org.dept.pk)[1] == own
    own.is_active = False
    own.save()
    assert department_head(department_id=org.dept.pk)[1] == head


def test_the_auto_close_reminder_mails_working_links_to_the_requester(english, client,
                                                                      smtp_server):
    incident = resolve(logged(english, when=sh(2025, 3, 7, 9, 0)), english,
                       sh(2025, 3, 7, 10, 0))  # Friday: reminder Tue 10:00, close Wed 10:00
    with at(sh(2025, 3, 11, 10, 0)):
        sla_tick_run()
        sla_tick_run()
        deliveries_send_due()
        reminders = [m for m in mails_to(smtp_server, english.requester.email)
                     if "closes automatically" in text_of(m)]
        assert len(reminders) == 1
        text = text_of(reminders[0])
        assert "March 12, 2025" in text and incident.number in text
        path = re.search(r"http://127\.0\.0\.1:8000(/respond/[^\s#]+/)#reject", text).group(1)
        assert client.get(path).status_code == 200
        assert client.post(path, {"answer": "confirm"}).status_code == 200
    assert Incident.objects.get(pk=incident.pk).status == Status.CLOSED


def test_the_reminder_respects_the_requesters_preferences(english, smtp_server):
    english.requester.email_notifications_off = ["resolved"]
    english.requester.save()
    resolve(logged(english, when=sh(2025, 3, 7, 9, 0)), english, sh(2025, 3, 7, 10, 0))
    with at(sh(2025, 3, 11, 10, 0)):
        assert sla_tick_run()["auto_close_reminder"] == 1
    assert not Delivery.objects.filter(email=english.requester.email,
                                       idempotency_key__contains="auto_close_reminder").exists()


def test_a_rejected_resolution_mails_the_assignee_with_the_reason(english, smtp_server):
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english,
                      assignee=english.engineer)
    with at(sh(2025, 3, 10, 10, 0)):
        incident = incident_transition(
            incident=incident, action="resolve", by=english.engineer, resolution="Re-seated",
            resolution_code=ResolutionCode.objects.get(pk="01"))
        incident_transition(incident=incident, action="reject", by=english.requester,
                            reason="The printer still jams")
    deliveries_send_due()
    texts = [text_of(m) for m in mails_to(smtp_server, english.engineer.email)]
    assert any("The printer still jams" in text for text in texts)


def test_a_cancellation_by_staff_mails_the_requester(english, smtp_server):
    incident = logged(english, when=sh(2025, 3, 10, 9, 0))
    act(incident, "cancel", english, sh(2025, 3, 10, 9, 30), reason="Logged twice")
    own = logged(english, when=sh(2025, 3, 10, 9, 0))
    with at(sh(2025, 3, 10, 9, 30)):
        incident_transition(incident=own, action="cancel", by=english.requester,
                            reason="Works again")
    deliveries_send_due()
    cancelled = [text_of(m) for m in mails_to(smtp_server, english.requester.email)
                 if "cancelled" in text_of(m)]
    assert len(cancelled) == 1 and "Logged twice" in cancelled[0]


def test_retries_send_nothing_twice(english, head, smtp_server):
    incident = logged(english, priority=1, when=sh(2025, 3, 10, 9, 0))
    before = Delivery.objects.count()
    notify.notify_created(incident=Incident.objects.get(pk=incident.pk), by=english.desk,
                          channel="web")
    assert Delivery.objects.count() == before
    incident = assign(incident, english, when=sh(2025, 3, 10, 9, 1))
    escalate(incident, english, "VIP affected")
    escalate(incident, english, "Board meeting")
    before = Delivery.objects.count()
    for event in incident.events.filter(kind=EventKind.SLA):
        notify.notify_escalated(incident=incident, event=event)
    assert Delivery.objects.count() == before
    deliveries_send_due()
    deliveries_send_due()
    assert len(escalation_mails(smtp_server, english.manager.email)) == 4  # P1, 2 by hand, head
    assert len(mails_to(smtp_server, head.email)) == 1


def test_the_administrator_sets_a_departments_head_in_the_admin(org):
    client = client_for(org.admin)
    url = f"/admin/accounts/organisation/{org.dept.pk}/change/"
    data = change_form_data(client.get(url))
    data["head"] = str(org.colleague.pk)
    assert client.post(url, data).status_code == 302
    assert Organisation.objects.get(pk=org.dept.pk).head == org.colleague


def test_the_head_step_reads_as_a_sentence_on_the_incident_page(english, head):
    from django.test import Client

    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    with at(sh(2025, 3, 12, 12, 0)):
        sla_tick_run()
    desk = Client(headers={"Accept-Language": "en"})
    desk.force_login(english.desk)
    page = desk.get(f"/incidents/{incident.number}/").content.decode()
    assert f"Escalated to {head.label}, head of Head office" in page
    assert "cfo" not in page  # the head by name, never by username


# --- Functional escalation to the vendor at a resolution breach --------------------------------

def vendor_policy(*, to_vendor: bool = True, next_line: bool = False) -> None:
    from opsdesk.sla.models import SlaPolicy

    policy = SlaPolicy.objects.get(code="P3")
    policy.escalate_to_vendor_on_breach, policy.escalate_on_breach = to_vendor, next_line
    policy.save()  # forgets the cached policies


def with_vendor(incident, *, email: str = "support@acme.example", reference: str = "ACME-4711"):
    from opsdesk.core.testing.factories import VendorFactory

    vendor = VendorFactory(name="Acme Printers", contact_name="Ms Li", phone="+86 21 5555 0100",
                           email=email)
    Incident.objects.filter(pk=incident.pk).update(vendor=vendor, vendor_reference=reference)
    return vendor


def vendor_events(incident) -> list:
    return list(incident.events.filter(kind=EventKind.SLA, action="escalated_vendor"))


def breach(settings, language: str = "en") -> list:
    """Tick on Wednesday noon (the P3 resolution clock breached on Tuesday), twice."""
    settings.LANGUAGE_CODE = language
    with at(sh(2025, 3, 12, 12, 0)):
        first = sla_tick_run()
        second = sla_tick_run()
    return [first, second]


def test_a_breach_escalates_once_to_the_vendor_by_mail(english, settings, smtp_server):
    vendor_policy()
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    with_vendor(incident)
    first, second = breach(settings)
    assert (first["vendor_escalation"], second["vendor_escalation"]) == (1, 0)
    [event] = vendor_events(incident)
    assert event.data == {"clock": "breach", "crossing": "escalated_vendor",
                          "escalation": "functional", "vendor": "Acme Printers",
                          "vendor_reference": "ACME-4711", "email": "support@acme.example"}
    assert event.is_internal and event.actor is None
    assert Incident.objects.get(pk=incident.pk).escalation_count == 1
    deliveries_send_due()
    deliveries_send_due()
    [mail] = mails_to(smtp_server, "support@acme.example")
    text, html = text_of(mail), mail.get_body(("html",)).get_content()
    assert subject(mail) == (f"{incident.number} Escalation to the vendor (your ticket "
                             f"ACME-4711): {incident.short_description}")
    for part in (text, html):
        assert "Dear Ms Li," in part and incident.number in part
        assert incident.short_description in part and "ACME-4711" in part
        assert "resolution target of our incident" in part and "is breached" in part
    assert "Resolution due: 2025-03-10 18:00 (Asia/Shanghai)" in text  # 1 working day on 5×8
    assert "/incidents/" not in text  # the vendor has no account: no link into opsdesk
    # A retry of the mail for the same history entry records nothing more.
    before = Delivery.objects.count()
    notify.notify_vendor_escalated(incident=incident, event=event,
                                   vendor=Incident.objects.get(pk=incident.pk).vendor)
    assert Delivery.objects.count() == before


def test_the_vendor_mail_is_in_the_sites_language(english, settings, smtp_server):
    vendor_policy()
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    with_vendor(incident)
    breach(settings, language="zh-hans")
    [delivery] = Delivery.objects.filter(email="support@acme.example")
    assert delivery.language == "zh-hans"
    assert incident.number in delivery.subject and "ACME-4711" in delivery.text
    assert "事件" in delivery.text  # the shared labels are translated already


def test_without_a_vendor_or_the_flag_nothing_goes_to_a_vendor(english, settings, smtp_server):
    vendor_policy(to_vendor=False)
    flag_off = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    with_vendor(flag_off)
    first, _second = breach(settings)
    assert first["resolution_breach"] == 1 and first["vendor_escalation"] == 0
    vendor_policy()
    no_vendor = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    first, _second = breach(settings)
    assert first["resolution_breach"] == 1 and first["vendor_escalation"] == 0
    for incident in (flag_off, no_vendor):
        assert not vendor_events(incident)
        assert Incident.objects.get(pk=incident.pk).escalation_count == 0
    deliveries_send_due()
    assert not mails_to(smtp_server, "support@acme.example")


def test_an_inactive_vendor_is_not_escalated_to(english, settings, smtp_server):
    vendor_policy()
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    vendor = with_vendor(incident)
    vendor.is_active = False
    vendor.save()
    assert breach(settings)[0]["vendor_escalation"] == 0
    assert not vendor_events(incident)


def test_a_vendor_without_address_is_recorded_but_not_mailed(english, settings, smtp_server):
    vendor_policy()
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    with_vendor(incident, email="", reference="")
    assert breach(settings)[0]["vendor_escalation"] == 1
    [event] = vendor_events(incident)
    assert event.data["email"] == "" and event.data["vendor_reference"] == ""
    assert not Delivery.objects.filter(idempotency_key__contains="vendor_escalated").exists()


def test_with_the_next_line_flag_both_happen(english, settings, smtp_server):
    vendor_policy(next_line=True)
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    with_vendor(incident)
    first, second = breach(settings)
    assert (first["vendor_escalation"], first["functional_escalation"]) == (1, 1)
    assert (second["vendor_escalation"], second["functional_escalation"]) == (0, 0)
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.assignment_group == english.groups["NET3"]  # NET2's escalation group
    assert incident.escalation_count == 2  # the vendor, then the 3rd line
    assert len(vendor_events(incident)) == 1
    deliveries_send_due()
    assert len(mails_to(smtp_server, "support@acme.example")) == 1


def test_the_vendor_step_reads_as_a_sentence_on_the_incident_page(english, settings):
    from django.test import Client

    vendor_policy()
    incident = assign(logged(english, when=sh(2025, 3, 10, 9, 0)), english)
    with_vendor(incident)
    breach(settings)
    desk = Client(headers={"Accept-Language": "en"})
    desk.force_login(english.desk)
    page = desk.get(f"/incidents/{incident.number}/").content.decode()
    assert "Escalated to the vendor Acme Printers (ticket ACME-4711)" in page
    assert "Mailed to support@acme.example." in page
    requester = Client(headers={"Accept-Language": "en"})
    requester.force_login(english.requester)
    mine = requester.get(f"/incidents/{incident.number}/").content.decode()
    assert "Escalated to the vendor" not in mine
