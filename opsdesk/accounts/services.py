"""Account services: API tokens."""

import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from opsdesk.audit.services import audit_token_used

from .models import ApiToken, User

TOKEN_PREFIX = "odk_"


def api_token_create(*, user: User, name: str = "", expires_at: datetime | None = None):
    """Create a personal token for user; return (token, secret). The secret is not stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:12], digest=ApiToken.digest_of(secret),
        expires_at=expires_at,
    )
    return token, secret


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke a token; it stops working at once. Revoking twice is harmless."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def api_token_authenticate(*, secret: str) -> User | None:
    """Return the active user owning this token secret, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(secret)).first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    # Write last_used_at at most once a minute, so a busy integration doesn't write on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        with transaction.atomic():
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            audit_token_used(token=token)  # at most once an hour per token
    return token.user
