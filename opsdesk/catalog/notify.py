"""Mail about approvals: the approver hears of a request that waits for them, and the
requester hears that it was approved.

The rest (the group hears of the assignment, the requester of a rejection, which cancels the
request) is the incident notifications' job (opsdesk.incidents.notify). Both mails go inside
the caller's transaction, once per request (the delivery key), in the reader's language.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from opsdesk.accounts.models import NotificationKind
from opsdesk.incidents.notify import mail_language, notifications_are_muted
from opsdesk.notifications.services import delivery_enqueue


def notify_approval_requested(*, details) -> None:
    """Mail the approver: a request waits for their decision."""
    approver = details.approver
    if approver is None or not approver.is_active:
        return
    _mail(details=details, user=approver, address=approver.email,
          template="approval_requested", event_key="approval-requested",
          extra={"approvals_url": _absolute(reverse("web:approvals"))})


def notify_approved(*, details) -> None:
    """Mail the requester: their request is approved and goes to the fulfilment group (not if
    they switched off the mail that acknowledges their requests)."""
    requester, incident = details.incident.requester, details.incident
    address = requester.email or incident.contact_email
    if not requester.wants_email(NotificationKind.CREATED):
        return
    _mail(details=details, user=requester, address=address, template="approved",
          event_key="approved", extra={"approver": details.approver,
                                       "group": details.request_type.fulfilment_group,
                                       "comment": details.decision_comment})


def _mail(*, details, user, address: str, template: str, event_key: str, extra: dict) -> None:
    incident = details.incident
    if notifications_are_muted() or not address:
        return
    language = mail_language(user.language)
    with translation.override(language):
        context = {"incident": incident, "details": details,
                   "request_type": details.request_type.name,
                   "status": incident.get_status_display(),
                   "colon": "：" if language.startswith("zh") else ": ",
                   "answers": _answers(details.answers, language),
                   "url": _absolute(reverse("web:incident", args=[incident.number])), **extra}
        base = f"catalog/notify/{template}"
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        text = render_to_string(f"{base}.txt", context).strip() + "\n"
        html = render_to_string(f"{base}.html", context)
    delivery_enqueue(key=f"incident:{incident.pk}:{event_key}:email:{address}",
                     channel="email", recipient=address, subject=subject, text=text,
                     html=html, language=language, thread_key=f"incident:{incident.number}")


def _answers(entries: list[dict], language: str) -> list[tuple[str, str]]:
    zh = language.startswith("zh")
    return [((e["label_zh"] or e["label_en"]) if zh else (e["label_en"] or e["label_zh"]),
             e["display_zh"] if zh else e["display_en"]) for e in entries]


def _absolute(path: str) -> str:
    return settings.OPSDESK_BASE_URL.rstrip("/") + path
