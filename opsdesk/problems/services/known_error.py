"""A known error's workaround becomes a known-error article in the knowledge base.

The article is written by the person who records the known error (every problem worker is a
knowledge author) and sent to review at once. A process owner approves articles, so when the
actor is one it is published in the same step; anyone else's waits in the process owner's
review queue (/kb/review/), as every other article does. It is internal (staff only): a
workaround may name systems and steps users should not try; its owner may make it public.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from opsdesk.incidents.choices import Channel
from opsdesk.knowledge.choices import ArticleType, Language, Visibility
from opsdesk.knowledge.models import Article
from opsdesk.knowledge.selectors import is_kb_approver
from opsdesk.knowledge.services import article_approve, article_create, article_submit

from .. import events
from ..models import Problem


def known_error_publish(*, problem: Problem, by, channel: str = Channel.WEB) -> Article:
    """Write, submit and (for a process owner) publish the problem's known-error article."""
    language = _language(by)
    with translation.override(language):
        data = {
            "title": f"{problem.number} {problem.short_description}"[:200],
            "type": ArticleType.KNOWN_ERROR, "workaround": problem.workaround,
            "body": _body(problem), "problem_reference": problem.number,
            "language": language, "visibility": Visibility.INTERNAL,
            "category": problem.category, "service": problem.service,
            "configuration_items": list(problem.configuration_items.all()),
        }
        note = _("Known error of problem %(number)s") % {"number": problem.number}
    article = article_create(by=by, data=data, note=note)
    article = article_submit(article=article, by=by)
    published = is_kb_approver(by)
    if published:
        article = article_approve(article=article, by=by, note=note)
    Problem.objects.filter(pk=problem.pk).update(known_error_article=article)
    problem.known_error_article = article
    events.problem_event_article(problem=problem, by=by, channel=channel, article=article,
                                 published=published)
    return article


def _language(user) -> str:
    code = getattr(user, "language", "") or settings.LANGUAGE_CODE
    return code if code in Language.values else Language.ZH_HANS


def _body(problem: Problem) -> str:
    parts = [f"## {_('Symptoms')}", problem.description or problem.short_description]
    if problem.root_cause:
        parts += [f"## {_('Root cause')}", problem.root_cause]
    return "\n\n".join(parts)
