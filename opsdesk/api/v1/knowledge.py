"""REST API: the knowledge base (articles, their lifecycle, versions, feedback, links)."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from opsdesk.core.downloads import attachment_response
from opsdesk.core.exceptions import InvalidInput, NotPermitted
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.refs import resolve_refs
from opsdesk.knowledge import selectors, services

from .schemas import ERRORS, ref

router = Router()
_STRICT = ConfigDict(extra="forbid")


class ArticleFieldsIn(Schema):
    """Fields a person may set; number, status, counters and HTML are the system's."""

    model_config = _STRICT

    type: str | None = Field(None, description="solution, known_error, faq or howto")
    body: str | None = Field(None, max_length=100_000, description="Markdown")
    workaround: str | None = Field(None, max_length=20_000, description="Known errors")
    problem_reference: str | None = Field(None, max_length=40)
    language: str | None = Field(None, description="zh-hans or en")
    category: str | None = Field(None, description="Category path, e.g. NET.VPN")
    service: str | None = Field(None, description="Service code")
    configuration_items: list[str] | None = Field(None, description="CI names")
    keywords: str | None = Field(None, max_length=500)
    visibility: str | None = Field(None, description="public (portal) or internal (staff)")
    reviewer: str | None = Field(None, description="Username of the named reviewer")
    owner: str | None = Field(None, description="Username of the owner")
    note: str | None = Field(None, max_length=300, description="What this version changes")


class ArticleCreateIn(ArticleFieldsIn):
    title: str = Field(min_length=1, max_length=200)


class ArticleUpdateIn(ArticleFieldsIn):
    title: str | None = Field(None, min_length=1, max_length=200)


class ReasonIn(Schema):
    model_config = _STRICT
    reason: str = Field("", max_length=2000)


class FeedbackIn(Schema):
    model_config = _STRICT
    kind: str = Field(description="solved_it (support staff), helpful or not_helpful")
    incident: str | None = Field(None, description="Incident number (with solved_it)")
    comment: str = Field("", max_length=1000)


class LinkIn(Schema):
    model_config = _STRICT
    incident: str = Field(description="Incident number")
    resolved_by: bool = Field(False, description="The article solved the incident")


class DeflectionIn(Schema):
    model_config = _STRICT
    query: str = Field("", max_length=500, description="What the person searched for")


class RefOut(Schema):
    code: str
    name: str


class ArticleAttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str
    published_at: datetime | None = Field(
        description="Empty while the file awaits review (only support staff see it then)")
    awaiting_review: bool = Field(description="Published with the article's next approval")


class ArticleOut(Schema):
    number: str
    type: str
    title: str
    status: str
    revision_status: str
    visibility: str
    language: str
    category: RefOut | None
    service: RefOut | None
    keywords: str
    author: str
    owner: str
    reviewer: str | None
    updated_at: datetime
    published_at: datetime | None
    counts: dict[str, int]
    body: str | None = None
    body_html: str | None = None
    workaround: str | None = None
    problem_reference: str | None = None
    configuration_items: list[str] | None = None
    published_version: int | None = None
    working_version: int | None = None
    review_note: str | None = None
    attachments: list[ArticleAttachmentOut] | None = None


class ArticlePage(Schema):
    items: list[ArticleOut]
    total: int | None = Field(description="Empty when words rank the results")
    next_offset: int | None


class VersionOut(Schema):
    number: int
    title: str
    editor: str
    note: str
    created_at: datetime
    published: bool


class DiffOut(Schema):
    old: int
    new: int
    title_changed: bool
    old_title: str
    new_title: str
    unified: str
    pending_attachments: list[ArticleAttachmentOut] = Field(
        description="The files waiting for review, which the next approval publishes")


class LinkOut(Schema):
    incident: str
    article: str
    resolved_by: bool
    linked_by: str
    linked_at: datetime


class ArticleListQuery(Schema):
    q: str | None = Field(None, max_length=200, description="Number or words")
    status: str | None = Field(None, description="draft, review, published or retired")
    type: str | None = None
    category: str | None = Field(None, description="Category path; includes sub-categories")
    service: str | None = Field(None, description="Service code")
    visibility: str | None = None
    language: str | None = None
    offset: int = Field(0, ge=0, le=100_000)
    limit: int = Field(50, ge=1, le=200)


COUNTERS = ("view_count", "solved_count", "helpful_count", "not_helpful_count",
            "resolved_incident_count", "deflection_count")


def _article_dict(article, *, full: bool = False, user=None, staff: bool = False) -> dict:
    data = {
        "number": article.number, "type": article.type, "title": article.title,
        "status": article.status, "revision_status": article.revision_status,
        "visibility": article.visibility, "language": article.language,
        "category": ref(article.category) if article.category_id else None,
        "service": ref(article.service) if article.service_id else None,
        "keywords": article.keywords, "author": article.author.username,
        "owner": article.owner.username,
        "reviewer": article.reviewer.username if article.reviewer_id else None,
        "updated_at": article.updated_at, "published_at": article.published_at,
        "counts": {c.removesuffix("_count"): getattr(article, c) for c in COUNTERS},
    }
    if full:
        data.update(_detail(article, user=user, staff=staff))
    return data


