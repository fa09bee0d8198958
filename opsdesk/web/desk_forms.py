"""The service desk's fast logging form: a phone or walk-in report in one screen."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Location, SupportGroup, User
from opsdesk.accounts.selectors import user_search
from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.reference.models import (
    Category,
    Impact,
    Nature,
    Priority,
    ResolutionCode,
    Source,
    Urgency,
)

from .forms import CategoryChoiceField, LevelChoiceField, MultipleFileField

PHONE_SOURCE, INCIDENT_NATURE = "01", "01"
FALLBACK_MATCHES = 8  # people compared with what was typed when nobody was chosen from the list
# Fields handed to incident_create as they are (empty ones are left out).
RECORD_FIELDS = (
    "requester", "contact_name", "contact_phone", "occurred_at", "location", "source", "nature",
    "short_description", "description", "category", "service", "configuration_items", "impact",
    "urgency", "priority", "priority_override_reason",
)


def _active(model):
    return model.objects.filter(is_active=True)


class PersonLabelField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.label} ({obj.username})"


class DeskLogForm(forms.Form):
    """Everything the desk records at logging (SPEC §2), assignment or first-line resolution."""

    requester = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True)
                                       .select_related("department", "location"),
                                       required=False, widget=forms.HiddenInput)
    requester_query = forms.CharField(
        label=_("Requester"), max_length=200, required=False,
        help_text=_("Type a name, username, phone, email or department, then choose the person."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    contact_name = forms.CharField(label=_("Contact person, if not the requester"),
                                   max_length=100, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False,
                                    widget=forms.TextInput(attrs={"type": "tel"}))
    source = forms.ModelChoiceField(label=_("Source"), queryset=_active(Source),
                                    initial=PHONE_SOURCE, empty_label=None)
    nature = forms.ModelChoiceField(label=_("Nature"), queryset=_active(Nature),
                                    initial=INCIDENT_NATURE, empty_label=None)
    short_description = forms.CharField(label=_("Short description"), max_length=200,
                                        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    category = CategoryChoiceField(label=_("Category"), required=False, empty_label=_("Not set"),
                                   queryset=_active(Category).select_related("parent__parent"))
    service = forms.ModelChoiceField(label=_("Service"), required=False, queryset=_active(Service),
                                     empty_label=_("Not set"))
    configuration_items = forms.ModelMultipleChoiceField(
        label=_("Configuration items"), required=False, queryset=_active(ConfigurationItem),
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text=_("Hold Ctrl (or ⌘) to choose several."))
    location = forms.ModelChoiceField(label=_("Location"), required=False,
                                      queryset=_active(Location), empty_label=_("Not set"))
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    impact = LevelChoiceField(label=_("Impact"), queryset=Impact.objects.all(), initial=4,
                              empty_label=None)
    urgency = LevelChoiceField(label=_("Urgency"), queryset=Urgency.objects.all(), initial=3,
                               empty_label=None)
    priority = forms.ModelChoiceField(label=_("Override the priority"), required=False,
                                      queryset=Priority.objects.all(),
                                      empty_label=_("No: use the matrix"))
    priority_override_reason = forms.CharField(label=_("Reason for the override"),
                                               max_length=300, required=False)
    attachments = MultipleFileField(label=_("Screenshots or files"), required=False)
    parent = forms.CharField(label=_("Another report of"), max_length=20, required=False)
    assignment_group = forms.ModelChoiceField(label=_("Assign to group"), required=False,
                                              queryset=_active(SupportGroup),
                                              empty_label=_("Not now"))
    assignee = PersonLabelField(label=_("Assign to person"), required=False,
                                queryset=User.objects.none(),
                                empty_label=_("Anyone in the group"))
    resolution_code = forms.ModelChoiceField(label=_("Resolution code"), required=False,
                                             queryset=_active(ResolutionCode),
                                             empty_label=_("Not resolving now"))
    resolution = forms.CharField(label=_("Resolution"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    is_workaround = forms.BooleanField(label=_("This is a workaround, not a permanent fix"),
                                       required=False)

    def __init__(self, *args, can_override: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self._live_lookups()
        group_id = self.data.get("assignment_group", "") if self.is_bound else ""
        if str(group_id).isdigit():  # the people offered (and accepted) are the group's members
            self.fields["assignee"].queryset = User.objects.filter(
                is_active=True, support_groups=int(group_id)).order_by("display_name", "username")
        if not can_override:
            del self.fields["priority"], self.fields["priority_override_reason"]

    def _live_lookups(self) -> None:
        """htmx: type-ahead for the requester; the group's members for the assignee."""
        self.fields["requester_query"].widget.attrs.update({
            "hx-get": reverse("web:lookup_people"), "hx-target": "#requester-results",
            "hx-trigger": "input changed delay:300ms, search", "hx-sync": "this:replace",
            "data-lookup-param": "q", "aria-controls": "requester-results"})
        self.fields["assignment_group"].widget.attrs.update({
            "hx-get": reverse("web:lookup_members"), "hx-target": "#id_assignee",
            "hx-trigger": "change", "data-lookup-param": "group"})

    def clean(self):
        data = super().clean()
        if data.get("requester") is None and "requester" not in self.errors:
            self._find_requester(data)
        if data.get("assignee") and not data.get("assignment_group"):
            self.add_error("assignment_group", _("Choose the group of this person."))
        if data.get("assignment_group") and (data.get("resolution") or data.get("resolution_code")):
            self.add_error("assignment_group", _(
                "Resolve it now or assign it, not both: clear the group or the resolution."))
        self._check_resolution(data)
        return data

    def _check_resolution(self, data) -> None:
        """Both halves of a resolution, so every mistake shows at once (the service checks too)."""
        text, code = (data.get("resolution") or "").strip(), data.get("resolution_code")
        if code and not text:
            self.add_error("resolution", _("Describe the resolution."))
        elif text and not code and "resolution_code" not in self.errors:
            self.add_error("resolution_code", _("Choose a resolution code."))

    def _find_requester(self, data) -> None:
        """Without a chosen person, what was typed must name exactly one (works without JS)."""
        typed = (data.get("requester_query") or "").strip()
        if not typed:
            self.add_error("requester_query", _("Find the requester and choose them."))
            return
        found = user_search(text=typed, limit=FALLBACK_MATCHES)
        exact = [u for u in found if typed.casefold() in (u.username.casefold(),
                                                          u.email.casefold(), u.phone)]
        if len(exact) == 1 or len(found) == 1:
            data["requester"] = (exact or found)[0]
        elif found:
            self.add_error("requester_query", _(
                "Several people match “%(typed)s”: choose one from the list.") % {"typed": typed})
        else:
            self.add_error("requester_query", _("Nobody matches “%(typed)s”.") % {"typed": typed})

    def record(self) -> dict:
        """The incident's fields for incident_create (empty values left out)."""
        return {name: self.cleaned_data[name] for name in RECORD_FIELDS
                if self.cleaned_data.get(name) not in (None, "", [])}

    def assignment(self) -> dict | None:
        """The parameters of the assign action, or None to leave it with the desk."""
        group = self.cleaned_data.get("assignment_group")
        if group is None:
            return None
        return {"assignment_group": group, "assignee": self.cleaned_data.get("assignee")}

    def resolution_params(self) -> dict | None:
        """The parameters of the resolve action when the desk resolves it now, else None."""
        data = self.cleaned_data
        if not (data.get("resolution") or data.get("resolution_code")):
            return None
        return {"resolution": data.get("resolution") or "",
                "resolution_code": data.get("resolution_code"),
                "is_workaround": data.get("is_workaround", False)}
