"""Files on articles: checked like incident attachments, stored under DATA_DIR/media.

A new file follows the article's review like its text: it waits, unseen by readers, for the
article's next publication (articles.article_approve sets its `published_at`)."""

import hashlib
import uuid

from django.db import transaction

from opsdesk.core.security_files import upload_check

from ..models import Article, ArticleAttachment
from .articles import _change_needs_review, _check_may_edit


def article_attachment_add(*, article: Article, by, upload) -> ArticleAttachment:
    """Store an uploaded file on the article after checking its size and type; readers see it
    once the article is next published (a published article gets a new draft revision)."""
    _check_may_edit(article=article, by=by)
    checked = upload_check(upload)  # name, size, type and content (core/security_files.py)
    filename, content_type = checked.filename, checked.content_type
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = ArticleAttachment(
        article=article, uploaded_by=by, filename=filename, content_type=content_type,
        size=upload.size, sha256=digest.hexdigest(), storage_key=uuid.uuid4().hex)
    attachment.file.save(attachment.storage_key, upload, save=False)
    try:  # if the row cannot be saved, leave no orphan file behind
        _attachment_save(attachment, by=by)
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def _attachment_save(attachment: ArticleAttachment, *, by) -> None:
    """Save the unpublished file and open the article's review, under the article's lock (so
    a publication running at the same time publishes the file or leaves it for the next)."""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=attachment.article_id)
        _check_may_edit(article=article, by=by)
        attachment.article = article
        attachment.save()
        _change_needs_review(article, by)
        article.save(update_fields=["status", "revision_status", "updated_at"])