def _detail(article, *, user, staff: bool) -> dict:
    """The article's text; its working version, review note and files awaiting review only for
    support staff.

    A reader of a published article must not learn of an unpublished revision, its files or
    what its reviewer wrote about it (the portal's help page shows none of them).
    """
    return {
        "body": article.body, "body_html": article.body_html, "workaround": article.workaround,
        "problem_reference": article.problem_reference,
        "configuration_items": [ci.name for ci in article.configuration_items.all()],
        "published_version": _version_number(article.published_version_id, article),
        "working_version": (_version_number(article.working_version_id, article)
                            if staff else None),
        "review_note": article.review_note if staff else "",
        "attachments": [_attachment_dict(a, article) for a in
                        selectors.article_attachments(article=article, user=user)],
    }


def _version_number(version_id, article):
    if version_id is None:
        return None
    return article.versions.filter(pk=version_id).values_list("number", flat=True).first()


def _attachment_dict(attachment, article) -> dict:
    return {"id": attachment.pk, "filename": attachment.filename,
            "content_type": attachment.content_type, "size": attachment.size,
            "url": f"/api/v1/knowledge/articles/{article.number}/attachments/{attachment.pk}",
            "published_at": attachment.published_at,
            "awaiting_review": attachment.awaiting_review}


def _fields(payload) -> tuple[dict, str]:
    """The payload's fields with natural keys turned into records, and the version note."""
    data = payload.dict(exclude_unset=True)
    note = data.pop("note", None) or ""
    people = {f: data.pop(f) for f in ("reviewer", "owner") if f in data}
    errors = {}
    try:
        data = resolve_refs(data)
    except InvalidInput as error:
        errors.update(error.errors)
    for field, username in people.items():
        try:
            data[field] = resolve_refs({"assignee": username or None})["assignee"]
        except InvalidInput as error:
            errors[field] = error.errors["assignee"]
    if errors:
        raise InvalidInput(errors=errors)
    return data, note


def _get(request, number):
    return selectors.article_get(user=request.auth, number=number)


def _detail_response(request, number):
    return _article_dict(_get(request, number), full=True, user=request.auth,
                         staff=selectors.is_kb_staff(request.auth))


def _staff_article(request, number):
    """The article, for support staff only: its versions hold unpublished drafts and revisions
    (the web's version pages are staff-only too: web/views/knowledge.py, staff_required)."""
    article = _get(request, number)
    if not selectors.is_kb_staff(request.auth):
        raise NotPermitted(_("Only support staff see an article's versions."))
    return article


@router.get("/articles", response={200: ArticlePage, **ERRORS}, summary="List articles")
def list_articles(request, query: Query[ArticleListQuery]):
    """Articles the caller may read (limit/offset paging): most recently changed first, or,
    with words in `q`, the published articles that match them best first (the search engine:
    Chinese and English)."""
    filters = selectors.ArticleFilters(
        q=query.q or "", status=query.status or "", type=query.type or "",
        visibility=query.visibility or "", language=query.language or "",
        category_path=query.category or "",
        service_id=_service_id(query.service) if query.service else None)
    rows, total = selectors.article_list(user=request.auth, filters=filters,
                                         offset=query.offset, limit=query.limit)
    more = (query.offset + len(rows) < total) if total is not None else len(rows) == query.limit
    return {"items": [_article_dict(a) for a in rows], "total": total,
            "next_offset": query.offset + len(rows) if more else None}


def _service_id(code: str) -> int:
    return resolve_refs({"service": code})["service"].pk


@router.post("/articles", response={201: ArticleOut, **ERRORS}, summary="Write an article")
def create_article(request, payload: ArticleCreateIn):
    """A new draft (the desk, engineers, incident managers and process owners)."""
    data, note = _fields(payload)
    article = services.article_create(by=request.auth, data=data, note=note)
    return Status(201, _detail_response(request, article.number))


@router.get("/review-queue", response={200: list[ArticleOut], **ERRORS},
            summary="Articles waiting for my approval")
def review_queue(request):
    return [_article_dict(a) for a in selectors.review_queue(user=request.auth)]


@router.get("/articles/{number}", response={200: ArticleOut, **ERRORS}, summary="Get an article")
def get_article(request, number: str):
    return _detail_response(request, number)


@router.patch("/articles/{number}", response={200: ArticleOut, **ERRORS},
              summary="Save a new version")
def update_article(request, number: str, payload: ArticleUpdateIn):
    """Changes the text in a new version (a published article keeps its text until the new
    version is approved)."""
    data, note = _fields(payload)
    if not data:
        raise InvalidInput(errors={"body": _("Send at least one field to change.")})
    services.article_update(article=_get(request, number), by=request.auth, data=data, note=note)
    return _detail_response(request, number)


@router.post("/articles/{number}/submit", response={200: ArticleOut, **ERRORS},
             summary="Send to review")
