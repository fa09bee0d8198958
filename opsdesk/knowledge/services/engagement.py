"""How articles are used: views, votes, links to incidents, drafts from incidents, deflections."""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.core.services import text_clean
from opsdesk.incidents import events
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.models import Incident

from ..choices import FEEDBACK_COUNTERS, ArticleStatus, ArticleType, FeedbackKind, Visibility
from ..models import Article, ArticleFeedback, Deflection, IncidentArticle
from ..selectors import articles_visible, is_kb_author, is_kb_staff
from .articles import article_create

VIEW_REMEMBERED_SECONDS = 30 * 60
# "helpful" and "not helpful" exclude each other: a new vote replaces the other one.
OPPOSITE = {FeedbackKind.HELPFUL: FeedbackKind.NOT_HELPFUL,
            FeedbackKind.NOT_HELPFUL: FeedbackKind.HELPFUL}


def article_view_count(*, article: Article, user) -> bool:
    """Count a reading; the same person counts once per 30 minutes (remembered in the cache)."""
    key = f"kb-view:{article.pk}:{getattr(user, 'pk', None) or 'anon'}"
    if not cache.add(key, 1, VIEW_REMEMBERED_SECONDS):
        return False
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
    return True


def feedback_record(*, article: Article, by, kind: str, incident: Incident | None = None,
                    comment: str = "") -> ArticleFeedback:
    """One vote per person, article and kind; a repeat changes nothing.

    "This solved it" is the support staff's (optionally for an incident, which is then linked
    as resolved by the article); "helpful" and "not helpful" anyone's who can read it."""
    _check_feedback(article=article, by=by, kind=kind)
    with transaction.atomic():
        vote = ArticleFeedback.objects.filter(article=article, user=by, kind=kind).first()
        if vote is None:
            vote = _vote_add(article=article, by=by, kind=kind, incident=incident,
                             comment=comment)
        if kind == FeedbackKind.SOLVED_IT and incident is not None:
            incident_article_link(incident=incident, article=article, by=by, resolved_by=True)
    return vote


def _check_feedback(*, article, by, kind) -> None:
    if kind not in FeedbackKind.values:
        raise InvalidInput(errors={"kind": _("Choose one of: %(values)s.") % {
            "values": ", ".join(FeedbackKind.values)}})
    if not articles_visible(by).filter(pk=article.pk).exists():
        raise NotFound()
    if article.status != ArticleStatus.PUBLISHED:
        raise Conflict(_("Only published articles take feedback."))
    if kind == FeedbackKind.SOLVED_IT and not is_kb_staff(by):
        raise NotPermitted(_("“This solved it” is for support staff; tell us whether the "
                             "article was helpful instead."))


def _vote_add(*, article, by, kind, incident, comment) -> ArticleFeedback:
    opposite = OPPOSITE.get(kind)
    if opposite and ArticleFeedback.objects.filter(article=article, user=by,
                                                   kind=opposite).delete()[0]:
        Article.objects.filter(pk=article.pk).update(
            **{FEEDBACK_COUNTERS[opposite]: F(FEEDBACK_COUNTERS[opposite]) - 1})
    try:
        with transaction.atomic():  # a concurrent double click meets the unique constraint
            vote = ArticleFeedback.objects.create(article=article, user=by, kind=kind,
                                                  incident=incident,
                                                  comment=text_clean(comment)[:1000])
    except IntegrityError:
        return ArticleFeedback.objects.get(article=article, user=by, kind=kind)
    Article.objects.filter(pk=article.pk).update(
        **{FEEDBACK_COUNTERS[kind]: F(FEEDBACK_COUNTERS[kind]) + 1})
    return vote


