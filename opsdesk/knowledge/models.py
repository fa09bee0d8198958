"""The knowledge base: articles, their immutable versions, files, feedback, incident links and
deflections (SPEC §3 step 2)."""

import html

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import AppendOnlyQuerySet
from opsdesk.search.models import SearchDocument

from .choices import ArticleStatus, ArticleType, FeedbackKind, Language, RevisionStatus, Visibility

USER = settings.AUTH_USER_MODEL


def _person(label, related_name="+", null=False):
    return models.ForeignKey(USER, verbose_name=label, null=null, blank=null,
                             on_delete=models.PROTECT, related_name=related_name,
                             db_index=False)


class Article(models.Model):
    """A knowledge article. Its text columns hold what readers see: the published revision once
    there is one, the working draft before. A published article's next revision lives in
    `working_version` (with `revision_status`) until it is approved."""

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, editable=False)
    type = models.CharField(_("type"), max_length=16, choices=ArticleType.choices,
                            default=ArticleType.SOLUTION)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"), blank=True)
    body_html = models.TextField(_("body (HTML)"), blank=True, editable=False)
    workaround = models.TextField(_("workaround"), blank=True)
    problem_reference = models.CharField(
        _("problem reference"), max_length=40, blank=True,
        help_text=_("Linked to a problem; the problem record itself comes later."))
    language = models.CharField(_("language"), max_length=10, choices=Language.choices,
                                default=Language.ZH_HANS)
    category = models.ForeignKey("reference.Category", verbose_name=_("category"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+",
                                 db_index=False)  # covered by kb_category_status
    service = models.ForeignKey("cmdb.Service", verbose_name=_("service"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem", verbose_name=_("configuration items"), blank=True,
        related_name="articles")
    keywords = models.CharField(_("keywords"), max_length=500, blank=True)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.INTERNAL)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices,
                              default=ArticleStatus.DRAFT, editable=False)
    # A published article's next revision: empty, draft or in review.
    revision_status = models.CharField(_("revision status"), max_length=10, blank=True,
                                       choices=RevisionStatus.choices, editable=False)
    review_note = models.CharField(_("last review note"), max_length=2000, blank=True,
                                   editable=False)
    author = _person(_("author"), "authored_articles")
    owner = _person(_("owner"), "owned_articles")
    reviewer = _person(_("reviewer"), "reviewed_articles", null=True)
    working_version = models.ForeignKey(
        "ArticleVersion", verbose_name=_("working version"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False, db_index=False)
    published_version = models.ForeignKey(
        "ArticleVersion", verbose_name=_("published version"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False, db_index=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, editable=False)
    retired_at = models.DateTimeField(_("retired at"), null=True, editable=False)
    # Counters, changed only with F() updates.
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    solved_count = models.PositiveIntegerField(_("solved it (desk)"), default=0, editable=False)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)
    resolved_incident_count = models.PositiveIntegerField(_("incidents resolved"), default=0,
                                                          editable=False)
    deflection_count = models.PositiveIntegerField(_("deflections"), default=0, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        indexes = [
            # The portal and the staff list: published articles, newest change first.
            models.Index(fields=["status", "visibility", "-updated_at", "-id"],
                         name="kb_status_vis_updated"),
            models.Index(fields=["category", "status", "-updated_at"], name="kb_category_status"),
            # The reviewers' queue.
            models.Index(fields=["status", "updated_at"], name="kb_review_queue",
                         condition=Q(status="review")),
            models.Index(fields=["revision_status", "updated_at"], name="kb_revision_queue",
                         condition=Q(revision_status="review")),
            models.Index(fields=["author", "status"], name="kb_author_status"),
            models.Index(fields=["reviewer", "status"], name="kb_reviewer_status"),
            models.Index(fields=["owner", "status"], name="kb_owner_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="kb_published_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        """The staff's page; it sends people who are not staff to the portal's help page."""
        from django.urls import reverse

        return reverse("web:kb_article", args=[self.number])

    @property
    def is_known_error(self) -> bool:
        return self.type == ArticleType.KNOWN_ERROR

    @property
    def in_review(self) -> bool:
        """The article, or its next revision, waits for a reviewer."""
        return ArticleStatus.REVIEW in (self.status, self.revision_status)


class ArticleVersion(models.Model):
    """One saved revision of an article's text, never changed after it is written."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="versions", db_index=False)
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"), blank=True)
    body_html = models.TextField(_("body (HTML)"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=500, blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    editor = _person(_("editor"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [models.UniqueConstraint(fields=["article", "number"],
                                               name="kb_version_unique")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Article versions cannot be changed.")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


def attachment_path(instance: "ArticleAttachment", filename: str) -> str:
    # A random stem, so names never collide or leak.
    return f"knowledge/{timezone.now():%Y/%m}/{instance.storage_key}"


class ArticleAttachment(models.Model):
    """A file on an article, stored outside the web root and served after a visibility check.

    A new file follows the article's review like its text: readers see it from `published_at`,
    set by the article's next publication (services.article_approve); staff see it before."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="attachments", db_index=False)
    uploaded_by = _person(_("uploaded by"))
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    storage_key = models.CharField(max_length=64, editable=False)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True,
                                        editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["article", "created_at"], name="kb_attach_article")]
        verbose_name = _("article attachment")
        verbose_name_plural = _("article attachments")

    @property
    def awaiting_review(self) -> bool:
        """Not published yet: only staff see it, until the article's next publication."""
        return self.published_at is None


class ArticleFeedback(models.Model):
    """A vote on an article: "this solved it" from the desk, helpful or not from users."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="feedback", db_index=False)
    user = models.ForeignKey(USER, verbose_name=_("person"), on_delete=models.CASCADE,
                             related_name="+", db_index=False)
    kind = models.CharField(_("kind"), max_length=12, choices=FeedbackKind.choices)
    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+",
                                 db_index=False)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [models.UniqueConstraint(fields=["article", "user", "kind"],
                                               name="kb_feedback_once")]
        indexes = [models.Index(fields=["article", "-created_at"], name="kb_feedback_article")]


class IncidentArticle(models.Model):
    """An article linked to an incident; `resolved_by` when the article solved it."""

    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"),
                                 on_delete=models.CASCADE, related_name="article_links",
                                 db_index=False)  # covered by kb_link_unique
    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="incident_links", db_index=False)
    linked_by = _person(_("linked by"))
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    resolved_by = models.BooleanField(_("this solved it"), default=False)

    class Meta:
        ordering = ["linked_at", "id"]
        verbose_name = _("incident article link")
        verbose_name_plural = _("incident article links")
        constraints = [models.UniqueConstraint(fields=["incident", "article"],
                                               name="kb_link_unique")]
        indexes = [models.Index(fields=["article", "-linked_at"], name="kb_link_article")]


class Deflection(models.Model):
    """A user said an article solved their problem, so no incident was reported."""

    CHANNEL_PORTAL = "portal"
    CHANNEL_API = "api"
    CHANNELS = [(CHANNEL_PORTAL, _("portal")), (CHANNEL_API, _("API"))]

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="deflections", db_index=False)
    user = models.ForeignKey(USER, verbose_name=_("person"), on_delete=models.CASCADE,
                             related_name="+", db_index=False)
    query = models.CharField(_("what they searched for"), max_length=500, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=CHANNELS,
                               default=CHANNEL_PORTAL)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        indexes = [models.Index(fields=["article", "-created_at"], name="kb_deflection_article"),
                   models.Index(fields=["user", "-created_at"], name="kb_deflection_user")]


class ArticleDocument(SearchDocument):
    """A published article's search terms: title; text and workaround; keywords.

    Only published articles have one (knowledge.indexing), so drafts, reviews and retired
    articles never show up in searches or suggestions."""

    article = models.OneToOneField(Article, primary_key=True, on_delete=models.CASCADE,
                                   related_name="search_document", verbose_name=_("article"))

    class Meta:
        verbose_name = _("article search document")
        verbose_name_plural = _("article search documents")

    @classmethod
    def texts_for(cls, targets: list) -> dict[int, tuple[str, str, str]]:
        return {a.pk: (a.title, article_plain_text(a), a.keywords) for a in targets}


def article_plain_text(article: Article) -> str:
    """The published text as readers see it, without Markdown or HTML marks."""
    text = html.unescape(strip_tags(article.body_html or ""))
    return "\n".join(part for part in (text.strip(), article.workaround) if part)
