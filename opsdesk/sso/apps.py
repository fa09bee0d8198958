"""Single sign-on with OpenID Connect (issue 9)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "opsdesk.sso"
    label = "sso"
    verbose_name = _("single sign-on")

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from . import checks, signals  # noqa: F401  (checks register themselves)

        user_logged_out.connect(signals.end_session_remember, dispatch_uid="sso_end_session")
