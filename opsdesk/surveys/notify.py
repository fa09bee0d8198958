"""The survey's mails, in the reader's language; opsdesk.notifications delivers them.

Called inside the services' transactions (a rollback sends nothing). Delivery keys are
`survey:<pk>:<event>:email:<address>`, so a retried call sends nothing twice.
- The invitation goes to the requester (their address, else the incident's contact address),
  with one link per score and a link to the whole form. The token is only in this mail.
- A low score goes to every incident manager, with the score, the comment and the queue.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from opsdesk.accounts.models import User
from opsdesk.incidents.notify import mail_language, notifications_are_muted
from opsdesk.notifications.services import delivery_enqueue

from .models import SCORE_LABELS, SCORES


def _absolute(path: str) -> str:
    return settings.OPSDESK_BASE_URL.rstrip("/") + path


def _render(name: str, language: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of one mail in one language (dates in the site's time zone)."""
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        context = {**context, "colon": "：" if language.startswith("zh") else ": "}
        base = f"surveys/notify/{name}"
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        return (subject, render_to_string(f"{base}.txt", context).strip() + "\n",
                render_to_string(f"{base}.html", context))


def invitation_links(token: str) -> dict:
    """The form's address and (score, label, address) per score (1–5) for a survey token."""
    return {"form_url": _absolute(reverse("web:survey_answer", args=[token])),
            "score_links": [(score, SCORE_LABELS[score],
                             _absolute(reverse("web:survey_score", args=[token, score])))
                            for score in SCORES]}


def notify_invitation(*, survey, token: str) -> None:
    """Mail the requester the survey with its one-click score links."""
    incident = survey.incident
    address = survey.requester.email or incident.contact_email
    if not address or notifications_are_muted():
        return  # answerable in the portal all the same
    language = mail_language(survey.language or survey.requester.language)
    context = {"incident": incident, "survey": survey, "requester": survey.requester,
               **invitation_links(token),
               "portal_url": _absolute(reverse("web:portal_survey", args=[incident.number]))}
    subject, text, html = _render("invitation", language, context)
    delivery_enqueue(key=f"survey:{survey.pk}:invitation:email:{address}", channel="email",
                     recipient=address, subject=subject, text=text, html=html,
                     language=language, thread_key=f"incident:{incident.number}")


def notify_low_score(*, follow_up, survey) -> None:
    """Tell every incident manager of a low score and its follow-up."""
    if notifications_are_muted():
        return
    managers = User.objects.filter(is_incident_manager=True, is_active=True).exclude(email="")
    context = {"incident": survey.incident, "survey": survey, "follow_up": follow_up,
               "url": _absolute(reverse("web:survey_follow_up", args=[follow_up.pk])),
               "incident_url": _absolute(reverse("web:incident", args=[survey.incident.number]))}
    rendered = {}
    for manager in managers.order_by("pk"):
        language = mail_language(manager.language)
        if language not in rendered:
            rendered[language] = _render("low_score", language, context)
        subject, text, html = rendered[language]
        delivery_enqueue(key=f"survey:{survey.pk}:low_score:email:{manager.email}",
                         channel="email", recipient=manager.email, subject=subject, text=text,
                         html=html, language=language,
                         thread_key=f"incident:{survey.incident.number}")
