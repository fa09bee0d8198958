"""Keeps the search engine's copy of each article up to date (opsdesk.search).

Called by every service that changes an article's text, status or visibility, inside its
transaction, so the index commits or rolls back with the change. Only published articles are
indexed; any other status takes the article out of the index.
"""

from opsdesk.search.services import document_delete, documents_index

from .choices import ArticleStatus
from .models import ArticleDocument


def article_changed(article) -> None:
    """Index the article's published text, or drop it when it is not published."""
    if article.status == ArticleStatus.PUBLISHED:
        documents_index(document_model=ArticleDocument, targets=[article])
    else:
        document_delete(document_model=ArticleDocument, target=article)


def articles_reindex(*, batch_size: int = 1000) -> int:
    """Rebuild every article's document (after an upgrade); returns how many were indexed."""
    from .models import Article

    ArticleDocument.objects.exclude(article__status=ArticleStatus.PUBLISHED).delete()
    published = Article.objects.filter(status=ArticleStatus.PUBLISHED).order_by("pk")
    count, last = 0, 0
    while batch := list(published.filter(pk__gt=last)[:batch_size]):
        count += documents_index(document_model=ArticleDocument, targets=batch)
        last = batch[-1].pk
    return count
