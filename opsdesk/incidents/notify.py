"""Who hears what about an incident, and in which language; opsdesk.notifications delivers it.

The incident services call these functions explicitly, inside their transactions, so a change
that rolls back sends nothing. Every delivery key is
`incident:<pk>:<event key>:<channel>:<recipient>`, and the event key names one history row (or
a stable step such as creation), so a second call for the same event sends nothing more.

Rules: the person who caused the event hears nothing of it (except the acknowledgement of an
incident reported by email, which carries the number to reply to); internal work notes never
reach the requester; each person gets mail in their own language (User.language, else the
site's LANGUAGE_CODE) and only the kinds they have not switched off on their profile.
Hierarchical escalation (opsdesk.sla.escalation writes it) first goes to the incident managers:
at creation when the policy says so (P1), at the second warning when the policy says so, when
reassignments reach the policy's number, and by hand (with the reason). The second step goes to
the head of the requester's department, or of the nearest organisation above it that has one:
the first time the resolution clock breaches, or the second time someone escalates by hand,
whichever comes first; the head is told once per incident, the incident managers with them.
Each step is its own history entry, so its key is its own. The requester gets a reminder with
the confirm and reject links before an auto-close, and hears of a cancellation by staff; the
assignee (else the group) hears of a rejected resolution. Functional escalation to the vendor
(at a resolution breach, when the policy says so) mails the vendor's escalation contacts
(level 1 first; else its contact address) in the site's language, with the incident, the vendor's own ticket number and the breach.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from opsdesk.accounts.models import NotificationKind as Kind
from opsdesk.accounts.models import User
from opsdesk.notifications.services import delivery_enqueue

from .choices import Action, Channel, EventKind, Visibility
from .respond import respond_token

ROBOT_LANGUAGE = "zh-hans"  # the groups' working language
ROBOT_PRIORITIES = frozenset({1, 2})
PENDING_AWAITING_USER = "01"
BREACH_LEVEL = 3


@dataclass(frozen=True)
class Recipient:
    """One mailbox: a person (whose preferences count) or a group's shared address."""

    address: str
    language: str
    user: User | None = None


def notify_created(*, incident, by, channel: str, acknowledge: bool = True) -> None:
    """Acknowledge a new incident to its requester and tell the group it went to."""
    reported_by_mail = channel == Channel.EMAIL
    if acknowledge:
        _email(incident=incident, by=None if reported_by_mail else by, kind=Kind.CREATED,
               event_key="created", recipients=_requester(incident))
    if incident.assignment_group_id:
        notify_assigned(incident=incident, by=by, event_key="created")
    if incident.hierarchical_escalation_count:  # the policy escalated at creation (P1)
        _notify_escalated_at_creation(incident=incident)


def notify_transition(*, incident, by, action: str, event) -> None:
    """Send what one status change means to the people concerned."""
    if incident.number is None:
        return  # still being created: notify_created speaks for the first assignment
    handlers = {Action.ASSIGN: notify_assigned, Action.PEND: notify_info_requested,
                Action.RESOLVE: notify_resolved, Action.CONFIRM: notify_closed,
                Action.CLOSE: notify_closed}
    handler = handlers.get(action)
    if handler is not None:
        handler(incident=incident, by=by, event_key=f"e{event.pk}")
    with_reason = {Action.REJECT: notify_rejected, Action.CANCEL: notify_cancelled}
    if action in with_reason:
        with_reason[action](incident=incident, by=by, event_key=f"e{event.pk}",
                            reason=event.new_value)


def notify_comment(*, incident, by, comment) -> None:
    """A public reply goes to the requester, a user's reply to the people working on it."""
    if comment.visibility != Visibility.PUBLIC or incident.number is None:
        return  # work notes stay inside support
    if by.pk == incident.requester_id:
        notify_user_replied(incident=incident, by=by, comment=comment)
    else:
        notify_public_reply(incident=incident, by=by, comment=comment)


def notify_public_reply(*, incident, by, comment) -> None:
    """Support answered in public: the requester reads the reply."""
    _email(incident=incident, by=by, kind=Kind.PUBLIC_REPLY, event_key=f"c{comment.pk}",
           recipients=_requester(incident), extra={"comment": comment})


def notify_user_replied(*, incident, by, comment) -> None:
    """The requester answered: the assignee, or the group when nobody took it yet."""
    _email(incident=incident, by=by, kind=Kind.USER_REPLIED, event_key=f"c{comment.pk}",
           recipients=_workers(incident), extra={"comment": comment})


