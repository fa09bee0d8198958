"""Files on articles: checked like incident attachments, stored under DATA_DIR/media."""

import hashlib
import uuid

from django.db import transaction

from opsdesk.core.security_files import upload_check

from ..models import Article, ArticleAttachment
from .articles import _check_may_edit


def article_attachment_add(*, article: Article, by, upload) -> ArticleAttachment:
    """Store an uploaded file on the article after checking its size and type."""
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
        with transaction.atomic():
            attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment
