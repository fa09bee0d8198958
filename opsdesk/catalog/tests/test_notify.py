"""Mail about approvals: the approver is asked, the requester hears of the approval, each in
their own language and once; muted contexts and switched-off mail send nothing."""

from opsdesk.catalog.services import request_approve, request_order, request_reject
from opsdesk.incidents import notify as incident_notify
from opsdesk.notifications.models import Delivery


def order_software(org):
    return request_order(by=org.requester, request_type=_software(), answers={
        "software": "visio", "why": "Diagrams"})[0]


def _software():
    from opsdesk.catalog.models import RequestType

    return RequestType.objects.get(code="software")


def test_the_requester_is_mailed_when_approved_in_their_language(org, catalog):
    org.requester.language = "zh-hans"
    org.requester.save(update_fields=["language"])
    incident = order_software(org)
    request_approve(incident=incident, by=catalog.boss, comment="同意，用于审计")
    mail = Delivery.objects.get(email=org.requester.email)
    assert mail.subject.startswith(incident.number)
    assert catalog.boss.label in mail.text and "同意，用于审计" in mail.text
    assert org.groups["APP2"].name in mail.text
    assert mail.language == "zh-hans"


def test_the_approved_mail_names_the_approver_group_and_status_in_english(org, catalog):
    org.requester.language = "en"
    org.requester.save(update_fields=["language"])
    incident = order_software(org)
    request_approve(incident=incident, by=catalog.boss)
    mail = Delivery.objects.get(email=org.requester.email)
    assert mail.subject.startswith(f"{incident.number} Approved")
    assert f"{catalog.boss.label} approved your request" in mail.text
    assert "Status: Assigned" in mail.text and "Comment" not in mail.text
    assert f"/incidents/{incident.number}/" in mail.text and "<table" in mail.html


def test_the_approver_is_asked_once_and_a_rejection_mails_no_approval(org, catalog):
    incident = order_software(org)
    assert Delivery.objects.filter(email=catalog.boss.email).count() == 1
    request_reject(incident=incident, by=catalog.boss, comment="No budget")
    assert not Delivery.objects.filter(email=org.requester.email,
                                       subject__contains="Approved").exists()


def test_a_requester_who_switched_off_acknowledgements_gets_no_approval_mail(org, catalog):
    org.requester.email_notifications_off = ["created"]
    org.requester.save(update_fields=["email_notifications_off"])
    incident = order_software(org)
    request_approve(incident=incident, by=catalog.boss)
    assert not Delivery.objects.filter(email=org.requester.email).exists()


def test_muted_contexts_send_no_approval_mail(org, catalog):
    with incident_notify.notifications_muted():
        assert incident_notify.notifications_are_muted()
        incident = order_software(org)
        request_approve(incident=incident, by=catalog.boss)
    assert not incident_notify.notifications_are_muted()
    assert not Delivery.objects.exists()


def test_the_mail_language_helper_is_public(settings):
    assert incident_notify.mail_language("en") == "en"
    assert incident_notify.mail_language("fr") == settings.LANGUAGE_CODE
    assert incident_notify._language is incident_notify.mail_language
