"""AuditMiddleware: makes the request current for audit events, and records configuration
changes made on the settings pages.

Every settings page saves with a POST answered by a redirect (post/redirect/get); a refused
form answers 422 or 200 and is not a change. So a POST under one of AUDIT_CONFIG_PATHS that
ends in a redirect is recorded, with the page and the names of the fields sent (never their
values: a mailbox form carries a password). Admin actions on several rows are recorded the same
way; the admin's single adds and changes come from its LogEntry (receivers.py).
"""

from django.conf import settings

from . import context
from .models import AuditKind
from .services import audit_record

SKIPPED_FIELDS = frozenset({"csrfmiddlewaretoken"})


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.set_request(request)
        try:
            response = self.get_response(request)
            if _is_config_change(request, response):
                _record(request)
            return response
        finally:
            context.reset_request(token)


def _is_config_change(request, response) -> bool:
    if request.method != "POST" or not 300 <= response.status_code < 400:
        return False
    if not getattr(request.user, "is_authenticated", False):
        return False
    if getattr(request, "mfa_refused", False):  # the MFA gate answered, not the settings page
        return False
    if request.path.startswith(settings.AUDIT_ADMIN_PATH):
        return bool(request.POST.get("action") and request.POST.getlist("_selected_action"))
    return request.path.startswith(tuple(settings.AUDIT_CONFIG_PATHS))


def _record(request) -> None:
    match = request.resolver_match
    fields = sorted(set(request.POST) - SKIPPED_FIELDS)
    details = {"page": match.view_name if match else "", "fields": fields[:100],
               "arguments": {k: str(v) for k, v in (match.kwargs if match else {}).items()}}
    if request.path.startswith(settings.AUDIT_ADMIN_PATH):
        details.update(action=request.POST.get("action", ""),
                       selected=request.POST.getlist("_selected_action")[:100])
    audit_record(kind=AuditKind.CONFIG_CHANGED, request=request, target_text=request.path,
                 details=details)
