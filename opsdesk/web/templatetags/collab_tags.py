"""Template tags of the collaboration part: the incident page's task panel, and @mentions
rendered as links in the timeline."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from opsdesk.collab import rules, selectors
from opsdesk.collab.services import mentioned_users
from opsdesk.collab.parsing import mention_candidates, mention_match

register = template.Library()


@register.inclusion_tag("web/collab/_task_panel.html", takes_context=True)
def incident_tasks(context, incident, user, staff):
    """The incident's tasks (one query, none for people who are not staff) and the add form."""
    if not staff or not rules.user_is_staff(user):
        return {"show": False}
    from opsdesk.web.views.collab import TaskForm

    tasks = selectors.incident_tasks(user=user, incident=incident)
    may_add = incident.status < 50 and rules.may_work_incident(user=user, incident=incident)
    return {"show": True, "incident": incident, "tasks": tasks, "now": timezone.now(),
            "csrf_token": context.get("csrf_token"), "request": context.get("request"),
            "form": TaskForm() if may_add else None,
            "workable": {t.pk for t in tasks if t.is_open and rules.may_work_task(user=user,
                                                                                  task=t)},
            "manageable": {t.pk for t in tasks if t.is_open and rules.may_manage_task(
                user=user, task=t)}}


@register.simple_tag(takes_context=True)
def mention_links(context, text):
    """The text, escaped, with each @mention of a known person as a link to their work.

    The people of every entry of the page's timeline are read once (one query per page)."""
    text = "" if text is None else str(text)
    if "@" not in text:
        return conditional_escape(text)
    known = _known_people(context)
    out, last = [], 0
    for candidate in mention_candidates(text):
        name, user = mention_match(candidate, known)
        if user is None or candidate.start < last:
            continue
        end = candidate.end if candidate.quoted else candidate.start + 1 + len(name)
        out.append(conditional_escape(text[last:candidate.start]))
        out.append(format_html('<a class="mention" href="{}?assignee={}" title="{}">{}</a>',
                               reverse("web:work"), user.username, user.label,
                               text[candidate.start:end]))
        last = end
    out.append(conditional_escape(text[last:]))
    return mark_safe("".join(str(part) for part in out))


def _known_people(context) -> dict:
    cache = context.render_context
    if "collab_mentions_known" not in cache:
        bodies = [getattr(e, "body", "") or "" for e in context.get("timeline") or []]
        people = mentioned_users(text="\n".join(b for b in bodies if "@" in b), limit=1000) \
            if any("@" in b for b in bodies) else []
        known = {}
        for user in people:
            known[user.username] = user
            if user.display_name:
                known.setdefault(user.display_name, user)
        cache["collab_mentions_known"] = known
    return cache["collab_mentions_known"]
