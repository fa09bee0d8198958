"""A database outage is a 503 with Retry-After and a clear message, not a 500 page.

While PostgreSQL restarts (or fails over) every query raises OperationalError or
InterfaceError. Nothing is wrong with the request: the client should simply try again in a few
seconds, so the answer says that (503 Service Unavailable, Retry-After), as JSON under /api/
(the API's error shape: detail and errors) and as a short bilingual page elsewhere. Nothing
half-written stays behind: the request's transaction was never committed.

Django hands every uncaught exception, from a view or a middleware, to the 500 handler
(opsdesk.web.views.errors.server_error), which asks `database_unavailable` first; the
exception is still the one being handled there (sys.exc_info()). Connections recover by
themselves: CONN_HEALTH_CHECKS (config/settings.py) makes the next request test a persistent
connection before using it and open a new one if the server dropped it.
"""

import json
import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 5
logger = logging.getLogger(__name__)


def database_unavailable(request, exc: BaseException | None = None) -> HttpResponse | None:
    """The 503 answer when `exc` (default: the exception being handled) is a lost database;
    None for any other error."""
    if exc is None:
        exc = sys.exc_info()[1]
    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exc)
    detail = _("The database cannot be reached at the moment (it may be restarting). Nothing "
               "was saved. Try again in a few seconds.")
    if request.path.startswith("/api/"):
        response = HttpResponse(json.dumps({"detail": detail, "errors": {}}), status=503,
                                content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(
            '<!doctype html><html><head><meta charset="utf-8"><title>opsdesk</title></head>'
            f"<body><h1>503</h1><p>{escape(detail)}</p></body></html>", status=503,
            content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
