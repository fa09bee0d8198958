"""Reads of the knowledge base. Every lookup and list starts from `articles_visible(user)`."""

import difflib
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput, NotFound

from opsdesk.search.selectors import ranked_ids

from .choices import ArticleStatus, Visibility
from .models import Article, ArticleAttachment, ArticleDocument, ArticleVersion, IncidentArticle

NUMBER_RE = re.compile(r"^KB\d{1,12}$")


def is_kb_staff(user) -> bool:
    """Anyone who works incidents, or administers opsdesk, reads internal articles."""
    return bool(user and user.is_authenticated and user.is_active and (
        user.is_superuser or user.is_service_desk or user.is_engineer
        or user.is_incident_manager or user.is_process_owner or user.is_administrator))


def is_kb_author(user) -> bool:
    """The desk, engineers, incident managers and process owners write articles."""
    return bool(user and user.is_authenticated and user.is_active and (
        user.is_superuser or user.is_service_desk or user.is_engineer
        or user.is_incident_manager or user.is_process_owner))


def is_kb_approver(user) -> bool:
    """The process owner approves any article (a named reviewer approves their own)."""
    return bool(user and user.is_active and (user.is_superuser or user.is_process_owner))


def articles_visible(user) -> QuerySet:
    """Articles user may read.

    Plain users: published public articles. Staff: every published or retired article, and the
    drafts and reviews they write, own or review. Process owners: everything."""
    qs = Article.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_kb_approver(user):
        return qs
    if not is_kb_staff(user):
        return qs.filter(status=ArticleStatus.PUBLISHED, visibility=Visibility.PUBLIC)
    return qs.filter(Q(status__in=(ArticleStatus.PUBLISHED, ArticleStatus.RETIRED))
                     | Q(author=user) | Q(owner=user) | Q(reviewer=user))


def articles_published(user) -> QuerySet:
    """The published articles user may read: what searches and suggestions offer."""
    return articles_visible(user).filter(status=ArticleStatus.PUBLISHED)


def article_get(*, user, number: str) -> Article:
    """The visible article with this number; NotFound otherwise (its existence does not leak)."""
    article = (articles_visible(user).select_related(
        "category", "service", "author", "owner", "reviewer").filter(
        number=(number or "").strip().upper()).first())
    if article is None:
        raise NotFound(_("There is no article %(number)s, or you may not see it.") % {
            "number": number})
    return article


@dataclass
class ArticleFilters:
    """The filters of the article lists, with the API's parameter names."""

    q: str = ""
    status: str = ""
    type: str = ""
    category_path: str = ""
    service_id: int | None = None
    visibility: str = ""
    language: str = ""


def article_list(*, user, filters: ArticleFilters, offset: int = 0,
                 limit: int = 50) -> tuple[list[Article], int | None]:
    """One page of the visible articles matching filters and the total.

    Words (`q`) over published articles go to the search engine: best match first, and the
    total is None (ranked results are not counted). Otherwise (a number, or drafts and reviews,
    which are not indexed) the newest change comes first and every word must appear."""
    qs = _filtered(articles_visible(user), filters)
    related = ("category", "service", "author", "owner", "reviewer")
    if filters.q and _engine_applies(filters):
        ranked = ranked_ids(qs, ArticleDocument, filters.q, limit=limit, offset=offset)
        found = qs.select_related(*related).in_bulk([pk for pk, _rank in ranked])
        return [found[pk] for pk, _rank in ranked if pk in found], None
    if filters.q:
        qs = qs.filter(_text_q(filters.q))
    total = qs.count()
    rows = list(qs.select_related(*related).order_by("-updated_at", "-id")[offset:offset + limit])
    return rows, total


def _engine_applies(filters: ArticleFilters) -> bool:
    return filters.status in ("", ArticleStatus.PUBLISHED) and not NUMBER_RE.match(
        filters.q.strip().upper())


def _filtered(qs: QuerySet, f: ArticleFilters) -> QuerySet:
    if f.status:
        qs = qs.filter(status=f.status) if f.status != "review" else qs.filter(
            Q(status=ArticleStatus.REVIEW) | Q(revision_status=ArticleStatus.REVIEW))
    for field in ("type", "visibility", "language", "service_id"):
        if getattr(f, field):
            qs = qs.filter(**{field: getattr(f, field)})
    if f.category_path:  # the category and everything under it
        qs = qs.filter(Q(category__path=f.category_path)
                       | Q(category__path__startswith=f.category_path + "."))
    return qs


