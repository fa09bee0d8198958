"""Services of the knowledge base: every change of an article goes through these."""

from .articles import (article_approve, article_create, article_reject, article_retire,
                       article_submit, article_update, may_edit, may_retire, may_review)
from .engagement import (article_from_incident, article_view_count, deflection_record,
                         feedback_record, incident_article_link, incident_article_unlink)
from .files import article_attachment_add
from .rendering import markdown_render

__all__ = [
    "article_approve", "article_create", "article_reject", "article_retire", "article_submit",
    "article_update", "may_edit", "may_retire", "may_review", "article_from_incident",
    "article_view_count", "deflection_record", "feedback_record", "incident_article_link",
    "incident_article_unlink", "article_attachment_add", "markdown_render",
]
