from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "opsdesk.accounts"
    label = "accounts"
    verbose_name = _("accounts")

    def ready(self):
        from . import sessions  # noqa: F401  (stamps the sign-in time on user_logged_in)

