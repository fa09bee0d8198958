"""Third-party suppliers that support engineers contact (涉及第三方支持)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.core import lookups
from opsdesk.core.models import TimeStampedModel


class Vendor(TimeStampedModel):
    """A supplier with its support contact."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        lookups.forget(Vendor)  # lists read vendors from memory

    def __str__(self) -> str:
        return self.name
