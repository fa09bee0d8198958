from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VendorsConfig(AppConfig):
    name = "opsdesk.vendors"
    label = "vendors"
    verbose_name = _("vendors")
