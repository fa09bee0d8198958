"""Settings: the service catalogue's request types and the fields of their forms (process owners
and administrators). Every change goes through opsdesk.catalog.editing: all of it or nothing."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.catalog import editing
from opsdesk.catalog.models import RequestField, RequestType
from opsdesk.catalog.rendering import instructions_html
from opsdesk.core.exceptions import Conflict, InvalidInput

from ..catalog_forms import RequestFieldForm, RequestTypeForm
from .incidents import _add_errors
from .settings_pages import configurator_required, render

PREVIEW_MAX = 100_000


@configurator_required
def catalog_types(request):
    """Every request type, active first: its group, approval, policy and how many fields."""
    rows = (RequestType.objects.select_related("category", "fulfilment_group", "sla_policy")
            .annotate(field_count=Count("fields", filter=Q(fields__is_active=True)))
            .order_by("-is_active", "sort_order", "code"))
    return render(request, "web/settings/catalog.html", {"types": rows})


@configurator_required
def catalog_type_edit(request, code: str | None = None):
    """Create a type, or change one; below an existing type's form, its fields."""
    request_type = _type(code) if code is not None else None
    form = RequestTypeForm(request.POST or None, request_type=request_type)
    if request.method == "POST" and form.is_valid():
        try:
            request_type = _type_save(form, request_type)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The request type %(code)s is saved.") % {
                "code": request_type.code})
            return redirect("web:settings-catalog-edit", code=request_type.code)
    fields = list(request_type.fields.order_by("sort_order", "id")) if request_type else []
    return render(request, "web/settings/catalog_edit.html",
                  {"form": form, "request_type": request_type, "fields": fields},
                  status=422 if form.is_bound else 200)


@configurator_required
@require_POST
def catalog_type_active(request, code: str):
    """Take a type off the catalogue (its requests go on), or offer it again."""
    request_type = _type(code)
    active = request.POST.get("active") == "1"
    editing.request_type_set_active(request_type=request_type, active=active)
    messages.success(request, (_("%(name)s is offered again.") if active else
                               _("%(name)s is no longer offered.")) % {
        "name": request_type.name})
    return redirect("web:settings-catalog")


@configurator_required
def catalog_field_edit(request, code: str, pk: int | None = None):
    """Add a question to a type's form, or change one."""
    request_type = _type(code)
    request_field = _field(request_type, pk) if pk is not None else None
    form = RequestFieldForm(request.POST or None, request_field=request_field)
    if request.method == "POST" and form.is_valid():
        try:
            if request_field is None:
                editing.request_field_create(request_type=request_type,
                                             data=form.field_values())
            else:
                editing.request_field_update(request_field=request_field,
                                             data=form.field_values())
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The field “%(key)s” is saved.") % {
                "key": form.cleaned_data["key"]})
            return redirect("web:settings-catalog-edit", code=request_type.code)
    return render(request, "web/settings/catalog_field.html",
                  {"form": form, "request_type": request_type, "request_field": request_field},
                  status=422 if form.is_bound else 200)


@configurator_required
@require_POST
def catalog_field_action(request, code: str, pk: int, action: str):
    """Move a field up or down, deactivate or activate it, or delete one nobody answered."""
    request_type = _type(code)
    request_field = _field(request_type, pk)
    try:
        _field_act(request_field, action)
    except (Conflict, InvalidInput) as error:
        messages.error(request, error.message)
    return redirect("web:settings-catalog-edit", code=request_type.code)


@configurator_required
@require_POST
def catalog_preview(request):
    """The instructions as the desk will see them (htmx), Markdown rendered and sanitised."""
    text = request.POST.get("instructions_zh") or request.POST.get("instructions_en") or ""
    return TemplateResponse(request, "web/settings/catalog_preview.html",
                            {"html": instructions_html(text[:PREVIEW_MAX])})


def _type(code: str) -> RequestType:
    return get_object_or_404(RequestType.objects.prefetch_related("audience"), code=code)


def _field(request_type: RequestType, pk: int) -> RequestField:
    return get_object_or_404(RequestField, request_type=request_type, pk=pk)


def _type_save(form: RequestTypeForm, request_type: RequestType | None) -> RequestType:
    audience = form.cleaned_data["audience"]
    if request_type is None:
        return editing.request_type_create(code=form.cleaned_data["code"],
                                           data=form.type_values(), audience=audience)
    return editing.request_type_update(request_type=request_type, data=form.type_values(),
                                       audience=audience)


def _field_act(request_field: RequestField, action: str) -> None:
    if action in ("up", "down"):
        editing.request_field_move(request_field=request_field, up=action == "up")
    elif action in ("activate", "deactivate"):
        editing.request_field_update(request_field=request_field,
                                     data={"is_active": action == "activate"})
    elif action == "delete":
        editing.request_field_delete(request_field=request_field)
    else:
        raise Http404
