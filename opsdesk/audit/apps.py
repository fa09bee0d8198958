from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "opsdesk.audit"
    label = "audit"
    verbose_name = _("audit log")

    def ready(self):
        from . import receivers

        receivers.connect()
