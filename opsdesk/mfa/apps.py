from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MfaConfig(AppConfig):
    name = "opsdesk.mfa"
    label = "mfa"
    verbose_name = _("multi-factor sign-in")
