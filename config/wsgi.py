"""WSGI entry point, served by gunicorn in `opsdesk up` (and by `manage.py runserver`).

Monitoring tools post alerts to `POST /api/v1/intake/alerts/{token}`, hundreds a second in an
alert storm. Those posts go to a lean Django handler: a URL map of that one route, served by
`alerts_post_view` (opsdesk/api/v1/intake.py: the documented django-ninja route's checks and
answers, without django-ninja's work per request), through only the middleware it needs. The
token in the URL is the only credential, so sessions, authentication, CSRF (the endpoint never
reads a cookie), messages, the user's time zone, htmx and static files have nothing to do
there. What the answer needs stays: the security headers, the language from Accept-Language
(the refusals are translated), CommonMiddleware's checks and Content-Length. Every other
request goes through the full stack of settings.MIDDLEWARE. See docs/performance.md, "Alert
storm".
"""

import gc
import os
import re

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
full_application = get_wsgi_application()  # sets Django up

# Imported once Django is set up. This module is also the lean handler's URL map
# (request.urlconf below): the one route, and the error pages of every other URL.
from django.urls import path  # noqa: E402

from config.urls import handler403, handler404, handler500  # noqa: E402, F401
from opsdesk.api.v1.intake import alerts_post_view  # noqa: E402

urlpatterns = [path("api/v1/intake/alerts/<str:token>", alerts_post_view)]
ALERT_POST_PATH = re.compile(r"/api/v1/intake/alerts/[^/]+\Z")  # what that route matches
ALERT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


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


# gunicorn imports this module once in its master (--preload) and forks the workers, which then
# share the master's memory until they write to it. Python's cycle collector writes to every
# object it examines (its reference counts and GC links), so the first collections in a worker
# would copy the pages of everything imported here. Frozen objects are never examined: the
# application's code and data stay shared (about 30 MiB PSS less at one client and 90 MiB less
# at eight in bench/api_bench.py; docs/performance.md).
gc.collect()
gc.freeze()
