"""The profile's "Your sessions": where I am signed in, and signing out one of them.

One view answers htmx with the sessions card alone (profile.html#sessions) and a plain form
post with a redirect back to the profile, so the page works without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.accounts.models import UserSession
from opsdesk.accounts.usersessions import (user_session_current_id, user_session_device,
                                           user_session_end, user_session_list)


def sessions_context(request) -> dict:
    """What the sessions card shows: each session with its device, and which one is this."""
    current = user_session_current_id(request=request)
    rows = [{"session": row, "device": user_session_device(row), "current": str(row.pk) == current}
            for row in user_session_list(user=request.user)]
    rows.sort(key=lambda row: not row["current"])  # this session first
    return {"sessions": rows}


@require_POST
@login_required
def session_end(request, session_id):
    """Sign out one of my sessions; another person's (or a made-up id) is a 404."""
    session = get_object_or_404(UserSession, pk=session_id, user=request.user)
    if str(session.pk) == user_session_current_id(request=request):
        return _sign_out_here(request)
    device = user_session_device(session)
    user_session_end(session=session, by=request.user, request=request)
    done = _("Signed out: %(device)s.") % {"device": device}
    if request.htmx:
        context = {**sessions_context(request), "sessions_done": done}
        return TemplateResponse(request, "web/profile.html#sessions", context)
    messages.success(request, done)
    return redirect(reverse("web:profile") + "#sessions")


def _sign_out_here(request):
    """Ending this very session is signing out (the button says so)."""
    logout(request)
    url = resolve_url("web:login")
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