def incident_article_link(*, incident: Incident, article: Article, by,
                          resolved_by: bool = False, channel: str = Channel.WEB
                          ) -> IncidentArticle:
    """Link article to incident (support staff who see both); `resolved_by` marks that it
    solved the incident, counted once per incident in the article's resolved count.

    The link is written to the incident's history (internal for an internal article)."""
    _check_may_link(incident=incident, article=article, by=by)
    with transaction.atomic():
        Incident.objects.select_for_update().values_list("pk").get(pk=incident.pk)  # history chain
        link, created = IncidentArticle.objects.get_or_create(
            incident=incident, article=article, defaults={"linked_by": by,
                                                          "resolved_by": resolved_by})
        newly_resolved = resolved_by and (created or not link.resolved_by)
        if newly_resolved and not created:
            IncidentArticle.objects.filter(pk=link.pk).update(resolved_by=True)
            link.resolved_by = True
        if newly_resolved:
            Article.objects.filter(pk=article.pk).update(
                resolved_incident_count=F("resolved_incident_count") + 1)
        if created or newly_resolved:
            events.event_field_changed(
                incident=incident, by=by, channel=channel, field=HISTORY_FIELD,
                old=None, new=f"{article.number}{' ✓' if resolved_by else ''}",
                internal=article.visibility == Visibility.INTERNAL)
    return link


# The incident history's field name for linked articles.
HISTORY_FIELD = "knowledge_article"


def _check_may_link(*, incident, article, by) -> None:
    if not is_kb_staff(by):
        raise NotPermitted(_("Only support staff link articles to incidents."))
    if not Incident.objects.restrict(by).filter(pk=incident.pk).exists():
        raise NotFound(_("There is no incident %(number)s, or you may not see it.") % {
            "number": incident.number})
    if not articles_visible(by).filter(pk=article.pk).exists():
        raise NotFound()
    if article.status == ArticleStatus.RETIRED:
        raise Conflict(_("A retired article cannot be linked."))


def incident_article_unlink(*, incident: Incident, article: Article, by) -> None:
    """Remove a link (not one that resolved the incident: that one is counted)."""
    _check_may_link(incident=incident, article=article, by=by)
    with transaction.atomic():
        link = IncidentArticle.objects.select_for_update().filter(
            incident=incident, article=article).first()
        if link is None:
            return
        if link.resolved_by:
            raise Conflict(_("This article solved the incident; the link stays."))
        link.delete()


def article_from_incident(*, incident: Incident, by, channel: str = Channel.WEB) -> Article:
    """A draft article from the incident's description and resolution, linked to it."""
    if not is_kb_author(by):
        raise NotPermitted(_("Only the service desk, engineers and managers write articles."))
    if not Incident.objects.restrict(by).filter(pk=incident.pk).exists():
        raise NotFound()
    if not incident.resolution:
        raise InvalidInput(errors={"resolution": _(
            "The incident has no resolution yet: resolve it first.")})
    with transaction.atomic():
        article = article_create(by=by, data=_draft_from(incident), note=incident.number)
        incident_article_link(incident=incident, article=article, by=by,
                              resolved_by=True, channel=channel)
    return article


def _draft_from(incident: Incident) -> dict:
    symptom = incident.description.strip() or incident.short_description
    resolution_title = _("Workaround") if incident.is_workaround else _("Resolution")
    body = (f"## {_('Symptom')}\n\n{symptom}\n\n## {resolution_title}\n\n"
            f"{incident.resolution.strip()}\n")
    return {"title": incident.short_description[:200], "body": body,
            "type": ArticleType.KNOWN_ERROR if incident.is_workaround else ArticleType.SOLUTION,
            "workaround": incident.resolution.strip() if incident.is_workaround else "",
            "problem_reference": incident.related_problem, "visibility": Visibility.INTERNAL,
            "category": incident.category, "service": incident.service,
            "configuration_items": list(incident.configuration_items.all())}


def deflection_record(*, user, article: Article, query: str = "",
                      channel: str = Deflection.CHANNEL_PORTAL) -> Deflection:
    """A user read article and it solved their problem: counted, and no incident is made."""
    if not articles_visible(user).filter(pk=article.pk,
                                         status=ArticleStatus.PUBLISHED).exists():
        raise NotFound()
    if channel not in dict(Deflection.CHANNELS):
        raise InvalidInput(errors={"channel": _("Unknown channel.")})
    with transaction.atomic():
        deflection = Deflection.objects.create(user=user, article=article,
                                               query=text_clean(query)[:500], channel=channel)
        Article.objects.filter(pk=article.pk).update(deflection_count=F("deflection_count") + 1)
    return deflection
