"""Keeps the search engine's copy of each article up to date (opsdesk.search)."""

from django.db import transaction


def article_changed(article) -> None:
    """After the commit, (re)index the article's searchable text, or drop it from the index."""
    transaction.on_commit(lambda: _index(article.pk))


def _index(article_id: int) -> None:
    """Filled in once opsdesk.search publishes its index function."""
