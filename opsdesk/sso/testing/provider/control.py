"""JSON endpoints through which tests set up the provider. Test-only: no authentication."""

import json

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_application_model

from . import state


def _body(request) -> dict:
    return json.loads(request.body or b"{}")


@csrf_exempt
@require_POST
def user_set(request):
    """Create or update a user: password, active flag, and the claims it is sent with."""
    data = _body(request)
    user, _ = get_user_model().objects.get_or_create(username=data["username"])
    user.set_password(data.get("password", "secret"))
    user.is_active = data.get("is_active", True)
    user.save()
    state.claims_set(user.username, data.get("claims", {}))
    return JsonResponse({"sub": str(user.pk)})


@csrf_exempt
@require_POST
def client_set(request):
    """Change the client's redirect URIs and whether the consent page is shown."""
    data = _body(request)
    application = get_application_model().objects.get(client_id=data["client_id"])
    for field in ("redirect_uris", "post_logout_redirect_uris"):
        if field in data:
            setattr(application, field, " ".join(data[field]))
    if "skip_authorization" in data:
        application.skip_authorization = data["skip_authorization"]
    application.save()
    return JsonResponse({"ok": True})


@csrf_exempt
@require_POST
def tamper_set(request):
    """Spoil ID tokens from now on: {"claims": {...}, "exp_offset": -600, "bad_signature": true}."""
    state.tamper_set(_body(request))
    return JsonResponse({"ok": True})
