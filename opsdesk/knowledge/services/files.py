"""Files on articles: checked like incident attachments, stored under DATA_DIR/media."""

import hashlib
import mimetypes
import os
import uuid

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents.services.comments import EXTRA_TYPES, attachment_filename

from ..models import Article, ArticleAttachment
from .articles import _check_may_edit


def article_attachment_add(*, article: Article, by, upload) -> ArticleAttachment:
    """Store an uploaded file on the article after checking its size and type."""
    _check_may_edit(article=article, by=by)
    filename = attachment_filename(upload.name)
    content_type = _content_type(filename, getattr(upload, "content_type", ""))
    _check_upload(size=upload.size, content_type=content_type)
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


def _content_type(filename: str, declared: str) -> str:
    """The type by file extension; the browser's claim only counts for unknown extensions."""
    extension = os.path.splitext(filename)[1].lower()
    guessed = EXTRA_TYPES.get(extension) or mimetypes.guess_type(filename, strict=False)[0]
    return (guessed or declared or "application/octet-stream").split(";")[0].strip().lower()


def _check_upload(*, size: int, content_type: str) -> None:
    limit = settings.OPSDESK_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise InvalidInput(errors={"file": _("The file is larger than %(mb)d MB.") % {
            "mb": limit // (1024 * 1024)}})
    if size == 0:
        raise InvalidInput(errors={"file": _("The file is empty.")})
    if content_type not in settings.OPSDESK_ATTACHMENT_CONTENT_TYPES:
        raise InvalidInput(errors={"file": _("Files of type %(type)s are not accepted.") % {
            "type": content_type}})
