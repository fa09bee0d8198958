"""The answer while the database is unreachable: 503 with Retry-After, for the API and pages.

The PostgreSQL restart test (test_postgres_restart.py) shows it on a live server; this checks
the handler itself on every database run: the 500 handler turns a lost database into a 503,
and leaves every other error a 500.
"""

import json

from django.db import InterfaceError, OperationalError
from django.test import RequestFactory
from django.utils import translation

from opsdesk.web.views.errors import server_error

MESSAGE = "The database cannot be reached at the moment"


def _handled(path: str, exc: Exception):
    """What the 500 handler answers while `exc` is the exception being handled."""
    request = RequestFactory().get(path)
    try:
        raise exc
    except Exception:
        with translation.override("en"):
            return server_error(request)


def test_the_api_gets_a_json_503_with_retry_after():
    response = _handled("/api/v1/incidents", OperationalError("connection refused"))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["detail"].startswith(MESSAGE) and body["errors"] == {}


def test_a_page_gets_a_short_html_503():
    response = _handled("/work/", InterfaceError("connection already closed"))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert MESSAGE in response.content.decode()


def test_any_other_error_stays_a_500():
    response = _handled("/api/v1/incidents", ValueError("a bug"))
    assert response.status_code == 500 and "Retry-After" not in response
