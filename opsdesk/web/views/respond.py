"""The requester's answer to a resolution, from the email's link, without signing in.

The signed token proves who answers. GET only shows the page, so mail scanners that open every
link change nothing; the answer is a POST (confirm, or reject with a reason).
"""

from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from opsdesk.core.exceptions import DomainError, InvalidInput
from opsdesk.incidents.respond import TokenRefused, respond_answer, respond_incident


@require_http_methods(["GET", "POST"])
def respond(request, token: str):
    """Show the resolved incident with Confirm and Reject; act only on POST."""
    try:
        incident = respond_incident(token=token)
    except TokenRefused as refused:
        return _refused(request, message=str(refused), status=refused.status)
    with translation.override(incident.requester.language or translation.get_language()):
        if request.method == "POST":
            return _answer(request, token=token, incident=incident)
        return _page(request, incident=incident, token=token)


def _answer(request, *, token: str, incident):
    """Confirm, or reject with a reason; a missing reason shows the page again (422)."""
    confirm = request.POST.get("answer") == "confirm"
    reason = request.POST.get("reason", "")
    try:
        incident = respond_answer(token=token, confirm=confirm, reason=reason)
    except TokenRefused as refused:
        return _refused(request, message=str(refused), status=refused.status)
    except InvalidInput as error:
        return _page(request, incident=incident, token=token, errors=error.errors,
                     reason=reason, status=422)
    except DomainError as error:
        return _refused(request, message=str(error.message), status=error.status_code)
    return render(request, "web/respond_done.html",
                  {"incident": incident, "confirmed": confirm})


def _page(request, *, incident, token: str, errors=None, reason: str = "", status: int = 200):
    context = {"incident": incident, "token": token, "errors": errors or {}, "reason": reason}
    return render(request, "web/respond.html", context, status=status)


def _refused(request, *, message: str, status: int):
    return render(request, "web/respond_refused.html", {"message": message}, status=status)
