"""Who hears what: real mail to a real SMTP server, real HTTP to a local robot receiver."""

import pytest

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents import notify
from opsdesk.incidents.choices import Channel, EventKind, Visibility
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import comment_create, incident_create, incident_transition
from opsdesk.incidents.tests.sla_support import at, logged, sh
from opsdesk.notifications.models import Delivery, Endpoint
from opsdesk.notifications.services import deliveries_send_due
from opsdesk.notifications.tests.conftest import receiver, smtp_server  # noqa: F401  (fixtures)
from opsdesk.reference.models import ClosureCode, PendingReason, ResolutionCode
from opsdesk.sla.tick import sla_tick_run

pytestmark = pytest.mark.django_db


def subject(message) -> str:
    # The parser keeps a space from the folding of long encoded (Chinese) subjects.
    return str(message["Subject"]).strip()


def mails_to(server, address: str) -> list:
    return [message for _from, rcpt, message in server.messages if rcpt == [address]]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def do(incident, action: str, by, **params):
    return incident_transition(incident=incident, action=action, by=by, **params)


def assign(incident, org, group: str = "NET2", assignee=None, by=None):
    return do(incident, "assign", by or org.desk, assignment_group=org.groups[group],
              assignee=assignee)


def test_requester_hears_of_every_step_in_their_language_in_one_thread(org, smtp_server):
    org.requester.language = "en"
    org.requester.save()
    incident = incident_factory(by=org.desk, requester=org.requester)
    do(incident, "start", org.desk)
    comment_create(incident=incident, by=org.desk, body="Is the printer switched on?")
    do(incident, "pend", org.desk, pending_reason=PendingReason.objects.get(pk="01"))
    do(incident, "resume", org.desk)
    do(incident, "resolve", org.desk, resolution="Replaced the toner",
       resolution_code=ResolutionCode.objects.get(pk="01"))
    do(incident, "close", org.desk, closure_code=ClosureCode.objects.get(pk="01"))
    deliveries_send_due()
    mails = mails_to(smtp_server, org.requester.email)
    assert len(mails) == 5
    texts = [text_of(m) for m in mails]
    for phrase, text in zip(["We have logged your incident", "Is the printer switched on?",
                             "needs more information", "Replaced the toner",
                             "Your incident is closed"], texts):
        assert phrase in text and incident.number in text
    assert all(m["Content-Language"] == "en" for m in mails)
    assert all(subject(m).startswith(incident.number) for m in mails)
    root = next(m["Message-ID"] for m in mails if "In-Reply-To" not in m)
    assert sum(m["In-Reply-To"] == root for m in mails) == 4
    assert "http://127.0.0.1:8000/incidents/" in texts[0]


def test_requester_without_a_language_gets_the_site_default(org, smtp_server, settings):
    incident_factory(by=org.desk, requester=org.requester)
    deliveries_send_due()
    [mail] = mails_to(smtp_server, org.requester.email)
    assert mail["Content-Language"] == "zh-Hans"
    # Chinese punctuation: "事件：INC…", not "事件: INC…"
    incident = Incident.objects.get()
    assert f"事件：{incident.number}" in text_of(mail) and "事件: " not in text_of(mail)
    assert "已登记：" in subject(mail)


def test_work_note_sends_nothing_to_the_requester(org, smtp_server):
    incident = incident_factory(by=org.desk, requester=org.requester)
    before = Delivery.objects.count()
    comment_create(incident=incident, by=org.desk, body="Toner stock is low",
                   visibility=Visibility.INTERNAL)
    assert Delivery.objects.count() == before


def test_the_actor_hears_nothing_of_their_own_act(org, smtp_server):
    incident_factory(by=org.requester)  # logged in the portal: the requester knows
    assert not Delivery.objects.filter(email=org.requester.email).exists()
    incident_factory(by=org.requester, channel=Channel.EMAIL)  # by mail: the number goes back
    assert Delivery.objects.filter(email=org.requester.email).count() == 1
    incident = incident_factory(by=org.desk, requester=org.requester)
    assign(incident, org)  # to the group: its member hears of it
    assign(incident, org, assignee=org.engineer, by=org.engineer)  # took it himself: silence
    assert Delivery.objects.filter(email=org.engineer.email).count() == 1


