"""Forms of the web pages. They collect input; the services decide what is valid."""

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Location, SupportGroup, User
from opsdesk.cmdb.models import Service
from opsdesk.incidents.choices import Action, Visibility
from opsdesk.reference.models import (Category, ClosureCode, Impact, Nature, PendingReason,
                                      ResolutionCode, Urgency)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by the attachment service."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def _active(model, **filters):
    return model.objects.filter(is_active=True, **filters)


class LevelChoiceField(forms.ModelChoiceField):
    """A level (urgency, impact) shown with its plain-words description."""

    def label_from_instance(self, obj):
        description = obj.description_zh if obj.name == obj.name_zh else obj.description_en
        return f"{obj.name} — {description}" if description else obj.name


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


class ReportForm(forms.Form):
    """The portal's short form: what is wrong, where, how urgent, and files."""

    short_description = forms.CharField(
        label=_("What is wrong?"), max_length=200,
        help_text=_("One line, e.g. “Cannot print on the 3rd floor”."))
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea,
        help_text=_("What you did, what you expected, what happened, error messages."))
    service = forms.ModelChoiceField(
        label=_("Which service is affected?"), required=False, empty_label=_("I don't know"),
        queryset=_active(Service))
    category = CategoryChoiceField(
        label=_("What kind of problem is it?"), required=False, empty_label=_("I don't know"),
        queryset=_active(Category).select_related("parent__parent"))
    urgency = LevelChoiceField(label=_("How urgent is it?"), queryset=Urgency.objects.all(),
                               initial=3)
    impact = LevelChoiceField(label=_("Who is affected?"), queryset=Impact.objects.all(),
                              initial=4)
    contact_phone = forms.CharField(label=_("Phone to reach you"), max_length=40, required=False)
    attachments = MultipleFileField(label=_("Screenshots or files"), required=False)


class EditForm(forms.Form):
    """Classify and describe an incident (the desk and the people working on it)."""

    short_description = forms.CharField(label=_("Short description"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    nature = forms.ModelChoiceField(label=_("Nature"), queryset=_active(Nature))
    category = CategoryChoiceField(label=_("Category"), required=False,
                                   queryset=_active(Category).select_related("parent__parent"))
    service = forms.ModelChoiceField(label=_("Service"), required=False,
                                     queryset=_active(Service))
    location = forms.ModelChoiceField(label=_("Location"), required=False,
                                      queryset=_active(Location))
    impact = LevelChoiceField(label=_("Impact"), queryset=Impact.objects.all())
    urgency = LevelChoiceField(label=_("Urgency"), queryset=Urgency.objects.all())

    FIELDS = ("short_description", "description", "nature", "category", "service", "location",
              "impact", "urgency")

    @classmethod
    def for_incident(cls, incident, data=None):
        initial = {name: getattr(incident, name) for name in cls.FIELDS}
        return cls(data, initial=initial, prefix="edit")

    def changes(self) -> dict:
        """Only the fields the person changed, so the history records just those."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    visibility = forms.ChoiceField(label=_("Who can read it"), choices=Visibility.choices,
                                   initial=Visibility.PUBLIC, required=False)
    attachments = MultipleFileField(label=_("Files"), required=False)


class ActionForm(forms.Form):
    """The parameters of one lifecycle action; fields are added per action."""

    def __init__(self, *args, action: Action, **kwargs):
        super().__init__(*args, prefix=action.value, **kwargs)
        self.action = action
        for name in ACTION_FIELDS.get(action, ()):
            self.fields[name] = FIELD_FACTORIES[name]()

    def params(self) -> dict:
        """Cleaned values as service parameters (empty values dropped)."""
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


def _reason():
    return forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}),
                           required=False, max_length=2000)


def _assignee():
    members = User.objects.filter(is_active=True, support_groups__isnull=False).distinct()
    return forms.ModelChoiceField(label=_("Assignee"), required=False, queryset=members,
                                  empty_label=_("Anyone in the group"))


FIELD_FACTORIES = {
    "reason": _reason,
    "assignment_group": lambda: forms.ModelChoiceField(
        label=_("Group"), required=False, queryset=_active(SupportGroup)),
    "assignee": _assignee,
    "pending_reason": lambda: forms.ModelChoiceField(
        label=_("Waiting for"), required=False, queryset=_active(PendingReason)),
    "resolution": lambda: forms.CharField(
        label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 3})),
    "resolution_code": lambda: forms.ModelChoiceField(
        label=_("Resolution code"), required=False, queryset=_active(ResolutionCode)),
    "is_workaround": lambda: forms.BooleanField(
        label=_("This is a workaround, not a permanent fix"), required=False),
    "closure_code": lambda: forms.ModelChoiceField(
        label=_("Closure code"), required=False, queryset=_active(ClosureCode)),
    "duplicate_of": lambda: forms.CharField(
        label=_("Duplicate of (incident number)"), required=False, max_length=20),
}
ACTION_FIELDS = {
    Action.ASSIGN: ("assignment_group", "assignee"),
    Action.HAND_BACK: ("reason",),
    Action.PEND: ("pending_reason", "reason"),
    Action.RESOLVE: ("resolution", "resolution_code", "is_workaround"),
    Action.REJECT: ("reason",),
    Action.REOPEN: ("reason",),
    Action.CANCEL: ("reason",),
    Action.CLOSE: ("closure_code", "duplicate_of"),
}
