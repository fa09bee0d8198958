"""One cell of an authorization matrix: send one request as one role, and read the outcome.

A cell is ALLOW when the request got past the permission checks: 2xx, a redirect that is not
to the sign-in page, or the 400/409/422 of a form or body that the view went on to validate
(the matrices send empty forms to most write views: being told what is missing is access).
It is DENY on 401, 403, 404 or, for an anonymous visitor, a redirect to the sign-in page.
Anything else (405, a 500 raised as an exception) is reported as it is and fails the cell.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client

ALLOW, DENY = "allow", "deny"
VALIDATION = (400, 409, 422)


def client_for(user=None, *, token: str | None = None, session: str | None = None) -> Client:
    """A browser signed in as `user` (None: anonymous) or with an existing session key, or an
    API client with a Bearer token."""
    headers = {"Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    client = Client(headers=headers)
    if session:
        client.cookies[settings.SESSION_COOKIE_NAME] = session
    elif user is not None and not token:
        client.force_login(user)
    return client


def outcome(response) -> str:
    """ALLOW, DENY or a description of what else came back."""
    status = response.status_code
    if status in (401, 403, 404):
        return DENY
    if 300 <= status < 400:
        target = urlsplit(response.get("Location", "")).path
        return DENY if target == settings.LOGIN_URL or target.startswith("/login") else ALLOW
    if 200 <= status < 300 or status in VALIDATION:
        return ALLOW
    return f"status {status}"


def send(client: Client, method: str, path: str, body=None, *, json_body: bool = False):
    """One request; JSON bodies for the API, form data for pages."""
    if method == "GET":
        return client.get(path)
    if json_body:
        import json

        return client.generic(method, path, json.dumps(body or {}),
                              content_type="application/json")
    return getattr(client, method.lower())(path, body or {})
