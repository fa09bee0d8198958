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
    # Subclasses may add columns copied from the record (e.g. who may see it), written with
    # the terms: their names, and keys_for(target) -> {name: value}.
    key_fields: tuple[str, ...] = ()
    # Key columns one value of which may select a big share of the table (PostgreSQL reads the
    # newest documents first for a person who has such a key: backends._pg_match_keys).
    wide_keys: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def texts_for(cls, targets: list) -> dict[int, tuple[str, str, str]]:
        """{target pk: (title, body, extra)} as people wrote them, for indexing and snippets.

        Subclasses implement it with a fixed number of queries for any number of targets.
        """
        raise NotImplementedError

    @classmethod
    def keys_for(cls, target) -> dict:
        """{key field: value} copied from the record (see key_fields)."""
        return {}


class IncidentDocument(SearchDocument):
    """An incident's search terms: short description; description, resolution, public replies.

    Internal work notes are never indexed: a requester's results must not reveal them.

    The columns that decide who sees the incident (opsdesk.incidents.querysets.visibility_q)
    are copied here, kept in the same transaction as the incident's change (services.
    incident_keys_refresh, called from the incident hooks), so that a restricted person's search
    is answered from this table and its one GIN index alone (README: "Who may see what").
    They are plain integers, no foreign keys: the incident holds the truth, and results are
    still filtered by Incident.objects.restrict(user).
    """

    incident = models.OneToOneField("incidents.Incident", primary_key=True,
                                    on_delete=models.CASCADE, related_name="search_document",
                                    verbose_name=_("incident"))
    group_id = models.BigIntegerField(_("assignment group"), null=True, blank=True)
    assignee_id = models.BigIntegerField(_("assignee"), null=True, blank=True)
    requester_id = models.BigIntegerField(_("requester"), null=True, blank=True)
    department_id = models.BigIntegerField(_("requester's department"), null=True, blank=True)

    search_candidates = 1000
    # In the order of the migration's CreateVisibilityIndex (the tags of `visibility`).
    key_fields = ("group_id", "requester_id", "assignee_id", "department_id")
    wide_keys = ("group_id", "department_id")
    # incident field -> document column, for translating visibility_q (selectors.incident_scope)
    KEY_OF_FIELD = {"assignment_group_id": "group_id", "assignee_id": "assignee_id",
                    "requester_id": "requester_id", "requester_department_id": "department_id"}

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

    @classmethod
    def keys_for(cls, target) -> dict:
        return {key: getattr(target, field) for field, key in cls.KEY_OF_FIELD.items()}