def notify_info_requested(*, incident, by, event_key: str) -> None:
    """Pending on the user: ask the requester for what support needs."""
    if incident.pending_reason_id == PENDING_AWAITING_USER:
        _email(incident=incident, by=by, kind=Kind.INFO_REQUESTED, event_key=event_key,
               recipients=_requester(incident))


def notify_resolved(*, incident, by, event_key: str) -> None:
    """Resolved: the requester confirms or rejects from the email's links."""
    _email(incident=incident, by=by, kind=Kind.RESOLVED, event_key=event_key,
           recipients=_requester(incident), extra=_respond_links(incident))


def notify_auto_close_reminder(*, incident, event, close_at: datetime) -> None:
    """Before the auto-close: the requester may still confirm or reject from the links."""
    recipients = _requester(incident)
    zone = (incident.requester.time_zone or settings.TIME_ZONE) if recipients else ""
    _email(incident=incident, by=None, kind=Kind.RESOLVED, template="auto_close_reminder",
           event_key=f"e{event.pk}", recipients=recipients,
           extra={**_respond_links(incident), "close_at": close_at, "time_zone": zone})


def notify_rejected(*, incident, by, event_key: str, reason: str) -> None:
    """The requester rejected the resolution (it reopens): the assignee, else the group."""
    _email(incident=incident, by=by, kind=Kind.USER_REPLIED, template="rejected",
           event_key=event_key, recipients=_workers(incident), extra={"reason": reason})


def notify_cancelled(*, incident, by, event_key: str, reason: str) -> None:
    """Cancelled by staff: the requester hears why (not when they cancelled it themselves)."""
    _email(incident=incident, by=by, kind=Kind.CLOSED, template="cancelled",
           event_key=event_key, recipients=_requester(incident), extra={"reason": reason})


def notify_escalated(*, incident, event, head: User | None = None) -> None:
    """A hierarchical escalation: the incident managers, and the head when it reaches one."""
    if incident.number is None:
        return  # still being created: notify_created speaks for the creation escalation
    recipients = ([_person(head)] if head is not None else []) + _incident_managers()
    data = event.data or {}
    _email(incident=incident, by=event.actor, kind=Kind.SLA, template="escalated",
           event_key=f"e{event.pk}", recipients=recipients, extra={
               "trigger": data.get("clock"), "reason": event.new_value,
               "escalated_by": event.actor, "reassignments": data.get("reassignments"),
               "to_head": head is not None, "head": head})


def notify_vendor_escalated(*, incident, event, vendor, addressees=None) -> None:
    """A functional escalation to the vendor, in the site's language: to each (name, address)
    of `addressees` (its escalation contacts), else to the vendor's contact address."""
    if addressees is None:
        addressees = [(vendor.contact_name, vendor.email)]
    for name, address in addressees:
        if not address:
            continue
        _email(incident=incident, by=None, kind=Kind.SLA, template="vendor_escalated",
               event_key=f"e{event.pk}", recipients=[Recipient(address, _language(""))],
               extra={"vendor": vendor, "contact_name": name,
                      "vendor_reference": incident.vendor_reference,
                      "due_at": incident.resolution_due_at, "time_zone": settings.TIME_ZONE})


def notify_closed(*, incident, by, event_key: str) -> None:
    """Closed, by confirmation, by the desk or automatically: tell the requester."""
    _email(incident=incident, by=by, kind=Kind.CLOSED, event_key=event_key,
           recipients=_requester(incident))


def notify_assigned(*, incident, by, event_key: str) -> None:
    """The assignee (or the group when no person) hears of it; P1/P2 also go to group robots."""
    _email(incident=incident, by=by, kind=Kind.ASSIGNED, event_key=event_key,
           recipients=_workers(incident))
    if incident.priority_id in ROBOT_PRIORITIES:
        _robots(incident=incident, kind=Kind.ASSIGNED, event_key=event_key)


def notify_sla(*, incident, clock: str, level: int, event, escalate: bool = False) -> None:
    """Warnings and breaches to the group and assignee; an escalation also to the managers."""
    event_key = f"e{event.pk}"
    extra = {"clock": clock, "level": level, "breached": level >= BREACH_LEVEL,
             "escalate": escalate}
    recipients = _workers(incident, whole_group=True)
    if escalate:
        recipients += _incident_managers()
    _email(incident=incident, by=None, kind=Kind.SLA, event_key=event_key,
           recipients=recipients, extra=extra)
    if level >= BREACH_LEVEL:
        _robots(incident=incident, kind=Kind.SLA, event_key=event_key, extra=extra)


