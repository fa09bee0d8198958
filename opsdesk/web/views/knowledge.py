"""Knowledge pages: the staff's list, article, editor, review queue and diff (/kb/), the
portal's help pages (/help/), and the incident page's knowledge panel actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.core.downloads import attachment_response
from opsdesk.core.exceptions import Conflict, DomainError, InvalidInput, NotFound, NotPermitted
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.knowledge import selectors, services
from opsdesk.knowledge.choices import ArticleStatus, ArticleType, FeedbackKind, Visibility
from opsdesk.knowledge.selectors import ArticleFilters, is_kb_author, is_kb_staff

from ..knowledge_forms import ArticleForm, FeedbackForm, LinkForm, ReasonForm, UploadForm
from .incidents import _add_errors

PAGE_SIZE = 25


def staff_required(view):
    """Sign-in required; people who are not support staff read the portal's help pages."""
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_kb_staff(request.user):
            number = kwargs.get("number")
            return redirect("web:help_article", number=number) if number else redirect(
                "web:help")
        return view(request, *args, **kwargs)
    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


def _article_or_404(request, number):
    try:
        return selectors.article_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None


def _render(request, template, context, status=200):
    return TemplateResponse(request, f"web/knowledge/{template}", {"nav": "kb", **context},
                            status=status)


# ---- staff: list, article, editor --------------------------------------------------------

@staff_required
def kb_list(request):
    """Every article the person may read, with filters and the search box."""
    filters = ArticleFilters(q=request.GET.get("q", "").strip()[:200],
                             status=request.GET.get("status", ""),
                             type=request.GET.get("type", ""),
                             visibility=request.GET.get("visibility", ""))
    offset = _offset(request)
    rows, total = selectors.article_list(user=request.user, filters=filters, offset=offset,
                                         limit=PAGE_SIZE)
    return _render(request, "list.html", {
        "rows": rows, "total": total, "filters": filters, "statuses": ArticleStatus.choices,
        "types": ArticleType.choices, "visibilities": Visibility.choices,
        "next_offset": offset + PAGE_SIZE if (len(rows) == PAGE_SIZE if total is None
                                              else offset + PAGE_SIZE < total) else None,
        "may_write": is_kb_author(request.user),
        "review_count": len(selectors.review_queue(user=request.user))})


def _offset(request) -> int:
    try:
        return max(0, min(int(request.GET.get("offset", 0)), 100_000))
    except ValueError:
        return 0


@staff_required
def kb_article(request, number):
    """The article as staff read it, with its facts, files, counts and the review buttons."""
    article = _article_or_404(request, number)
    services.article_view_count(article=article, user=request.user)
    return _article_page(request, article)


def _article_page(request, article, *, reason_form=None, upload_form=None, status=200):
    user = request.user
    return _render(request, "article.html", {
        "article": article,
        "attachments": selectors.article_attachments(article=article, user=user),
        "configuration_items": list(article.configuration_items.all()),
        "may_edit": services.may_edit(article=article, user=user),
        "may_review": services.may_review(article=article, user=user),
        "may_retire": services.may_retire(article=article, user=user),
        "may_submit": services.may_edit(article=article, user=user) and (
            article.status == ArticleStatus.DRAFT or article.revision_status == "draft"),
        "reason_form": reason_form or ReasonForm(), "upload_form": upload_form or UploadForm(),
        "voted": _votes(article, user), "feedback_kinds": FeedbackKind.choices},
        status=status)


def _votes(article, user) -> set[str]:
    return set(article.feedback.filter(user=user).values_list("kind", flat=True))


@staff_required
def kb_new(request):
    """Write a new draft."""
    if not is_kb_author(request.user):
        raise PermissionDenied
    form = ArticleForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            data, note = form.data_for_service()
            article = services.article_create(by=request.user, data=data, note=note)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("%(number)s is saved as a draft.") % {
                "number": article.number})
            return redirect("web:kb_article", number=article.number)
    return _render(request, "edit.html", {"form": form, "article": None},
                   status=422 if form.is_bound else 200)


