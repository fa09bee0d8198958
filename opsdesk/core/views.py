"""Site-wide pages that belong to no domain."""

from django.http import HttpResponse
from django.template.response import TemplateResponse


def home(request) -> HttpResponse:
    """The landing page: where to sign in and where the API lives."""
    return TemplateResponse(request, "core/home.html", {})
