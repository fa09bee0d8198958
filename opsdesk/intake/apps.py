from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "opsdesk.intake"
    label = "intake"
    verbose_name = _("intake: email and monitoring alerts")
