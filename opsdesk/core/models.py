"""Shared abstract models: timestamps and bilingual labels; the append-only queryset."""

from django.db import models

from . import lookups
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Adds created_at and updated_at, both set by the database layer."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class BilingualNamed(models.Model):
    """A name kept in Simplified Chinese and English; `name` follows the active language."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        lookups.forget(type(self))  # lists read these rows from memory

    @property
    def name(self) -> str:
        lang = (get_language() or "zh-hans").lower()
        if lang.startswith("zh"):
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh

    def __str__(self) -> str:
        return self.name


class CodeTable(BilingualNamed):
    """A row of an editable code table: a stable code, bilingual labels, order and an on/off switch."""

    code = models.CharField(_("code"), max_length=16, primary_key=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AppendOnlyQuerySet(models.QuerySet):
    """Rows that can be added to, never changed: bulk update and delete are refused (history,
    snapshots). The model refuses save() of an existing row and delete() itself."""

    def update(self, **kwargs):
        raise PermissionError(f"{self.model._meta.object_name} rows are append-only.")

    def delete(self):
        raise PermissionError(f"{self.model._meta.object_name} rows are append-only.")
