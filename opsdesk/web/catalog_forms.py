"""The order form of a request type, built from its fields. The form only collects what was
typed; the catalogue's service checks every answer (opsdesk.catalog.answers), so the portal, the
desk and the API follow one set of rules and show the same messages."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Organisation, SupportGroup, User
from opsdesk.catalog.editing import FIELD_FIELDS, TYPE_FIELDS
from opsdesk.catalog.models import FieldKind
from opsdesk.cmdb.models import Service
from opsdesk.reference.models import Category, Impact, Urgency
from opsdesk.sla.models import SlaPolicy

TEXTAREA_ROWS = 4
PICK_PREFIX = "pick:"  # the hidden id of a person chosen from the type-ahead (no slug has ":")


def pick_name(name: str) -> str:
    """The name of the hidden input that carries the id of the person chosen for `name`."""
    return f"{PICK_PREFIX}{name}"


class PersonInput(forms.TextInput):
    """A person typed as a username or email; for staff, a type-ahead (web:lookup_people) that
    also fills a hidden id (catalog.js). Without JavaScript the typed text is what counts."""

    def __init__(self, *, lookup: bool, picked: str = "", attrs=None):
        super().__init__(attrs={"autocomplete": "off", "placeholder": _("username or email"),
                                **(attrs or {})})
        self.lookup, self.picked = lookup, picked
        if lookup:
            self.input_type = "search"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.lookup:
            widget_id = context["widget"]["attrs"].get("id") or f"id_{name}"
            context["widget"]["attrs"].update({
                "hx-get": reverse("web:lookup_people"),
                "hx-target": f"#{widget_id}-results", "hx-sync": "this:replace",
                "hx-trigger": "input changed delay:300ms, search", "data-lookup-param": "q",
                "data-pick-id": f"{widget_id}-pick", "aria-controls": f"{widget_id}-results"})
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        if not self.lookup:
            return html
        widget_id = (attrs or {}).get("id") or f"id_{name}"
        return html + format_html(
            '<input type="hidden" name="{}" id="{}-pick" value="{}">'
            '<div id="{}-results" class="lookup" data-pick-for="{}" aria-live="polite"></div>',
            pick_name(name), widget_id, self.picked, widget_id, widget_id)


def _form_field(request_field, *, lookup: bool, picked: str) -> forms.Field:
    common = {"label": request_field.label, "help_text": request_field.help_text,
              "required": False}
    kind = request_field.kind
    if kind == FieldKind.LONG_TEXT:
        field = forms.CharField(widget=forms.Textarea(attrs={"rows": TEXTAREA_ROWS}),
                                strip=False, **common)
    elif kind == FieldKind.CHOICE:
        field = forms.ChoiceField(choices=[("", "—")] + request_field.choices, **common)
    elif kind == FieldKind.DATE:
        field = forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    elif kind == FieldKind.USER:
        field = forms.CharField(widget=PersonInput(lookup=lookup, picked=picked), **common)
    elif kind == FieldKind.ATTACHMENT:
        field = forms.FileField(**common)
    else:
        field = forms.CharField(strip=False, **common)
    field.answer_required = request_field.required  # for the mark; the service checks it
    if request_field.required:
        field.widget.attrs["aria-required"] = "true"
    return field


class RequestOrderForm(forms.Form):
    """The questions of one request type (and, for the desk, who called and how to reach them).

    `lookup` (staff only: the people list is theirs) turns person fields into a type-ahead."""

    def __init__(self, *args, request_fields, for_desk: bool = False, lookup: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.request_fields = list(request_fields)
        picked = {name: self._picked_id(name) or "" for name in
                  ["requester"] + [f.key for f in self.request_fields]}
        if for_desk:
            self.fields["requester"] = forms.CharField(
                label=_("Requester"), max_length=254,
                help_text=_("Type a name, username or email and choose the caller; a "
                            "username or email alone works too."),
                widget=PersonInput(lookup=lookup, picked=picked["requester"]))
            self.fields["requester"].answer_required = True
            self.fields["contact_phone"] = forms.CharField(label=_("Contact phone"),
                                                           max_length=40, required=False)
        for request_field in self.request_fields:
            self.fields[request_field.key] = _form_field(request_field, lookup=lookup,
                                                         picked=picked[request_field.key])

    def _picked_id(self, name: str) -> str | None:
        """The id the type-ahead chose for this input, if it sent one that could be an id."""
        value = (self.data.get(pick_name(name)) or "").strip() if self.is_bound else ""
        return value if value.isdigit() and len(value) <= 18 else None

    def person_text(self, name: str) -> str:
        """What identifies the person of a person input: the chosen person's username, else
        what was typed (a username or email)."""
        picked = self._picked_id(name)
        if picked:
            username = User.objects.filter(pk=int(picked), is_active=True).values_list(
                "username", flat=True).first()
            if username:
                return username
        return (self.cleaned_data.get(name) or "").strip()

    def answers(self) -> dict:
        """What was typed for each non-file field, as strings keyed by the field's key."""
        return {f.key: self.person_text(f.key) if f.kind == FieldKind.USER
                else self.cleaned_data.get(f.key) or ""
                for f in self.request_fields if f.kind != FieldKind.ATTACHMENT}

    def files_by_key(self) -> dict:
        return {f.key: self.cleaned_data[f.key] for f in self.request_fields
                if f.kind == FieldKind.ATTACHMENT and self.cleaned_data.get(f.key)}

    def answer_fields(self):
        """The bound fields of the questions, in order."""
        return [self[f.key] for f in self.request_fields]


# --- Settings: request types and their fields -----------------------------------------------


class _Named(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} · {obj.name}"


class _Category(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.path} · {obj.name}"


class _Organisations(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} · {obj.name}"


