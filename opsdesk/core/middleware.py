"""Two request-wide guards the security review found missing (docs/security-review.md)."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _


class NulRefusalMiddleware:
    """A NUL character in the path or the query string is a 400 before any view runs.

    No address of ours holds one, and PostgreSQL refuses a string with one in a comparison:
    `/work/?q=%00`, `/incidents/INC%00/` or `/api/v1/incidents/INC%00` were each a 500. Forms
    refuse NUL themselves (Django's ProhibitNullCharactersValidator) and the API's parser its
    bodies and query strings, but a view that reads `request.GET` or a path parameter did not.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            message = _("The address contains a NUL character (%00), which no address of "
                        "opsdesk does.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "errors": {}}, status=400)
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)


def _has_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    return any("\x00" in key or any("\x00" in value for value in values)
               for key, values in request.GET.lists())


class NoStoreMiddleware:
    """A response that names no caching of its own is marked private and never stored.

    Nearly every opsdesk response shows people and their incidents, to someone signed in or to
    the holder of a mailed link; neither a shared proxy nor the browser's disk cache (the back
    button after signing out on a shared PC) may keep a copy. Static files never get here:
    WhiteNoise answers them earlier, with its own long-lived headers. A view that wants caching
    sets Cache-Control itself and is left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
