"""Settings: the category tree (process owners and administrators)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput
from opsdesk.reference import editing, selectors
from opsdesk.reference.models import Category

from ..settings_forms import CategoryCreateForm, CategoryRenameForm
from .incidents import _add_errors
from .settings_pages import configurator_required, render


@configurator_required
def categories(request):
    """The whole tree, and a form to add a category (under the parent chosen with ?parent=)."""
    parent_id = request.GET.get("parent", "")
    initial = {"parent": parent_id} if parent_id.isdigit() else {}
    form = CategoryCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            added = editing.category_create(**form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The category %(path)s is added.") % {"path": added.path})
            return redirect("web:settings-categories")
    return render(request, "web/settings/categories.html",
                  {"tree": selectors.category_tree(), "form": form},
                  status=422 if form.is_bound else 200)


@configurator_required
def category_edit(request, pk: int):
    """Rename a category in both languages, or move it among its siblings."""
    category = get_object_or_404(Category, pk=pk)
    form = CategoryRenameForm(request.POST or None, initial={
        "name_zh": category.name_zh, "name_en": category.name_en,
        "sort_order": category.sort_order})
    if request.method == "POST" and form.is_valid():
        try:
            editing.category_rename(category=category, **form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The category %(path)s is saved.") % {
                "path": category.path})
            return redirect("web:settings-categories")
    return render(request, "web/settings/category_edit.html",
                  {"form": form, "category": category}, status=422 if form.is_bound else 200)


@configurator_required
def category_active(request, pk: int):
    """Deactivate a category and everything below it, or activate one again."""
    category = get_object_or_404(Category, pk=pk)
    if request.method == "POST":
        active = request.POST.get("active") == "1"
        try:
            editing.category_set_active(category=category, active=active)
        except InvalidInput as error:
            messages.error(request, error.message)
        else:
            messages.success(request, (
                _("The category %(path)s is active again.") if active else
                _("The category %(path)s and the categories below it are deactivated.")) % {
                "path": category.path})
    return redirect("web:settings-categories")