@staff_required
def kb_edit(request, number):
    """Save a new version of the article."""
    article = _article_or_404(request, number)
    if not services.may_edit(article=article, user=request.user):
        raise PermissionDenied
    form = ArticleForm(request.POST) if request.method == "POST" else ArticleForm.for_article(
        article)
    if request.method == "POST" and form.is_valid():
        try:
            data, note = form.data_for_service()
            services.article_update(article=article, by=request.user, data=data, note=note)
        except InvalidInput as error:
            _add_errors(form, error)
        except Conflict as error:
            messages.error(request, error.message)
            return redirect("web:kb_article", number=article.number)
        else:
            messages.success(request, _("A new version is saved."))
            return redirect("web:kb_article", number=article.number)
    return _render(request, "edit.html", {"form": form, "article": article},
                   status=422 if form.is_bound else 200)


@staff_required
@require_POST
def kb_preview(request):
    """The editor's live preview (htmx): the Markdown as readers will see it, sanitised."""
    html = services.markdown_render(request.POST.get("body", "")[:100_000])
    return TemplateResponse(request, "web/knowledge/_preview.html", {"html": html})


ACTIONS = {
    "submit": lambda article, user, reason: services.article_submit(article=article, by=user),
    "approve": lambda article, user, reason: services.article_approve(article=article, by=user,
                                                                      note=reason),
    "reject": lambda article, user, reason: services.article_reject(article=article, by=user,
                                                                    reason=reason),
    "retire": lambda article, user, reason: services.article_retire(article=article, by=user,
                                                                    reason=reason),
}
DONE = {"submit": _("Sent to review."), "approve": _("Published."),
        "reject": _("Sent back to its author."), "retire": _("Retired.")}


@staff_required
@require_POST
def kb_action(request, number, action):
    """Submit, approve, reject or retire; a missing reason shows next to its field (422)."""
    if action not in ACTIONS:
        raise Http404
    article = _article_or_404(request, number)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        ACTIONS[action](article, request.user, form.cleaned_data.get("reason", ""))
    except InvalidInput as error:
        _add_errors(form, error)
        return _article_page(request, article, reason_form=form, status=422)
    except NotPermitted:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, str(DONE[action]))
    return redirect("web:kb_article", number=article.number)


@staff_required
def kb_review(request):
    """Articles and new revisions waiting for this person's approval."""
    return _render(request, "review.html", {"rows": selectors.review_queue(user=request.user)})


@staff_required
def kb_versions(request, number):
    """Every version, the difference between two of them (?old=1&new=2) and the files the
    next approval publishes."""
    article = _article_or_404(request, number)
    versions = selectors.article_versions(article=article)
    diff, error = None, ""
    if "old" in request.GET and "new" in request.GET:
        try:
            diff = selectors.version_diff(article=article, old=int(request.GET["old"]),
                                          new=int(request.GET["new"]))
        except (ValueError, DomainError) as problem:
            error = getattr(problem, "errors", {}).get("new") or _("Choose two versions.")
    return _render(request, "versions.html", {
        "article": article, "versions": versions, "diff": diff, "error": error,
        "lines": selectors.unified_lines(diff) if diff else [],
        "pending": selectors.article_attachments_pending(article=article)},
        status=422 if error else 200)


@staff_required
@require_POST
def kb_upload(request, number):
    article = _article_or_404(request, number)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.article_attachment_add(article=article, by=request.user,
                                            upload=form.cleaned_data["file"])
        except InvalidInput as error:
            _add_errors(form, error)
        except (NotPermitted, Conflict):
            raise PermissionDenied from None
        else:
            messages.success(request, _("The file is attached; readers see it once the "
                                        "article is next approved."))
            return redirect("web:kb_article", number=article.number)
    return _article_page(request, article, upload_form=form, status=422)


@login_required
def kb_file(request, number, attachment_id):
    """A file of an article, after the article's visibility check (portal or staff); a file
    awaiting review is the staff's only."""
    article = _article_or_404(request, number)
    try:
        return attachment_response(selectors.article_attachment_get(
            article=article, attachment_id=attachment_id, user=request.user))
    except NotFound:
        raise Http404 from None


