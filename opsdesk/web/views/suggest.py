"""Live suggestions while an incident is being written: knowledge articles and similar incidents.

The desk's logging form and the portal's report form ask for them as the person types (htmx,
`hx-trigger="input changed delay:…"`). Both read through the search engine
(`opsdesk.search.selectors`), with the same permissions as every other list: a user is offered
published public articles and only incidents they may see; the desk gets internal articles too.
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from opsdesk.incidents.choices import OPEN_STATUSES, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.related import incidents_attach_related
from opsdesk.knowledge.models import Article, ArticleDocument
from opsdesk.knowledge.selectors import articles_published
from opsdesk.search.models import IncidentDocument
from opsdesk.search.selectors import matching_ids
from opsdesk.search.snippets import highlight, snippet
from opsdesk.search.text import highlight_words

ARTICLES, RESOLVED, OWN_OPEN = 5, 3, 3
RESOLVED_CANDIDATES = 30  # the best matches looked at for resolved ones
RECENT_DAYS = 90  # "recent" resolved incidents: what the desk solved in the last quarter
TEXT_LIMIT = 300  # the words that matter are at the start; long texts only slow the match


def suggestion_text(data) -> str:
    """What was typed so far: the short description, then the start of the description."""
    short = (data.get("short_description") or "").strip()[:200]
    described = (data.get("description") or "").strip()
    return f"{short} {described}"[:TEXT_LIMIT].strip()


def articles_suggested(*, user, text: str, limit: int = ARTICLES) -> list[Article]:
    """The published articles user may read that best match text, best first."""
    if not text:
        return []
    ids = matching_ids(articles_published(user), ArticleDocument, text, limit=limit)
    found = Article.objects.in_bulk(ids)
    words = highlight_words(text)
    articles = [found[pk] for pk in ids if pk in found]
    for article in articles:
        article.suggestion_title = highlight(article.title, words)
        article.suggestion_snippet = snippet([article.workaround, article.body], words)
    return articles


def incidents_resolved_like(*, user, text: str, limit: int = RESOLVED) -> list[Incident]:
    """Incidents resolved in the last RECENT_DAYS that match text, with their resolution.

    The best matches among everything the person sees are ranked first and the resolved ones
    kept: asking the index for "resolved since" directly would hand the ranking query a set of
    most of the table's ids (PostgreSQL: 200 ms at a million incidents instead of 10–40).
    """
    if not text:
        return []
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    ids = matching_ids(Incident.objects.restrict(user), IncidentDocument, text,
                       limit=RESOLVED_CANDIDATES)
    found = Incident.objects.filter(pk__in=ids, status__in=(Status.RESOLVED, Status.CLOSED),
                                    resolved_at__gte=since).in_bulk()
    rows = [found[pk] for pk in ids if pk in found][:limit]
    words = highlight_words(text)
    for row in rows:
        row.suggestion_title = highlight(row.short_description, words)
        row.suggestion_snippet = snippet([row.resolution], words)
    return incidents_attach_related(rows)


def incidents_own_open_like(*, user, text: str, limit: int = OWN_OPEN) -> list[Incident]:
    """The person's own open incidents that match text: "you have already reported this"."""
    if not text:
        return []
    mine = Incident.objects.filter(requester=user, status__in=OPEN_STATUSES)
    ids = matching_ids(mine, IncidentDocument, text, limit=limit)
    found = mine.in_bulk(ids)
    return incidents_attach_related([found[pk] for pk in ids if pk in found])


def _is_desk(user) -> bool:
    return bool(user.is_service_desk or user.is_incident_manager or user.is_superuser)


def chosen_articles(data) -> list[str]:
    """The knowledge articles ticked in the desk's suggestions, by number (at most ten)."""
    numbers = (n.strip().upper() for n in data.getlist("articles") if n.strip())
    return list(dict.fromkeys(numbers))[:10]


def desk_suggestions(user, data) -> dict:
    """The desk panel's context for what is typed in data (a QueryDict)."""
    text = suggestion_text(data)
    chosen = chosen_articles(data)
    articles = articles_suggested(user=user, text=text)
    shown = {article.number for article in articles}
    return {"articles": articles, "resolved": incidents_resolved_like(user=user, text=text),
            "chosen_articles": set(chosen), "text": text,
            # Ticked articles that the new text no longer suggests stay chosen, unseen.
            "kept_articles": [number for number in chosen if number not in shown]}


@login_required
@require_GET
def desk(request):
    """Articles and recently resolved incidents for the desk's logging form."""
    if not _is_desk(request.user):
        raise PermissionDenied
    return TemplateResponse(request, "web/suggest/desk.html",
                            desk_suggestions(request.user, request.GET))


@login_required
@require_GET
def portal(request):
    """Help articles (and the person's own similar open incidents) for the report form."""
    text = suggestion_text(request.GET)
    return TemplateResponse(request, "web/suggest/portal.html", {
        "articles": articles_suggested(user=request.user, text=text),
        "own_open": incidents_own_open_like(user=request.user, text=text),
        "text": text})
