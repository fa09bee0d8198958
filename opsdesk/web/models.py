"""What the browser interface keeps for people: their saved queue views."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """A person's named queue with its filters and sort, optionally shared with one of their groups."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=60)
    queue = models.SlugField(_("queue"), max_length=32)
    # The filters and sort as a query string in a fixed order (web.services.query_normalize).
    query = models.CharField(_("filters and sort"), max_length=1000, blank=True)
    group = models.ForeignKey("accounts.SupportGroup", verbose_name=_("shared with group"),
                              null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="saved_views")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint(fields=["owner", "name"],
                                               name="savedview_owner_name")]

    def __str__(self) -> str:
        return self.name
