"""@mentions in work notes and replies: who is found, involved, mailed and recorded."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.collab.models import Mention
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents.choices import Visibility
from opsdesk.incidents.notify import notifications_muted
from opsdesk.incidents.services import comment_create

from .conftest import mails_to


def note(incident, by, body, visibility=Visibility.INTERNAL):
    return comment_create(incident=incident, by=by, body=body, visibility=visibility)


def test_the_owner_mentioned_is_mailed_and_recorded_but_not_added(org, incident):
    assert incident.owner == org.desk  # already involved
    comment = note(incident, org.engineer, "@desk please call the user back")
    assert org.desk not in incident.collaborators.all()
    mention = Mention.objects.get(comment=comment)
    assert mention.user == org.desk and mention.notified
    mail = mails_to(org.desk.email)[-1]
    assert "please call the user back" in mail.text


def test_a_staff_member_not_yet_involved_is_added_as_collaborator(org, incident):
    process_owner = org.owner  # sees every incident, not involved in this one
    note(incident, org.engineer, "@owner FYI: the matrix gave this P3")
    assert process_owner in incident.collaborators.all()
    assert incident.events.filter(kind="collaborator", new_value="owner").exists()


def test_chinese_display_names_are_found_inside_chinese_text(org, incident):
    org.manager.display_name = "王经理"
    org.manager.save(update_fields=["display_name"])
    comment = note(incident, org.engineer, "请@王经理确认是否升级为重大事件")
    assert Mention.objects.get(comment=comment).user == org.manager
    assert mails_to(org.manager.email)


def test_emails_and_unknown_names_are_not_mentions(org, incident):
    comment = note(incident, org.engineer, "Wrote to desk@example.com and @nobody about it")
    assert not Mention.objects.filter(comment=comment).exists()
    assert not mails_to(org.desk.email)


def test_people_who_cannot_see_the_incident_are_neither_added_nor_told(org, incident):
    comment = note(incident, org.engineer, "@other_engineer @outsider can you look?")
    assert not Mention.objects.filter(comment=comment).exists()
    assert org.other_engineer not in incident.collaborators.all()
    assert not mails_to(org.other_engineer.email) and not mails_to(org.outsider.email)


def test_the_requester_named_in_a_work_note_is_not_told_of_it(org, incident):
    comment = note(incident, org.engineer, "@requester said it started on Monday")
    mention = Mention.objects.get(comment=comment)
    assert mention.user == org.requester and not mention.notified
    assert not [m for m in mails_to(org.requester.email) if "Monday" in m.text]
    assert org.requester not in incident.collaborators.all()


def test_the_requester_named_in_a_public_reply_is_told(org, incident):
    note(incident, org.engineer, "@requester please restart the client", Visibility.PUBLIC)
    assert Mention.objects.get(user=org.requester).notified


def test_a_requesters_at_sign_is_just_text(org, incident):
    comment = note(incident, org.requester, "@desk hello?", Visibility.PUBLIC)
    assert not Mention.objects.filter(comment=comment).exists()


def test_switched_off_mail_is_respected(org, incident):
    org.desk.email_notifications_off = ["mentioned"]
    org.desk.save(update_fields=["email_notifications_off"])
    comment = note(incident, org.engineer, "@desk look")
    assert Mention.objects.get(comment=comment).notified is False
    assert not mails_to(org.desk.email)


def test_muted_context_records_but_mails_nobody(org, incident):
    with notifications_muted():
        comment = note(incident, org.engineer, "@desk look")
    assert Mention.objects.filter(comment=comment, notified=False).count() == 1
    assert not mails_to(org.desk.email)


def test_mentioning_oneself_does_nothing(org, incident):
    comment = note(incident, org.engineer, "note to self @engineer")
    assert not Mention.objects.filter(comment=comment).exists()


def test_a_collaborator_author_notifies_but_cannot_add_people(org, incident):
    helper = UserFactory(username="helper", is_engineer=True)
    from opsdesk.incidents.services import people_add
    people_add(incident=incident, by=org.manager, field="collaborators", users=[helper])
    comment = note(incident, helper, "@owner have a look")
    assert Mention.objects.get(comment=comment).notified
    assert org.owner not in incident.collaborators.all()


def test_a_note_without_at_costs_no_extra_query(org, incident):
    note(incident, org.engineer, "Warming the caches up")
    with CaptureQueriesContext(connection) as plain:
        note(incident, org.engineer, "Rebooted the router")
    with CaptureQueriesContext(connection) as with_unknown:
        note(incident, org.engineer, "Rebooted the router, told @nobody")
    assert len(with_unknown) == len(plain) + 1  # one lookup of the names, nothing else
