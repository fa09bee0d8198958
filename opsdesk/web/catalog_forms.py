"""The order form of a request type, built from its fields. The form only collects what was
typed; the catalogue's service checks every answer (opsdesk.catalog.answers), so the portal, the
desk and the API follow one set of rules and show the same messages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.catalog.models import FieldKind

TEXTAREA_ROWS = 4


def _form_field(request_field) -> forms.Field:
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
        field = forms.CharField(widget=forms.TextInput(attrs={
            "placeholder": _("username or email"), "autocomplete": "off"}), **common)
    elif kind == FieldKind.ATTACHMENT:
        field = forms.FileField(**common)
    else:
        field = forms.CharField(strip=False, **common)
    field.answer_required = request_field.required  # for the mark; the service checks it
    if request_field.required:
        field.widget.attrs["aria-required"] = "true"
    return field


class RequestOrderForm(forms.Form):
    """The questions of one request type (and, for the desk, who called and how to reach them)."""

    def __init__(self, *args, request_fields, for_desk: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_fields = list(request_fields)
        if for_desk:
            self.fields["requester"] = forms.CharField(
                label=_("Requester"), help_text=_("Username or email of the caller."),
                max_length=254)
            self.fields["requester"].answer_required = True
            self.fields["contact_phone"] = forms.CharField(label=_("Contact phone"),
                                                           max_length=40, required=False)
        for request_field in self.request_fields:
            self.fields[request_field.key] = _form_field(request_field)

    def answers(self) -> dict:
        """What was typed for each non-file field, as strings keyed by the field's key."""
        return {f.key: self.cleaned_data.get(f.key) or "" for f in self.request_fields
                if f.kind != FieldKind.ATTACHMENT}

    def files_by_key(self) -> dict:
        return {f.key: self.cleaned_data[f.key] for f in self.request_fields
                if f.kind == FieldKind.ATTACHMENT and self.cleaned_data.get(f.key)}

    def answer_fields(self):
        """The bound fields of the questions, in order."""
        return [self[f.key] for f in self.request_fields]
