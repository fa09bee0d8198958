"""WSGI entry point, served by gunicorn in `opsdesk up` (and by `manage.py runserver`).

Monitoring tools post alerts to `POST /api/v1/intake/alerts/{token}`, hundreds a second in an
alert storm. Those posts go to a lean Django handler: the same django-ninja endpoint (so the
API document stays true), but through only the middleware that endpoint needs, and a URL map
of that one route. The token in the URL is the only credential, so sessions, authentication,
CSRF (the endpoint never reads a cookie), messages, the user's time zone, htmx and static files
have nothing to do there. What the answer needs stays: the security headers, the language
from Accept-Language (the refusals are translated), CommonMiddleware's checks and
Content-Length. That halves the Django part of a post's CPU (docs/performance.md, "Alert
storm"). Every other request goes through the full stack of settings.MIDDLEWARE.
"""

import os
import re

from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
full_application = get_wsgi_application()  # sets Django up

ALERT_POST_PATH = re.compile(r"/api/v1/intake/alerts/[^/]+\Z")  # the route's own <token>
ALERT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def _alert_urlpatterns() -> list:
    """Only the ninja route of the alert post, under the prefix config/urls.py gives the API."""
    from django.urls import path

    from opsdesk.api.v1 import api

    patterns, app_name, namespace = api.urls
    route = [p for p in patterns if p.name == "alerts_post"]
    if len(route) != 1:
        raise ImproperlyConfigured("config/wsgi.py: the API has no single route "
                                   "named alerts_post; update ALERT_POST_PATH and this map.")
    return [path("api/v1/", (route, app_name, namespace))]


# This module is the lean handler's URL map (request.urlconf below): one pattern to try
# instead of every page's and every API route's.
urlpatterns = _alert_urlpatterns()


class AlertPostHandler(WSGIHandler):
    """Django's WSGI handler with ALERT_MIDDLEWARE and this module's URL map."""

    def load_middleware(self, is_async=False):
        from django.conf import settings

        # Django builds the chain from settings.MIDDLEWARE; this runs once, at start-up.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = ALERT_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full

    def get_response(self, request):
        request.urlconf = __name__
        return super().get_response(request)


alert_post_application = AlertPostHandler()


def application(environ, start_response):
    """Alert posts to the lean handler, everything else to the full one."""
    if environ.get("REQUEST_METHOD") == "POST" and ALERT_POST_PATH.match(
            environ.get("PATH_INFO", "")):
        return alert_post_application(environ, start_response)
    return full_application(environ, start_response)
