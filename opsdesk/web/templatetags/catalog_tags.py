"""The service request panel of an incident page (one query, none for other natures)."""

from django import template
from django.utils.safestring import mark_safe

from opsdesk.catalog.rendering import instructions_html
from opsdesk.catalog.selectors import request_details

register = template.Library()

NATURE_SERVICE_REQUEST = "02"


@register.inclusion_tag("web/catalog/_request_panel.html")
def incident_request_panel(incident, user, staff=False):
    """Type, answers (files as links), approval, and for staff the fulfilment instructions."""
    if incident is None or incident.nature_id != NATURE_SERVICE_REQUEST:
        return {"details": None}
    details = request_details(incident=incident)
    if details is None:
        return {"details": None}
    zh = _is_chinese()
    answers = [((a["label_zh"] or a["label_en"]) if zh else (a["label_en"] or a["label_zh"]),
                a["display_zh"] if zh else a["display_en"],
                int(a["value"]) if a["kind"] == "attachment" and a["value"].isdigit() else None)
               for a in details.answers]
    return {"details": details, "incident": incident, "answers": answers, "staff": staff,
            "may_decide": details.approval_state == "pending" and details.approver_id == getattr(
                user, "pk", None),
            "instructions": mark_safe(instructions_html(details.request_type.instructions))
            if staff else ""}


def _is_chinese() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "zh-hans").lower().startswith("zh")
