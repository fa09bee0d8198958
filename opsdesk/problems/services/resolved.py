"""When a problem is resolved, the open incidents linked to it hear of it.

Each open incident gets a public reply from the person who resolved the problem (in the
requester's language): the requester reads it in the portal and is mailed as for any reply,
and the incident's history shows it. The people working the incident (the assignee, else the
group) get a mail. When the resolver may not see an incident (an engineer outside its group),
no reply is written for them and the requester is mailed directly instead. Each mail's key
names the problem's history entry, so a retry sends nothing twice.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from opsdesk.accounts.models import NotificationKind as Kind
from opsdesk.incidents.choices import OPEN_STATUSES, Visibility
from opsdesk.incidents.models import Incident
from opsdesk.incidents.notify import mail_language, notifications_are_muted
from opsdesk.incidents.services import comment_create
from opsdesk.notifications.services import delivery_enqueue

from .. import events


def open_incidents_notify(*, problem, by, channel: str, event) -> list[Incident]:
    """Tell each open linked incident that its problem is resolved; return those incidents."""
    incidents = list(Incident.objects.filter(problem_links__problem=problem,
                                             status__in=OPEN_STATUSES)
                     .select_related("requester", "assignee", "assignment_group")
                     .order_by("pk"))
    if not incidents:
        return []
    visible = set(Incident.objects.restrict(by).filter(pk__in=[i.pk for i in incidents])
                  .values_list("pk", flat=True))
    for incident in incidents:
        replied = incident.pk in visible
        if replied:
            comment_create(incident=incident, by=by, body=_reply_text(problem, incident),
                           visibility=Visibility.PUBLIC, channel=channel)
        _mail(problem=problem, incident=incident, by=by, event=event,
              recipients=_workers(incident) + ([] if replied else _requester(incident)))
    events.problem_event_notified(problem=problem, by=by, channel=channel, incidents=incidents)
    return incidents


def _reply_text(problem, incident) -> str:
    with translation.override(mail_language(incident.requester.language)):
        return _("The underlying problem %(number)s is resolved: %(resolution)s\n"
                 "If this incident still affects you, reply here.") % {
            "number": problem.number, "resolution": problem.resolution}


def _workers(incident) -> list[tuple]:
    if incident.assignee_id:
        return [(incident.assignee, Kind.ASSIGNED)]
    group = incident.assignment_group
    if group is None:
        return []
    if group.email:
        return [(group.email, Kind.ASSIGNED)]
    return [(user, Kind.ASSIGNED) for user in group.members.filter(is_active=True)]


def _requester(incident) -> list[tuple]:
    return [(incident.requester, Kind.RESOLVED)]


def _mail(*, problem, incident, by, event, recipients) -> None:
    if notifications_are_muted():
        return
    seen = set()
    for person, kind in recipients:
        address, language = _address(person, incident)
        if not address or address in seen or not _wanted(person, by, kind):
            continue
        seen.add(address)
        subject, text = _render(problem=problem, incident=incident, language=language,
                                for_workers=kind == Kind.ASSIGNED)
        delivery_enqueue(
            key=f"problem:{problem.pk}:e{event.pk}:incident:{incident.pk}:email:{address}",
            channel="email", recipient=address, subject=subject, text=text, language=language,
            thread_key=f"incident:{incident.number}")


def _address(person, incident) -> tuple[str, str]:
    if isinstance(person, str):
        return person, mail_language("")
    address = person.email or (incident.contact_email if person.pk == incident.requester_id
                               else "")
    return address, mail_language(person.language)


def _wanted(person, by, kind) -> bool:
    if isinstance(person, str):
        return True
    return (by is None or person.pk != by.pk) and person.wants_email(kind)


def _render(*, problem, incident, language: str, for_workers: bool) -> tuple[str, str]:
    with translation.override(language):
        context = {"problem": problem, "incident": incident, "for_workers": for_workers,
                   "colon": "：" if language.startswith("zh") else ": ",
                   "incident_url": _absolute(reverse("web:incident", args=[incident.number]))}
        subject = " ".join(render_to_string("problems/notify/resolved_subject.txt",
                                            context).split())
        return subject, render_to_string("problems/notify/resolved.txt", context).strip() + "\n"


def _absolute(path: str) -> str:
    return settings.OPSDESK_BASE_URL.rstrip("/") + path