def _text_q(text: str) -> Q:
    """Every word in the number, title, keywords or body (the fallback of the search engine)."""
    condition = Q()
    for word in text.split()[:8]:
        condition &= (Q(number__iexact=word) | Q(title__icontains=word)
                      | Q(keywords__icontains=word) | Q(body__icontains=word))
    return condition


def review_queue(*, user) -> list[Article]:
    """Articles (or new revisions) waiting for this person's approval, oldest first."""
    waiting = Q(status=ArticleStatus.REVIEW) | Q(revision_status=ArticleStatus.REVIEW)
    qs = Article.objects.filter(waiting)
    if not is_kb_approver(user):
        qs = qs.filter(reviewer=user)
    return list(qs.select_related("author", "reviewer", "category").order_by("updated_at", "id"))


def article_versions(*, article: Article) -> list[ArticleVersion]:
    """Every saved version, newest first, with its editor."""
    return list(ArticleVersion.objects.filter(article=article).select_related("editor")
                .order_by("-number"))


def article_version_get(*, article: Article, number: int) -> ArticleVersion:
    version = ArticleVersion.objects.filter(article=article, number=number).first()
    if version is None:
        raise NotFound(_("This article has no version %(number)s.") % {"number": number})
    return version


def _attachments_visible(user, article: Article) -> QuerySet:
    """Readers get the published files; support staff also those awaiting review."""
    qs = ArticleAttachment.objects.filter(article=article)
    return qs if is_kb_staff(user) else qs.exclude(published_at=None)


def article_attachments(*, article: Article, user) -> list[ArticleAttachment]:
    """The files of article that user may see, oldest first."""
    return list(_attachments_visible(user, article).order_by("created_at", "id"))


def article_attachments_pending(*, article: Article) -> list[ArticleAttachment]:
    """The files the article's next publication publishes (for its reviewers), oldest first."""
    return list(ArticleAttachment.objects.filter(article=article, published_at=None)
                .select_related("uploaded_by").order_by("created_at", "id"))


def article_attachment_get(*, article: Article, attachment_id: int, user) -> ArticleAttachment:
    """A file user may see; NotFound otherwise (an unpublished file does not leak to readers)."""
    attachment = _attachments_visible(user, article).filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound()
    return attachment


def incident_articles(*, user, incident) -> list[IncidentArticle]:
    """The articles linked to an incident that user may read, in one query."""
    visible = articles_visible(user).values("pk")
    return list(IncidentArticle.objects.filter(incident=incident, article__in=visible)
                .select_related("article", "linked_by").order_by("linked_at", "id"))


@dataclass
class VersionDiff:
    """Two versions compared: the title's change and the body's lines, already HTML-escaped."""

    old: ArticleVersion
    new: ArticleVersion
    title_changed: bool
    unified: str
    table: str


def version_diff(*, article: Article, old: int, new: int) -> VersionDiff:
    """Compare two versions of article line by line (unified text and a side-by-side table)."""
    if old == new:
        raise InvalidInput(errors={"new": _("Choose two different versions.")})
    a = article_version_get(article=article, number=old)
    b = article_version_get(article=article, number=new)
    a_lines, b_lines = a.body.splitlines(), b.body.splitlines()
    unified = "\n".join(difflib.unified_diff(a_lines, b_lines, f"v{a.number}", f"v{b.number}",
                                             lineterm=""))
    table = difflib.HtmlDiff(wrapcolumn=70).make_table(
        a_lines, b_lines, f"v{a.number}", f"v{b.number}", context=True, numlines=3)
    # HtmlDiff escapes the text it shows; the table is ours to show as it is.
    return VersionDiff(old=a, new=b, title_changed=a.title != b.title, unified=unified,
                       table=mark_safe(table))


def unified_lines(diff: VersionDiff) -> list[tuple[str, str]]:
    """The unified diff as (css class, escaped line) pairs for a template."""
    rows = []
    for line in diff.unified.splitlines():
        kind = ("meta" if line.startswith(("---", "+++", "@@"))
                else "add" if line.startswith("+") else "del" if line.startswith("-") else "")
        rows.append((kind, escape(line)))
    return rows


def help_categories(*, user) -> list:
    """The categories that hold published articles user may read, by path."""
    from opsdesk.reference.models import Category

    ids = articles_published(user).exclude(category=None).values("category_id").distinct()
    return list(Category.objects.filter(pk__in=ids).order_by("path"))
