"""A small CMDB: business services and the configuration items they use."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import BilingualNamed, CodeTable, TimeStampedModel


class Service(BilingualNamed, TimeStampedModel):
    """A business or IT service users recognise (e-mail, ERP, VPN …)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    description = models.TextField(_("description"), blank=True)
    owner_group = models.ForeignKey(
        "accounts.SupportGroup", verbose_name=_("owner group"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="services",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")


class CIType(CodeTable):
    """Kind of configuration item: server, database, network device, application …"""

    class Meta(CodeTable.Meta):
        verbose_name = _("CI type")
        verbose_name_plural = _("CI types")


class ConfigurationItem(TimeStampedModel):
    """A configuration item (配置项) with its type, owner group and the services that use it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    ci_type = models.ForeignKey(CIType, verbose_name=_("type"), on_delete=models.PROTECT)
    owner_group = models.ForeignKey(
        "accounts.SupportGroup", verbose_name=_("owner group"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="configuration_items",
    )
    services = models.ManyToManyField(
        Service, verbose_name=_("used by services"), blank=True, related_name="configuration_items"
    )
    location = models.ForeignKey(
        "accounts.Location", verbose_name=_("location"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")

    def __str__(self) -> str:
        return self.name
