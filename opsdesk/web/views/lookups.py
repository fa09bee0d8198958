"""Small lists for type-ahead fields and dependent selects; for support staff only.

Requesters never get these lists: they would reveal who works here and how to reach them.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from opsdesk.accounts.selectors import support_group_members, user_search
from opsdesk.incidents.services.relations import user_is_staff

PEOPLE_LIMIT = 8


def _is_id(value: str) -> bool:
    """A positive integer a database key can hold (longer digit strings are not ids)."""
    return value.isdigit() and len(value) <= 18


def _require_staff(user) -> None:
    if not user_is_staff(user):
        raise PermissionDenied


@login_required
@require_GET
def people(request):
    """People matching ?q= (name, username, phone, email, department) as a short list of choices."""
    _require_staff(request.user)
    text = request.GET.get("q", "").strip()[:100]
    # One Latin letter matches half the company; one Chinese character is often a surname.
    long_enough = len(text) >= 2 or (text and not text.isascii())
    found = user_search(text=text, limit=PEOPLE_LIMIT) if long_enough else []
    return TemplateResponse(request, "web/desk/people.html",
                            {"people": found, "q": text, "searched": long_enough})


@login_required
@require_GET
def members(request):
    """The <option>s of a group's members for an assignee select (?group=<id>, or the group
    select's own value, ?<prefix>-assignment_group=<id>), empty one first."""
    _require_staff(request.user)
    group = request.GET.get("group") or next(
        (v for k, v in request.GET.items() if k.endswith("assignment_group")), "")
    found = support_group_members(group_id=int(group)) if _is_id(group) else []
    return TemplateResponse(request, "web/desk/members.html", {"members": found})