def test_assignment_reaches_the_assignee_or_the_whole_group(org, smtp_server):
    incident = incident_factory(by=org.desk, requester=org.requester)
    assign(incident, org, assignee=org.engineer)
    org.groups["NET3"].email = "net3@example.com"
    org.groups["NET3"].save()
    assign(incident, org, group="APP2")
    assign(incident, org, group="NET3")
    deliveries_send_due()
    for address in (org.engineer.email, org.other_engineer.email, "net3@example.com"):
        [mail] = mails_to(smtp_server, address)
        assert subject(mail).startswith(incident.number)
    assert not mails_to(smtp_server, org.expert.email)  # the group's address speaks for it


def test_a_users_reply_reaches_the_assignee(org, smtp_server):
    incident = incident_factory(by=org.desk, requester=org.requester)
    assign(incident, org, assignee=org.engineer)
    comment_create(incident=incident, by=org.requester, body="It prints again, sometimes.")
    deliveries_send_due()
    texts = [text_of(m) for m in mails_to(smtp_server, org.engineer.email)]
    assert any("It prints again, sometimes." in text for text in texts)


def test_preferences_switch_mail_off(org, smtp_server):
    org.engineer.email_notifications_off = ["assigned"]
    org.engineer.save()
    org.requester.email_notifications_off = ["created"]
    org.requester.save()
    incident = incident_factory(by=org.desk, requester=org.requester)
    assign(incident, org, assignee=org.engineer)
    assert not Delivery.objects.filter(email__in=[org.engineer.email,
                                                  org.requester.email]).exists()


def test_a_retried_call_sends_once(org, smtp_server):
    data = {"requester": org.requester, "short_description": "VPN drops"}
    for _try in range(2):
        incident, _created = incident_create(by=org.desk, data=dict(data),
                                             idempotency_key="k-1", digest="d-1")
    incident = assign(incident, org, assignee=org.engineer)
    event = incident.events.filter(kind=EventKind.TRANSITION).latest("pk")
    notify.notify_transition(incident=incident, by=org.desk, action="assign", event=event)
    deliveries_send_due()
    assert len(mails_to(smtp_server, org.requester.email)) == 1
    assert len(mails_to(smtp_server, org.engineer.email)) == 1


def test_sla_breach_notifies_the_group_and_the_assignee(org, smtp_server):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))  # P3: response due 11:00
    with at(sh(2025, 3, 10, 9, 1)):
        assign(incident, org, group="NET2")
    org.groups["NET2"].members.add(org.other_engineer)
    with at(sh(2025, 3, 10, 11, 30)):
        sla_tick_run()
    deliveries_send_due()
    subjects = [subject(m) for m in mails_to(smtp_server, org.other_engineer.email)]
    assert len(subjects) == 3  # two warnings and the breach, each once
    assert all(s.startswith(incident.number) for s in subjects)


def test_p1_assignment_goes_to_the_groups_robot(org, smtp_server, receiver):
    robot = Endpoint.objects.create(kind="wecom", url=receiver.url("/cgi-bin/webhook/send"),
                                    name_zh="网络组机器人", name_en="Network robot")
    org.groups["NET2"].robot_endpoints.add(robot)
    incident = logged(org, priority=1, when=sh(2025, 3, 10, 9, 0))
    with at(sh(2025, 3, 10, 9, 1)):
        assign(incident, org, group="NET2")
    deliveries_send_due()
    [request] = receiver.requests
    assert incident.number in request.body.decode("utf-8")
    low = incident_factory(by=org.desk, requester=org.requester)  # P4: no robot
    assign(low, org, group="NET2")
    deliveries_send_due()
    assert len(receiver.requests) == 1
