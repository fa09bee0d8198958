"""The request being served, for audit events raised far from it (model signals, services).

AuditMiddleware (middleware.py) sets it for the length of a request. Events written outside
a request (commands, workers, tests) have no IP address or user agent, and their actor is
whoever the caller names, or the system.
"""

import ipaddress
from contextvars import ContextVar

_request: ContextVar = ContextVar("opsdesk_audit_request", default=None)

USER_AGENT_MAX = 255


def current_request():
    """The HTTP request this thread is serving, or None."""
    return _request.get()


def set_request(request):
    """Make request current; returns the token to reset it with."""
    return _request.set(request)


def reset_request(token) -> None:
    _request.reset(token)


def request_actor(request):
    """The signed-in person of a request: the token's user on the API, else the session's."""
    if request is None:
        return None
    for user in (getattr(request, "auth", None), getattr(request, "user", None)):
        if getattr(user, "is_authenticated", False) and getattr(user, "pk", None):
            return user
    return None


def client_ip(request) -> str:
    """The client's address as the server saw it, normalised ("" when not an address).

    REMOTE_ADDR only: X-Forwarded-For is whatever the client wrote unless a trusted proxy
    set it, which this log cannot tell.
    """
    raw = (request.META.get("REMOTE_ADDR") or "").strip() if request is not None else ""
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return ""


def user_agent(request) -> str:
    if request is None:
        return ""
    return (request.META.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX]
