"""Admin for the code tables, the priority matrix and the category tree (process owner)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from opsdesk.core.admin_site import (ActiveToggleMixin, CodeTableAdmin,
                                     KeyReadOnlyAfterCreationMixin, ReferenceAdmin, admin_site,
                                     cache_choices)

from .models import (Category, ClosureCode, Impact, Nature, PendingReason, Priority,
                     PriorityMatrixCell, ResolutionCode, Source, Urgency)


class LevelAdmin(KeyReadOnlyAfterCreationMixin, ReferenceAdmin):
    """Urgency, impact and priority levels: the level number is the key."""

    key_fields = ("level",)
    list_display = ("level", "name_zh", "name_en", "description_zh", "description_en")
    search_fields = ("name_zh", "name_en", "description_zh", "description_en")
    fields = ("level", "name_zh", "name_en", "description_zh", "description_en")
    ordering = ("level",)


admin_site.register(Urgency, LevelAdmin)
admin_site.register(Impact, LevelAdmin)
admin_site.register(Priority, LevelAdmin)


class PriorityMatrixCellForm(forms.ModelForm):
    """One cell; a second cell for the same impact and urgency is refused with a clear message."""

    class Meta:
        model = PriorityMatrixCell
        fields = ("impact", "urgency", "priority")

    def clean(self):
        cleaned = super().clean()
        impact, urgency = cleaned.get("impact"), cleaned.get("urgency")
        if impact is not None and urgency is not None:
            taken = PriorityMatrixCell.objects.filter(impact=impact, urgency=urgency)
            if self.instance.pk is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                # On the field, so the model's generic constraint message is not added as well.
                self.add_error("urgency", forms.ValidationError(
                    _("The matrix already has a cell for impact %(impact)s and urgency "
                      "%(urgency)s: change the priority of that cell instead."),
                    code="duplicate_cell",
                    params={"impact": impact, "urgency": urgency},
                ))
        return cleaned


@admin.register(PriorityMatrixCell, site=admin_site)
class PriorityMatrixCellAdmin(KeyReadOnlyAfterCreationMixin, ReferenceAdmin):
    """The impact × urgency → priority matrix, edited cell by cell in the list."""

    form = PriorityMatrixCellForm
    key_fields = ("impact", "urgency")
    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    list_filter = ("impact", "urgency", "priority")
    list_select_related = ("impact", "urgency", "priority")
    ordering = ("impact", "urgency")
    list_per_page = 200
    show_full_result_count = False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in self.list_editable:
            formfield = cache_choices(request, formfield, f"matrix.{db_field.name}")
        return formfield


class _PlainCodeAdmin(CodeTableAdmin):
    pass


admin_site.register(Source, _PlainCodeAdmin)
admin_site.register(ClosureCode, _PlainCodeAdmin)
admin_site.register(ResolutionCode, _PlainCodeAdmin)


@admin.register(Nature, site=admin_site)
class NatureAdmin(CodeTableAdmin):
    list_display = ("code", "name_zh", "name_en", "number_prefix", "sort_order", "is_active")
    fields = ("code", "name_zh", "name_en", "number_prefix", "sort_order", "is_active")


@admin.register(PendingReason, site=admin_site)
class PendingReasonAdmin(CodeTableAdmin):
    list_display = ("code", "name_zh", "name_en", "pauses_sla", "sort_order", "is_active")
    list_editable = ("pauses_sla", "sort_order", "is_active")
    list_filter = ("is_active", "pauses_sla")
    fields = ("code", "name_zh", "name_en", "pauses_sla", "sort_order", "is_active")


class CategoryForm(forms.ModelForm):
    """A new category: its path (parent path + code) must not exist yet."""

    class Meta:
        model = Category
        fields = ("code", "parent", "name_zh", "name_en", "sort_order", "is_active")

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("code")
        if self.instance.pk is None and code:
            if "." in code:
                self.add_error("code", _("A category code cannot contain a dot."))
                return cleaned
            parent = cleaned.get("parent")
            path = f"{parent.path}.{code}" if parent else code
            if Category.objects.filter(path=path).exists():
                self.add_error("code", _("This parent already has a category with this code."))
        return cleaned


@admin.register(Category, site=admin_site)
class CategoryAdmin(ActiveToggleMixin, KeyReadOnlyAfterCreationMixin, ReferenceAdmin):
    """The category tree. Code and parent are fixed once created: deactivate and add instead."""

    form = CategoryForm
    key_fields = ("code", "parent")
    list_display = ("path", "code", "name_zh", "name_en", "parent", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("parent",)
    search_fields = ("path", "code", "name_zh", "name_en")
    readonly_fields = ("path",)
    ordering = ("path",)
    list_per_page = 200

    def get_fields(self, request, obj=None):
        fields = ("code", "parent", "name_zh", "name_en", "sort_order", "is_active")
        return fields + ("path",) if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "parent" and formfield is not None:
            formfield.queryset = formfield.queryset.order_by("path")
            formfield.label_from_instance = lambda c: f"{c.path} {c.name}"
        return formfield
