from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "opsdesk.sso"
    label = "sso"
    verbose_name = _("single sign-on")
