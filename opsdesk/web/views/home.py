"""The front door: people who work incidents go to their workspace, everyone else to the portal."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    user = request.user
    if user.sees_all_incidents or user.is_engineer:
        return redirect("web:work")
    return redirect("web:portal")