def _markdown_area(rows: int = 8) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "data-markdown-preview": "true"})


class RequestTypeForm(forms.Form):
    """A request type: names, description, who fulfils it and how fast, who may order it, and
    the desk's instructions. The catalogue's editing services check and save."""

    code = forms.SlugField(label=_("Code"), max_length=32,
                           help_text=_("A short stable key used in links and the API, e.g. "
                                       "vpn-access; it cannot change later."))
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    description_zh = forms.CharField(label=_("Description (Chinese)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    description_en = forms.CharField(label=_("Description (English)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    icon = forms.CharField(label=_("Icon"), max_length=16, required=False,
                           help_text=_("An emoji or a short label shown on the catalogue."))
    category = _Category(label=_("Category"), required=False, empty_label=_("(none)"),
                         queryset=None)
    service = _Named(label=_("Service"), required=False, empty_label=_("(none)"),
                     queryset=None)
    fulfilment_group = _Named(label=_("Fulfilment group"), queryset=None)
    needs_approval = forms.BooleanField(
        label=_("Needs approval"), required=False,
        help_text=_("The requester's manager (else the head of their department) approves "
                    "before the group works on it."))
    sla_policy = _Named(label=_("SLA policy"), required=False,
                        empty_label=_("(the priority matrix chooses)"), queryset=None,
                        help_text=_("A request keeps this policy even when the desk changes "
                                    "its priority."))
    impact = forms.ModelChoiceField(label=_("Impact"), queryset=None)
    urgency = forms.ModelChoiceField(label=_("Urgency"), queryset=None)
    audience = _Organisations(
        label=_("Who may order"), required=False, queryset=None,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Empty: everyone. Otherwise people of these organisations and the "
                    "departments below them."))
    instructions_zh = forms.CharField(
        label=_("Fulfilment instructions (Chinese)"), required=False, widget=_markdown_area(),
        help_text=_("Step by step for the desk, in Markdown (a numbered list works well)."))
    instructions_en = forms.CharField(label=_("Fulfilment instructions (English)"),
                                      required=False, widget=_markdown_area())
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, max_value=32767,
                                    initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True,
                                   help_text=_("Inactive: not offered; requests already "
                                               "ordered go on."))

    def __init__(self, *args, request_type=None, **kwargs):
        if request_type is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = self.initial_of(request_type)
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        querysets = {
            "category": Category.objects.filter(is_active=True).order_by("path"),
            "service": Service.objects.filter(is_active=True),
            "fulfilment_group": SupportGroup.objects.filter(is_active=True).order_by("code"),
            "sla_policy": SlaPolicy.objects.filter(is_active=True).order_by("code"),
            "impact": Impact.objects.all(), "urgency": Urgency.objects.all(),
            "audience": Organisation.objects.filter(is_active=True).order_by("code")}
        for name, queryset in querysets.items():
            self.fields[name].queryset = queryset
        if request_type is not None:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("The code cannot change.")
            self.fields["code"].initial = request_type.code

    @staticmethod
    def initial_of(request_type) -> dict:
        values = {name: getattr(request_type, name) for name in TYPE_FIELDS}
        return {**values, "code": request_type.code,
                "audience": list(request_type.audience.all())}

    def type_values(self) -> dict:
        """The attributes for the editing services (the code and audience apart)."""
        return {name: self.cleaned_data[name] for name in TYPE_FIELDS}


class RequestFieldForm(forms.Form):
    """One question of a type's form and the rules of its answer."""

    key = forms.SlugField(label=_("Key"), max_length=40,
                          help_text=_("The answer's name in the API, e.g. software."))
    kind = forms.ChoiceField(label=_("Kind"), choices=FieldKind.choices)
    label_zh = forms.CharField(label=_("Label (Chinese)"), max_length=200)
    label_en = forms.CharField(label=_("Label (English)"), max_length=200)
    help_zh = forms.CharField(label=_("Help text (Chinese)"), max_length=300, required=False)
    help_en = forms.CharField(label=_("Help text (English)"), max_length=300, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    max_length = forms.IntegerField(
        label=_("Maximum length"), required=False, min_value=1, max_value=100000,
        help_text=_("Text fields; empty: 200 characters for text, 4000 for long text."))
    regex = forms.CharField(label=_("Pattern"), max_length=300, required=False,
                            help_text=_("A regular expression the whole answer must match."))
    regex_message_zh = forms.CharField(label=_("Pattern message (Chinese)"), max_length=200,
                                       required=False)
    regex_message_en = forms.CharField(label=_("Pattern message (English)"), max_length=200,
                                       required=False)
    options = forms.CharField(
        label=_("Options"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Choice fields: one option per line, “value | 中文 | English”."))
    min_date = forms.DateField(label=_("Earliest date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    max_date = forms.DateField(label=_("Latest date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    in_summary = forms.BooleanField(
        label=_("In the short description"), required=False,
        help_text=_("The answer follows the type's name in the request's short description."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True,
                                   help_text=_("Inactive: no longer asked; requests that "
                                               "answered it keep the answer."))

    def __init__(self, *args, request_field=None, **kwargs):
        if request_field is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(request_field, name) for name in FIELD_FIELDS}
        super().__init__(*args, **kwargs)
        if request_field is not None and request_field.answered:
            for name in ("key", "kind"):  # the stored answers name them
                self.fields[name].disabled = True
                self.fields[name].initial = getattr(request_field, name)
                self.fields[name].help_text = _("Requests have answered this field: it "
                                                "cannot change.")

    def field_values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in FIELD_FIELDS}
        for name in ("help_zh", "help_en", "regex", "regex_message_zh", "regex_message_en",
                     "options"):
            values[name] = values[name] or ""
        return values
