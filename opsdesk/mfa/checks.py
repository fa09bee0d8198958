"""System check: authenticator secrets that the configured keys cannot decrypt.

Tagged `database`, so it runs at `manage.py migrate` (every upgrade) and with
`manage.py check --database default`, never in a plain `check` that has no database.
A warning, not an error: a migration must still be able to run while the key is being fixed.
"""

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError


@register(Tags.database)
def secrets_readable_check(app_configs, databases=None, **kwargs):
    if not databases or "default" not in databases:
        return []
    from .selectors import unreadable_secret_count

    try:
        count = unreadable_secret_count()
    except DatabaseError:  # not migrated yet: nothing to read
        return []
    if not count:
        return []
    return [Warning(
        f"{count} authenticator app secret(s) cannot be decrypted with the configured keys: "
        "those people cannot sign in with their app (recovery codes still work).",
        hint="Put the key they were encrypted with back into OPSDESK_ENCRYPTION_KEYS (after "
             "the new one) or restore the previous SECRET_KEY (SECRET_KEY_FALLBACKS), then run "
             "`manage.py opsdesk_rotate_secrets`. Or reset those people's multi-factor "
             "sign-in at /mfa/settings/.",
        id="mfa.W001")]
