"""Personal API tokens: create one (shown once), see them, revoke them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from opsdesk.accounts.models import ApiToken
from opsdesk.accounts.services import api_token_create, api_token_revoke


@login_required
def tokens(request):
    """List my tokens; POST create (the secret is shown once) or revoke."""
    secret = None
    if request.method == "POST":
        if "revoke" in request.POST:
            token_id = request.POST["revoke"]
            token = get_object_or_404(ApiToken, pk=int(token_id) if token_id.isdigit() else 0,
                                      user=request.user)
            api_token_revoke(token=token)
            messages.success(request, _("The token was revoked; it no longer works."))
            return redirect("web:tokens")
        name = request.POST.get("name", "").strip()[:100]
        _token, secret = api_token_create(user=request.user, name=name)
    context = {"tokens": ApiToken.objects.filter(user=request.user), "secret": secret}
    return TemplateResponse(request, "web/tokens.html", context)
