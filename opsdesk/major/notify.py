"""Who hears what about a major incident, in their own language; notifications delivers it.

Called inside the services' transactions (a rollback sends nothing). Delivery keys are
`major:<pk>:<event>:<channel>:<recipient>`, so a retried call sends nothing twice.
Management: the incident managers, the named manager and the stakeholders, by mail, and the
major's robot and webhook endpoints (else the master group's robots), in the robots' language.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from opsdesk.accounts.models import User
from opsdesk.incidents.notify import mail_language, notifications_are_muted
from opsdesk.notifications.services import delivery_enqueue

ROBOT_LANGUAGE = "zh-hans"


def _url(incident, event: str) -> str:
    # The affected people may not see the master: they get the portal, which lists outages.
    path = (reverse("web:portal") if event == "resolved"
            else reverse("web:major_detail", args=[incident.number]))
    return settings.OPSDESK_BASE_URL.rstrip("/") + path


def _message(incident, major, event: str, extra: dict) -> tuple[str, str]:
    """Subject and text of one event in the active language."""
    title = f"{incident.number} {incident.short_description}"
    if event == "declared":
        subject = _("Major incident declared: %(title)s") % {"title": title}
        text = _("A major incident was declared. Manager: %(manager)s. Updates every "
                 "%(minutes)s minutes.") % {"manager": major.manager or _("not named yet"),
                                             "minutes": major.cadence_minutes}
    elif event == "proposed":
        subject = _("Major incident proposed: %(title)s") % {"title": title}
        text = _("A major incident was proposed: %(reason)s") % {"reason": major.proposal_reason}
    elif event == "update":
        subject = _("Major incident update: %(title)s") % {"title": title}
        text = extra.get("text", "")
    elif event == "due":
        subject = _("Major incident update due: %(title)s") % {"title": title}
        text = _("The next status update was due at %(due)s. Post it on the major-incident "
                 "page.") % {"due": extra.get("due", "")}
    elif event == "resolved":
        subject = _("Resolved: %(title)s") % {"title": title}
        text = _("The outage you reported as affecting you is resolved: %(resolution)s") % {
            "resolution": incident.resolution}
    else:  # major_resolved
        subject = _("Major incident resolved: %(title)s") % {"title": title}
        text = incident.resolution
    return " ".join(subject.split()), f"{text}\n\n{_url(incident, event)}\n"


def _mail(major, event: str, users, extra: dict | None = None, exclude=None,
          incident=None) -> None:
    incident = incident if incident is not None else major.incident
    prefix = f"major:{major.pk}" if major is not None else f"outage:{incident.pk}"
    seen = set()
    for user in users:
        if (not user.email or user.email in seen or not user.is_active
                or (exclude is not None and user.pk == exclude.pk)):
            continue
        seen.add(user.email)
        language = mail_language(user.language)
        with translation.override(language):
            subject, text = _message(incident, major, event, extra or {})
        delivery_enqueue(key=f"{prefix}:{event}{(extra or {}).get('key', '')}:email:"
                             f"{user.email}", channel="email", recipient=user.email,
                         subject=subject, text=text, html=linebreaks(escape(text)),
                         language=language, thread_key=f"incident:{incident.number}")


def _robots(major, event: str, extra: dict | None = None) -> None:
    endpoints = list(major.stakeholder_endpoints.filter(is_active=True).order_by("pk"))
    group = major.incident.assignment_group
    if not endpoints and group is not None:
        endpoints = list(group.robot_endpoints.filter(is_active=True).order_by("pk"))
    if not endpoints:
        return
    with translation.override(ROBOT_LANGUAGE):
        subject, text = _message(major.incident, major, event, extra or {})
    for endpoint in endpoints:
        delivery_enqueue(key=f"major:{major.pk}:{event}{(extra or {}).get('key', '')}:"
                             f"{endpoint.kind}:{endpoint.pk}", channel=endpoint.kind,
                         recipient=endpoint, subject=subject, text=text)


def _management(major) -> list[User]:
    managers = list(User.objects.filter(is_incident_manager=True, is_active=True).order_by("pk"))
    people = managers + list(major.stakeholders.filter(is_active=True).order_by("pk"))
    if major.manager is not None:
        people.append(major.manager)
    return people


def notify_declared(*, major, by) -> None:
    """Management, the stakeholders and the robots hear of a declaration."""
    if notifications_are_muted():
        return
    _mail(major, "declared", _management(major), exclude=by, extra={"key": _n(major)})
    _robots(major, "declared", extra={"key": _n(major)})


def _n(major) -> str:
    """A declaration may happen again after a rejection: key it by the declaration time."""
    return f"-{int(major.declared_at.timestamp())}" if major.declared_at else ""


def notify_proposed(*, major, by) -> None:
    """The incident managers hear of a candidate to decide on."""
    if notifications_are_muted():
        return
    managers = User.objects.filter(is_incident_manager=True, is_active=True).order_by("pk")
    _mail(major, "proposed", managers, exclude=by,
          extra={"key": f"-{int(major.proposed_at.timestamp())}"})


def notify_update(*, major, update) -> None:
    """Management and the stakeholders get every update; the robots only the public ones."""
    if notifications_are_muted():
        return
    extra = {"text": update.text, "key": f"-{update.pk}"}
    _mail(major, "update", _management(major), extra=extra, exclude=update.author)
    if update.is_public:
        _robots(major, "update", extra=extra)


def notify_update_due(*, major) -> None:
    """The named manager (else the incident managers) is reminded once per due time."""
    if notifications_are_muted():
        return
    due = major.next_update_due_at
    users = [major.manager] if major.manager is not None else list(
        User.objects.filter(is_incident_manager=True, is_active=True).order_by("pk"))
    _mail(major, "due", users, extra={"due": due.isoformat(timespec="minutes"),
                                      "key": f"-{int(due.timestamp())}"})


def notify_resolved(*, incident, major, affected_users) -> None:
    """Everyone who said "affects me too" hears that the outage is resolved; for a major
    incident, management and the robots too. `major` may be None (a plain outage)."""
    if notifications_are_muted():
        return
    key = {"key": f"-{int(incident.resolved_at.timestamp())}"} if incident.resolved_at else {}
    _mail(major, "resolved", affected_users, incident=incident, extra=key)
    if major is not None and major.declared_at is not None:
        _mail(major, "major_resolved", _management(major), extra=key)
        _robots(major, "major_resolved", extra=key)