def submit_article(request, number: str):
    services.article_submit(article=_get(request, number), by=request.auth)
    return _detail_response(request, number)


@router.post("/articles/{number}/approve", response={200: ArticleOut, **ERRORS},
             summary="Approve and publish")
def approve_article(request, number: str, payload: ReasonIn | None = None):
    """The process owner or the named reviewer publishes the version in review."""
    services.article_approve(article=_get(request, number), by=request.auth,
                             note=(payload or ReasonIn()).reason)
    return _detail_response(request, number)


@router.post("/articles/{number}/reject", response={200: ArticleOut, **ERRORS},
             summary="Send back to draft")
def reject_article(request, number: str, payload: ReasonIn):
    services.article_reject(article=_get(request, number), by=request.auth,
                            reason=payload.reason)
    return _detail_response(request, number)


@router.post("/articles/{number}/retire", response={200: ArticleOut, **ERRORS},
             summary="Retire")
def retire_article(request, number: str, payload: ReasonIn | None = None):
    services.article_retire(article=_get(request, number), by=request.auth,
                            reason=(payload or ReasonIn()).reason)
    return _detail_response(request, number)


@router.get("/articles/{number}/versions", response={200: list[VersionOut], **ERRORS},
            summary="Versions, newest first")
def list_versions(request, number: str):
    article = _staff_article(request, number)
    return [{"number": v.number, "title": v.title, "editor": v.editor.username, "note": v.note,
             "created_at": v.created_at, "published": v.pk == article.published_version_id}
            for v in selectors.article_versions(article=article)]


@router.get("/articles/{number}/diff", response={200: DiffOut, **ERRORS},
            summary="Compare two versions")
def diff_versions(request, number: str, old: int, new: int):
    """A unified diff of the bodies of versions `old` and `new`, and the files waiting for
    review (the next approval publishes them with the working version)."""
    article = _staff_article(request, number)
    diff = selectors.version_diff(article=article, old=old, new=new)
    return {"old": old, "new": new, "title_changed": diff.title_changed,
            "old_title": diff.old.title, "new_title": diff.new.title, "unified": diff.unified,
            "pending_attachments": [_attachment_dict(a, article) for a in
                                    selectors.article_attachments_pending(article=article)]}


@router.post("/articles/{number}/feedback", response={201: None, **ERRORS},
             summary="This solved it / helpful / not helpful")
def add_feedback(request, number: str, payload: FeedbackIn):
    """One vote per person, article and kind; helpful and not helpful replace each other."""
    article = _get(request, number)
    incident = (incident_selectors.incident_get(user=request.auth, number=payload.incident)
                if payload.incident else None)
    services.feedback_record(article=article, by=request.auth, kind=payload.kind,
                             incident=incident, comment=payload.comment)
    return Status(201, None)


@router.post("/articles/{number}/incidents", response={201: LinkOut, **ERRORS},
             summary="Link to an incident")
def link_incident(request, number: str, payload: LinkIn):
    article = _get(request, number)
    incident = incident_selectors.incident_get(user=request.auth, number=payload.incident)
    link = services.incident_article_link(incident=incident, article=article, by=request.auth,
                                          resolved_by=payload.resolved_by, channel=Channel.API)
    return Status(201, {"incident": incident.number, "article": article.number,
                        "resolved_by": link.resolved_by, "linked_by": link.linked_by.username,
                        "linked_at": link.linked_at})


@router.post("/articles/{number}/deflections", response={201: None, **ERRORS},
             summary="It solved my problem (no incident)")
def add_deflection(request, number: str, payload: DeflectionIn):
    services.deflection_record(user=request.auth, article=_get(request, number),
                               query=payload.query, channel="api")
    return Status(201, None)


@router.post("/from-incident/{incident_number}", response={201: ArticleOut, **ERRORS},
             summary="Draft an article from an incident's resolution")
def from_incident(request, incident_number: str):
    incident = incident_selectors.incident_get(user=request.auth, number=incident_number)
    article = services.article_from_incident(incident=incident, by=request.auth,
                                             channel=Channel.API)
    return Status(201, _detail_response(request, article.number))


@router.post("/articles/{number}/attachments", response={201: ArticleAttachmentOut, **ERRORS},
             summary="Attach a file")
def article_attachment_add(request, number: str, file: File[UploadedFile]):
    """The file awaits review: readers see it once the article is next approved (a published
    article gets a new draft revision to send to review)."""
    article = _get(request, number)
    attachment = services.article_attachment_add(article=article, by=request.auth, upload=file)
    return Status(201, _attachment_dict(attachment, article))


@router.get("/articles/{number}/attachments/{attachment_id}", response={200: None, **ERRORS},
            summary="Download a file")
def article_attachment_download(request, number: str, attachment_id: int):
    """The file itself, after the same visibility check as the article; a file awaiting review
    is support staff's only (404 for readers)."""
    article = _get(request, number)
    return attachment_response(selectors.article_attachment_get(
        article=article, attachment_id=attachment_id, user=request.auth))

