"""Mail about approvals: the approver hears of a request that waits for them.

The rest (the group hears of the assignment, the requester of a cancellation) is the incident
notifications' job (opsdesk.incidents.notify), since approving assigns and rejecting cancels.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from opsdesk.incidents import notify as incident_notify
from opsdesk.notifications.services import delivery_enqueue


def notify_approval_requested(*, details) -> None:
    """Mail the approver, in their language, once per request (inside the caller's transaction)."""
    approver, incident = details.approver, details.incident
    if incident_notify._muted.get() or approver is None or not approver.email \
            or not approver.is_active:
        return
    language = incident_notify._language(approver.language)
    with translation.override(language):
        context = {"incident": incident, "details": details,
                   "request_type": details.request_type.name,
                   "status": incident.get_status_display(),
                   "colon": "：" if language.startswith("zh") else ": ",
                   "answers": _answers(details.answers, language),
                   "url": _absolute(reverse("web:incident", args=[incident.number])),
                   "approvals_url": _absolute(reverse("web:approvals"))}
        subject = " ".join(render_to_string("catalog/notify/approval_requested_subject.txt",
                                            context).split())
        text = render_to_string("catalog/notify/approval_requested.txt", context).strip() + "\n"
        html = render_to_string("catalog/notify/approval_requested.html", context)
    delivery_enqueue(key=f"incident:{incident.pk}:approval-requested:email:{approver.email}",
                     channel="email", recipient=approver.email, subject=subject, text=text,
                     html=html, language=language, thread_key=f"incident:{incident.number}")


def _answers(entries: list[dict], language: str) -> list[tuple[str, str]]:
    zh = language.startswith("zh")
    return [((e["label_zh"] or e["label_en"]) if zh else (e["label_en"] or e["label_zh"]),
             e["display_zh"] if zh else e["display_en"]) for e in entries]


def _absolute(path: str) -> str:
    return settings.OPSDESK_BASE_URL.rstrip("/") + path
