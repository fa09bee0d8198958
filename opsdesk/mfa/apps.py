"""Multi-factor sign-in: TOTP with recovery codes (issue 9)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MfaConfig(AppConfig):
    name = "opsdesk.mfa"
    label = "mfa"
    verbose_name = _("multi-factor sign-in")

    def ready(self):
        from . import checks, receivers  # noqa: F401  (the sign-in hook, the system check)
