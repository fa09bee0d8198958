"""Mail about tasks and mentions, built like the incidents' own (opsdesk.incidents.notify).

Called inside the services' transactions, so a change that rolls back sends nothing. Each
person gets mail in their own language and only the kinds they have not switched off; the
person who caused it hears nothing. Delivery keys name one history entry or one comment, so a
second call for the same event sends nothing more.
"""

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from opsdesk.accounts.models import NotificationKind
from opsdesk.incidents.notify import mail_language, notifications_are_muted
from opsdesk.notifications.services import delivery_enqueue

# Switched off on the profile like every kind; until accounts lists it, the value still works
# (wants_email() checks the person's "off" list).
KIND_MENTIONED = getattr(NotificationKind, "MENTIONED", "mentioned")
KIND_ASSIGNED = NotificationKind.ASSIGNED


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str
    user: object = None


def person(user) -> Recipient:
    return Recipient(user.email, mail_language(user.language), user)


def task_recipients(task) -> list[Recipient]:
    """The assignee; else the group's address, else its active members."""
    if task.assignee_id:
        return [person(task.assignee)]
    group = task.group
    if group.email:
        return [Recipient(group.email, mail_language(""))]
    return [person(u) for u in group.members.filter(is_active=True).order_by("pk")]


def notify_task_assigned(*, task, by, event_key: str) -> None:
    """A task was given to a group or a person."""
    send(incident=task.incident, by=by, kind=KIND_ASSIGNED, template="task_assigned",
         event_key=event_key, recipients=task_recipients(task),
         extra={"task": task, "task_url": absolute(reverse("web:task", args=[task.pk]))})


def notify_mentioned(*, incident, comment, by, users) -> set[int]:
    """Each person named in the comment; returns the ids of those a mail was queued for."""
    return send(incident=incident, by=by, kind=KIND_MENTIONED, template="mentioned",
                event_key=f"c{comment.pk}", recipients=[person(u) for u in users],
                extra={"comment": comment, "author": by})


def send(*, incident, by, kind: str, template: str, event_key: str,
         recipients: list[Recipient], extra: dict) -> set[int]:
    """Render once per language; one delivery per wanted, distinct address."""
    if notifications_are_muted():
        return set()
    rendered, seen, told = {}, set(), set()
    for recipient in recipients:
        if not _wanted(recipient, by=by, kind=kind) or recipient.address in seen:
            continue
        seen.add(recipient.address)
        if recipient.language not in rendered:
            rendered[recipient.language] = _render(incident=incident, template=template,
                                                   language=recipient.language, extra=extra)
        subject, text, html = rendered[recipient.language]
        delivery_enqueue(
            key=f"collab:{incident.pk}:{event_key}-{template}:email:{recipient.address}"[:255],
            channel="email", recipient=recipient.address, subject=subject, text=text, html=html,
            language=recipient.language, thread_key=f"incident:{incident.number}")
        if recipient.user is not None:
            told.add(recipient.user.pk)
    return told


def _wanted(recipient: Recipient, *, by, kind: str) -> bool:
    user = recipient.user
    if not recipient.address:
        return False
    if user is None:
        return True
    return (by is None or user.pk != by.pk) and user.wants_email(kind)


def _render(*, incident, template: str, language: str, extra: dict) -> tuple[str, str, str]:
    with translation.override(language):
        context = {"incident": incident, "status": incident.get_status_display(),
                   "colon": "：" if language.startswith("zh") else ": ",
                   "url": absolute(reverse("web:incident", args=[incident.number])), **extra}
        base = f"collab/notify/{template}"
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        return (subject, render_to_string(f"{base}.txt", context).strip() + "\n",
                render_to_string(f"{base}.html", context))


def absolute(path: str) -> str:
    return settings.OPSDESK_BASE_URL.rstrip("/") + path
