"""API authentication: personal tokens (Bearer) for integrations, the session for the browser."""

from ninja.security import HttpBearer, SessionAuth

from opsdesk.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the token is checked against its stored digest."""

    def authenticate(self, request, token: str):
        user = api_token_authenticate(secret=token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The signed-in browser session; unsafe methods must carry the CSRF token."""

    def authenticate(self, request, key):
        user = request.user
        return user if user.is_authenticated and user.is_active else None


AUTH = [TokenAuth(), ActiveSessionAuth(csrf=True)]
