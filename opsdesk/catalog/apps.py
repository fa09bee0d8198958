from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "opsdesk.catalog"
    label = "catalog"
    verbose_name = _("service request catalogue")

    def ready(self):
        from opsdesk.sla.engine import sla_policy_chooser_add

        from .selectors import request_sla_policy

        sla_policy_chooser_add(request_sla_policy)