def _notify_escalated_at_creation(*, incident) -> None:
    """The creation escalation sla_after_create wrote (the number did not exist then)."""
    event = incident.events.filter(kind=EventKind.SLA, action="created").first()
    if event is not None:
        notify_escalated(incident=incident, event=event)


def _respond_links(incident) -> dict:
    url = _absolute(reverse("web:respond", args=[respond_token(incident=incident)]))
    return {"confirm_url": f"{url}#confirm", "reject_url": f"{url}#reject"}


def _requester(incident) -> list[Recipient]:
    user = incident.requester
    address = user.email or incident.contact_email
    return [Recipient(address, _language(user.language), user)] if address else []


def _workers(incident, *, whole_group: bool = False) -> list[Recipient]:
    """The assignee; the group (its address, else its members) when none or when asked."""
    people = [_person(incident.assignee)] if incident.assignee_id else []
    group = incident.assignment_group
    if group is not None and (whole_group or not people):
        if group.email:
            people.append(Recipient(group.email, _language("")))
        else:
            people += [_person(user) for user in group.members.filter(is_active=True)]
    return people


def _incident_managers() -> list[Recipient]:
    managers = User.objects.filter(is_incident_manager=True, is_active=True).exclude(email="")
    return [_person(user) for user in managers.order_by("pk")]


def _person(user: User) -> Recipient:
    return Recipient(user.email, _language(user.language), user)


_muted: ContextVar[bool] = ContextVar("opsdesk_notifications_muted", default=False)


@contextmanager
def notifications_muted():
    """Send nothing inside (the demo company, whose stories happened in the past)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def notifications_are_muted() -> bool:
    """Whether this context sends nothing (inside notifications_muted()): for apps that mail
    about incidents themselves (the catalogue's approvals)."""
    return _muted.get()


def mail_language(code: str) -> str:
    """The person's language if the site offers it, else the site's default."""
    known = {language for language, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


_language = mail_language  # the short name this module uses


def _email(*, incident, by, kind: str, event_key: str, recipients: list[Recipient],
           extra: dict | None = None, template: str = "") -> None:
    """Render once per language and record one delivery per wanted, distinct address.

    `kind` is the preference that switches the mail off; `template` (default: the kind) names
    the message, and the delivery key."""
    if _muted.get():
        return
    template = template or kind
    rendered, seen = {}, set()
    for recipient in recipients:
        if not _wanted(recipient=recipient, by=by, kind=kind) or recipient.address in seen:
            continue
        seen.add(recipient.address)
        if recipient.language not in rendered:
            rendered[recipient.language] = _render(incident=incident, kind=template,
                                                   language=recipient.language, extra=extra)
        subject, text, html = rendered[recipient.language]
        delivery_enqueue(
            key=f"incident:{incident.pk}:{event_key}-{template}:email:{recipient.address}",
            channel="email", recipient=recipient.address, subject=subject, text=text,
            html=html, language=recipient.language, thread_key=f"incident:{incident.number}")


def _wanted(*, recipient: Recipient, by, kind: str) -> bool:
    user = recipient.user
    if not recipient.address or user is None:
        return bool(recipient.address)
    return (by is None or user.pk != by.pk) and user.wants_email(kind)


def _robots(*, incident, kind: str, event_key: str, extra: dict | None = None) -> None:
    """The group's robots, in the group's working language (text only: robots show no HTML)."""
    group = incident.assignment_group
    if group is None or _muted.get():
        return
    subject, text, _html = _render(incident=incident, kind=kind, language=ROBOT_LANGUAGE,
                                   extra=extra)
    for endpoint in group.robot_endpoints.filter(is_active=True).order_by("pk"):
        delivery_enqueue(key=f"incident:{incident.pk}:{event_key}-{kind}:{endpoint.kind}:"
                             f"{endpoint.pk}", channel=endpoint.kind, recipient=endpoint,
                         subject=subject, text=text)


def _render(*, incident, kind: str, language: str, extra: dict | None) -> tuple[str, str, str]:
    """Subject, text and HTML of one kind of message in one language."""
    with translation.override(language):
        context = {"incident": incident, "status": incident.get_status_display(),
                   # Chinese punctuation is full width and sentences need no space between.
                   "colon": "：" if language.startswith("zh") else ": ",
                   "sentence_gap": "" if language.startswith("zh") else " ",
                   "url": _absolute(reverse("web:incident", args=[incident.number])),
                   **(extra or {})}
        base = f"incidents/notify/{kind}"
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        return (subject, render_to_string(f"{base}.txt", context).strip() + "\n",
                render_to_string(f"{base}.html", context))


def _absolute(path: str) -> str:
    return settings.OPSDESK_BASE_URL.rstrip("/") + path
