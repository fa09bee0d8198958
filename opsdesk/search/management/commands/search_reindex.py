"""search_reindex: rebuild the search documents of incidents and/or articles.

    python manage.py search_reindex [--kind incidents|articles] [--batch 2000]

Streams the records in primary-key order, one transaction per batch, upserting each document,
so search keeps working meanwhile and a million incidents never sit in memory. Documents whose
record is no longer indexable are deleted at the end.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from opsdesk.search.models import IncidentDocument
from opsdesk.search.services import documents_index


def _document_models() -> dict:
    models = {"incidents": IncidentDocument}
    try:
        from opsdesk.knowledge.models import ArticleDocument
    except ImportError:
        pass
    else:
        models["articles"] = ArticleDocument
    return models


def indexable(document_model):
    """The target records to index: the model's `indexable(queryset)` if it defines one."""
    target = document_model._meta.pk.remote_field.model
    queryset = target._default_manager.all()
    select = getattr(document_model, "indexable", None)
    return select(queryset) if select else queryset


class Command(BaseCommand):
    help = "Rebuild the search index (incidents, articles), in batches."

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=["incidents", "articles"], action="append",
                            help="What to reindex (repeatable); default everything.")
        parser.add_argument("--batch", type=int, default=2000, help="Records per transaction.")

    def handle(self, *args, kind, batch, **options):
        models = _document_models()
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        for name in kind or list(models):
            if name not in models:
                raise CommandError(f"Nothing to index for {name}: its app has no documents yet.")
            started = time.perf_counter()
            if name == "articles":  # the knowledge app knows which articles are indexed
                from opsdesk.knowledge.indexing import articles_reindex

                count, removed = articles_reindex(batch_size=batch), 0
            else:
                count, removed = reindex(models[name], batch=batch)
            self.stdout.write(f"{name}: {count} documents written, {removed} removed in "
                              f"{time.perf_counter() - started:.1f} s.")


def reindex(document_model, *, batch: int = 2000) -> tuple[int, int]:
    """(documents written, stale documents removed)."""
    queryset = indexable(document_model).order_by("pk")
    last, count = None, 0
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        targets = list(page[:batch])
        if not targets:
            break
        with transaction.atomic():
            count += documents_index(document_model=document_model, targets=targets)
        last = targets[-1].pk
    stale = document_model.objects.exclude(pk__in=indexable(document_model).values("pk"))
    removed, _ = stale.delete()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(document_model._meta.db_table)}")
    return count, removed
