"""The search index: one document row per searchable record, holding its text as terms.

`SearchDocument` is abstract: each app that makes something searchable subclasses it with a
one-to-one primary key to its record (related_name "search_document") and runs
`opsdesk.search.operations.CreateSearchIndex` in the migration after the table's creation.
See opsdesk/search/README.md.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
    """The terms of one record (opsdesk.search.text), by weight: title A, body B, extra C.

    Each column holds space-separated terms with a space at each end. The database's own full-
    text index is built over them by CreateSearchIndex (PostgreSQL: a generated tsvector and
    GIN; SQLite: an FTS5 table kept by triggers; MariaDB: none, LIKE on the terms).
    """

    title = models.TextField(_("title terms"), blank=True, default="")
    body = models.TextField(_("body terms"), blank=True, default="")
    extra = models.TextField(_("extra terms"), blank=True, default="")

    # Subclasses may set: how many of the newest matches are ranked (None: every match). Big
    # tables rank the newest N matches only, so a common word costs the same as a rare one.
    search_candidates: int | None = None

    class Meta:
        abstract = True

    @classmethod
    def texts_for(cls, targets: list) -> dict[int, tuple[str, str, str]]:
        """{target pk: (title, body, extra)} as people wrote them, for indexing and snippets.

        Subclasses implement it with a fixed number of queries for any number of targets.
        """
        raise NotImplementedError


class IncidentDocument(SearchDocument):
    """An incident's search terms: short description; description, resolution, public replies.

    Internal work notes are never indexed: a requester's results must not reveal them.
    """

    incident = models.OneToOneField("incidents.Incident", primary_key=True,
                                    on_delete=models.CASCADE, related_name="search_document",
                                    verbose_name=_("incident"))

    search_candidates = 1000

    class Meta:
        verbose_name = _("incident search document")
        verbose_name_plural = _("incident search documents")

    @classmethod
    def texts_for(cls, targets: list) -> dict[int, tuple[str, str, str]]:
        from opsdesk.incidents.choices import Visibility
        from opsdesk.incidents.models import Comment

        replies: dict[int, list[str]] = {}
        rows = (Comment.objects.filter(incident__in=[t.pk for t in targets],
                                       visibility=Visibility.PUBLIC)
                .order_by("incident_id", "created_at", "id").values_list("incident_id", "body"))
        for incident_id, body in rows:
            replies.setdefault(incident_id, []).append(body)
        return {t.pk: (t.short_description,
                       "\n".join([t.description or "", t.resolution or "",
                                  *replies.get(t.pk, [])]).strip(),
                       "") for t in targets}
