"""An article's lifecycle: draft → review → published → retired, with a version per save.

A published article stays visible while its next revision is drafted and reviewed: the revision
lives in `working_version` (with `revision_status`) and replaces the published text on approval.
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.services import text_clean

from .. import indexing
from ..choices import ArticleStatus, ArticleType, Language, RevisionStatus, Visibility
from ..models import Article, ArticleAttachment, ArticleVersion
from ..selectors import is_kb_approver, is_kb_author, is_kb_staff
from .rendering import markdown_render

TEXT_FIELDS = ("title", "body", "keywords", "workaround")
META_FIELDS = ("type", "problem_reference", "language", "category", "service", "visibility",
               "reviewer", "owner")
MAX_BODY = 100_000
KNOWN_ERROR_NEEDS_WORKAROUND = _lazy("A known error needs its workaround.")


def article_create(*, by, data: dict, note: str = "") -> Article:
    """A new draft with its first version; `data` holds the fields of the editor."""
    if not is_kb_author(by):
        raise NotPermitted(_("Only the service desk, engineers and managers write articles."))
    data = _clean(data, creating=True)
    with transaction.atomic():
        article = Article(author=by, owner=data.get("owner") or by)
        _apply_meta(article, data)
        _apply_text(article, data)
        article.save()
        article.number = f"KB{article.pk:06d}"
        if "configuration_items" in data:
            article.configuration_items.set(data["configuration_items"])
        article.working_version = _version_add(article=article, by=by, data=data, note=note)
        article.save(update_fields=["number", "working_version"])
        indexing.article_changed(article)
    return article


def article_update(*, article: Article, by, data: dict, note: str = "") -> Article:
    """Save a new version. A draft changes in place; a published article gets a new draft
    revision while the published text stays visible; an article in review goes back to draft
    unless its approver edits it."""
    _check_may_edit(article=article, by=by)
    data = _clean(data, creating=False)
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        _check_may_edit(article=article, by=by)
        current = article.working_version or article
        merged = {**{f: getattr(current, f) for f in TEXT_FIELDS}, **data}
        _check_known_error(data.get("type", article.type), merged["workaround"])
        _apply_meta(article, data)
        if "configuration_items" in data:
            article.configuration_items.set(data["configuration_items"])
        text_changed = any(merged[f] != getattr(current, f) for f in TEXT_FIELDS)
        if text_changed:
            article.working_version = _version_add(article=article, by=by, data=merged,
                                                   note=note)
        if article.status != ArticleStatus.PUBLISHED:
            _apply_text(article, merged)
        if text_changed:
            _change_needs_review(article, by)
        article.save()
        indexing.article_changed(article)
    return article


def _change_needs_review(article, by) -> None:
    """A change of what readers will see (new text or a new file) waits for the next
    publication: a published article gets a new draft revision, and a change by someone who
    may not approve it sends what is in review back to draft.

    No change goes live at once, not even the process owner's: their draft waits for their
    own approval."""
    if not _may_approve(article, by):
        _back_to_draft(article)
    elif article.status == ArticleStatus.PUBLISHED:
        article.revision_status = article.revision_status or RevisionStatus.DRAFT


def _back_to_draft(article) -> None:
    """Changed text needs a new review: the draft (or the new revision) is a draft again."""
    if article.status == ArticleStatus.PUBLISHED:
        article.revision_status = RevisionStatus.DRAFT
    elif article.status == ArticleStatus.REVIEW:
        article.status = ArticleStatus.DRAFT


def article_submit(*, article: Article, by) -> Article:
    """Send the draft (or a published article's new draft) to review."""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        _check_may_edit(article=article, by=by)
        if article.status == ArticleStatus.DRAFT:
            article.status = ArticleStatus.REVIEW
        elif article.revision_status == RevisionStatus.DRAFT:
            article.revision_status = RevisionStatus.REVIEW
        else:
            raise Conflict(_("Only a draft can be sent to review."))
        article.review_note = ""
        article.save(update_fields=["status", "revision_status", "review_note", "updated_at"])
    return article


def article_approve(*, article: Article, by, note: str = "") -> Article:
    """Publish the version in review and the files waiting for review (the process owner or
    the named reviewer)."""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        _check_may_review(article=article, by=by)
        version = article.working_version
        _apply_text(article, {f: getattr(version, f) for f in TEXT_FIELDS})
        article.status, article.revision_status = ArticleStatus.PUBLISHED, ""
        article.published_version = version
        article.published_at = timezone.now()
        article.review_note = text_clean(note)[:2000]
        article.save()
        ArticleAttachment.objects.filter(article=article, published_at=None).update(
            published_at=article.published_at)
        indexing.article_changed(article)
    return article


def article_reject(*, article: Article, by, reason: str) -> Article:
    """Send the version in review back to draft, with the reason for its author."""
    reason = text_clean(reason)
    if not reason:
        raise InvalidInput(errors={"reason": _("Say what must change before it can be published.")})
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        _check_may_review(article=article, by=by)
        if article.status == ArticleStatus.REVIEW:
            article.status = ArticleStatus.DRAFT
        else:
            article.revision_status = RevisionStatus.DRAFT
        article.review_note = reason[:2000]
        article.save(update_fields=["status", "revision_status", "review_note", "updated_at"])
    return article


def article_retire(*, article: Article, by, reason: str = "") -> Article:
    """Take an article out of use (its owner or the process owner); it stays readable to staff."""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if not (is_kb_approver(by) or (article.owner_id == by.pk and is_kb_staff(by))):
            raise NotPermitted(_("Only the article's owner or the process owner may retire it."))
        if article.status == ArticleStatus.RETIRED:
            raise Conflict(_("This article is already retired."))
        article.status, article.revision_status = ArticleStatus.RETIRED, ""
        article.retired_at = timezone.now()
        article.review_note = text_clean(reason)[:2000]
        article.save()
        indexing.article_changed(article)
    return article


def may_edit(*, article: Article, user) -> bool:
    """Whether user may save a new version of article."""
    return is_kb_author(user) and article.status != ArticleStatus.RETIRED


def may_review(*, article: Article, user) -> bool:
    """Whether user may approve or reject what article has in review now."""
    return article.in_review and _may_approve(article, user)


def may_retire(*, article: Article, user) -> bool:
    return article.status != ArticleStatus.RETIRED and (
        is_kb_approver(user) or (article.owner_id == user.pk and is_kb_staff(user)))


def _may_approve(article: Article, user) -> bool:
    """The process owner, or the named reviewer when it is not their own revision (its text,
    or a file they added that waits for review)."""
    if is_kb_approver(user):
        return True
    editor_id = article.working_version.editor_id if article.working_version_id else None
    return (article.reviewer_id == user.pk and editor_id != user.pk and is_kb_staff(user)
            and not ArticleAttachment.objects.filter(article=article, published_at=None,
                                                     uploaded_by=user).exists())


def _check_may_edit(*, article, by) -> None:
    if not is_kb_author(by):
        raise NotPermitted(_("Only the service desk, engineers and managers write articles."))
    if article.status == ArticleStatus.RETIRED:
        raise Conflict(_("A retired article cannot be changed."))


def _check_may_review(*, article, by) -> None:
    if not article.in_review:
        raise Conflict(_("This article has nothing in review."))
    if not _may_approve(article, by):
        raise NotPermitted(_("Only the process owner or the article's named reviewer may "
                             "approve it, and not for their own revision."))


def _version_add(*, article, by, data, note) -> ArticleVersion:
    last = article.versions.aggregate(last=Max("number"))["last"] or 0
    return ArticleVersion.objects.create(
        article=article, number=last + 1, title=data["title"], body=data.get("body", ""),
        body_html=markdown_render(data.get("body", "")), keywords=data.get("keywords", ""),
        workaround=data.get("workaround", ""), editor=by, note=text_clean(note)[:300])


def _apply_text(article, data) -> None:
    for field in TEXT_FIELDS:
        if field in data:
            setattr(article, field, data[field])
    article.body_html = markdown_render(article.body)


def _apply_meta(article, data) -> None:
    for field in META_FIELDS:
        if field in data:
            setattr(article, field, data[field])


def _clean(data: dict, *, creating: bool) -> dict:
    """Trimmed values, each checked; InvalidInput lists every wrong field at once."""
    data = {k: (text_clean(v) if isinstance(v, str) else v) for k, v in data.items()}
    errors = {}
    if creating or "title" in data:
        if not data.get("title"):
            errors["title"] = _("Give the article a title.")
        elif len(data["title"]) > 200:
            errors["title"] = _("Use at most 200 characters.")
    if len(data.get("body") or "") > MAX_BODY:
        errors["body"] = _("The text is longer than %(n)d characters.") % {"n": MAX_BODY}
    if len(data.get("keywords") or "") > 500:
        errors["keywords"] = _("Use at most 500 characters.")
    if len(data.get("problem_reference") or "") > 40:
        errors["problem_reference"] = _("Use at most 40 characters.")
    _check_choice(data, errors, "type", ArticleType, creating)
    _check_choice(data, errors, "visibility", Visibility, creating)
    _check_choice(data, errors, "language", Language, creating)
    if creating and data.get("type") == ArticleType.KNOWN_ERROR and not data.get("workaround"):
        errors["workaround"] = KNOWN_ERROR_NEEDS_WORKAROUND
    for field in ("reviewer", "owner"):
        person = data.get(field)
        if person is not None and not (person.is_active and is_kb_staff(person)):
            errors[field] = _("%(name)s is not support staff.") % {"name": person.label}
    if errors:
        raise InvalidInput(errors=errors)
    return {k: v for k, v in data.items() if v is not None or k in ("category", "service",
                                                                   "reviewer")}


def _check_known_error(article_type, workaround) -> None:
    if article_type == ArticleType.KNOWN_ERROR and not workaround:
        raise InvalidInput(errors={"workaround": KNOWN_ERROR_NEEDS_WORKAROUND})


def _check_choice(data, errors, field, choices, creating) -> None:
    if field not in data:
        if creating:
            data[field] = Article._meta.get_field(field).default
        return
    if data[field] not in choices.values:
        errors[field] = _("Choose one of: %(values)s.") % {"values": ", ".join(choices.values)}
