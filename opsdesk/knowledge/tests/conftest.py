"""Fixtures of the knowledge tests: articles in each state, written through the services."""

from pathlib import Path

import pytest

from opsdesk.knowledge import services


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def article_make(org, *, status="draft", visibility="public", by=None, **data):
    """An article written by the desk (or `by`), brought to `status` by the process owner."""
    by = by or org.desk
    data = {"title": "Printer prints blank pages", "body": "Replace the **toner**.",
            "visibility": visibility, **data}
    article = services.article_create(by=by, data=data)
    if status in ("review", "published", "retired"):
        article = services.article_submit(article=article, by=by)
    if status in ("published", "retired"):
        article = services.article_approve(article=article, by=org.owner)
    if status == "retired":
        article = services.article_retire(article=article, by=org.owner)
    return article


@pytest.fixture
def published(org):
    return article_make(org, status="published", visibility="public")


@pytest.fixture
def internal(org):
    return article_make(org, status="published", visibility="internal",
                        title="Reset the print spooler on PRN-3F")