@login_required
@require_POST
def kb_feedback(request, number):
    """This solved it / helpful / not helpful, from the staff or the portal page."""
    article = _article_or_404(request, number)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        raise Http404
    incident = None
    try:
        if form.cleaned_data["incident"]:
            incident = incident_selectors.incident_get(user=request.user,
                                                       number=form.cleaned_data["incident"])
        services.feedback_record(article=article, by=request.user,
                                 kind=form.cleaned_data["kind"], incident=incident,
                                 comment=form.cleaned_data["comment"])
    except NotFound:
        raise Http404 from None
    except NotPermitted:
        raise PermissionDenied from None
    except (Conflict, InvalidInput) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you for your feedback."))
    target = "web:kb_article" if is_kb_staff(request.user) else "web:help_article"
    return redirect(target, number=article.number)


# ---- the incident page's panel -----------------------------------------------------------

def _incident_or_404(request, incident_number):
    try:
        return incident_selectors.incident_get(user=request.user, number=incident_number)
    except NotFound:
        raise Http404 from None


@staff_required
@require_POST
def incident_link(request, incident_number):
    """Link an article (by number) to the incident, optionally as the one that solved it."""
    incident = _incident_or_404(request, incident_number)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            article = selectors.article_get(user=request.user,
                                            number=form.cleaned_data["article"])
            services.incident_article_link(incident=incident, article=article, by=request.user,
                                           resolved_by=form.cleaned_data["resolved_by"])
        except NotPermitted:
            raise PermissionDenied from None
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(number)s is linked.") % {"number": article.number})
    else:
        messages.error(request, _("Type the number of an article, e.g. KB000123."))
    return redirect(reverse("web:incident", args=[incident.number]) + "#kb-h")


@staff_required
@require_POST
def incident_article_draft(request, incident_number):
    """A draft article from the incident's resolution, in one step."""
    incident = _incident_or_404(request, incident_number)
    try:
        article = services.article_from_incident(incident=incident, by=request.user)
    except NotPermitted:
        raise PermissionDenied from None
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:incident", number=incident.number)
    messages.success(request, _("%(number)s is drafted from this incident: check and send it "
                                "to review.") % {"number": article.number})
    return redirect("web:kb_edit", number=article.number)


# ---- portal: /help/ -----------------------------------------------------------------------

@login_required
def help_list(request):
    """Public articles, searchable, by category."""
    q = request.GET.get("q", "").strip()[:200]
    filters = ArticleFilters(q=q, status=ArticleStatus.PUBLISHED,
                             visibility=Visibility.PUBLIC,
                             category_path=request.GET.get("category", "")[:255])
    rows, total = selectors.article_list(user=request.user, filters=filters, offset=0,
                                         limit=50)
    return _render(request, "help_list.html", {
        "rows": rows, "total": total, "q": q, "category": filters.category_path,
        "categories": selectors.help_categories(user=request.user), "nav": "help"})


@login_required
def help_article(request, number):
    """A public article with "Was this helpful?" and "This solved my problem"."""
    article = _article_or_404(request, number)
    if article.status != ArticleStatus.PUBLISHED or article.visibility != Visibility.PUBLIC:
        if is_kb_staff(request.user):
            return redirect("web:kb_article", number=article.number)
        raise Http404
    services.article_view_count(article=article, user=request.user)
    return _render(request, "help_article.html", {
        "article": article,
        "attachments": selectors.article_attachments(article=article, user=request.user),
        "q": request.GET.get("q", "")[:200], "voted": _votes(article, request.user),
        "helpful_kinds": [(k, v) for k, v in FeedbackKind.choices if k != FeedbackKind.SOLVED_IT],
        "nav": "help"})


@login_required
@require_POST
def help_solved(request, number):
    """Deflection: the article solved the problem; recorded, and no incident is made."""
    article = _article_or_404(request, number)
    try:
        services.deflection_record(user=request.user, article=article,
                                   query=request.POST.get("q", ""))
    except NotFound:
        raise Http404 from None
    return _render(request, "help_thanks.html", {"article": article, "nav": "help"})
