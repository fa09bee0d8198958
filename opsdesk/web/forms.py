"""Forms of the web pages. They collect input; the services decide what is valid."""

from datetime import timedelta

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Location, SupportGroup, User
from opsdesk.accounts.selectors import support_group_members
from opsdesk.cmdb.models import Service
from opsdesk.incidents.choices import Action, Visibility
from opsdesk.incidents.services import incident_version
from opsdesk.reference.models import (
    Category,
    ClosureCode,
    Impact,
    Nature,
    PendingReason,
    ResolutionCode,
    Urgency,
)
from opsdesk.vendors.models import Vendor

# The value format of <input type="datetime-local"> (minutes; the browser shows it localised).
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# Clocks of browsers and servers differ a little: "now" typed a minute ahead is not the future.
FUTURE_TOLERANCE = timedelta(minutes=5)


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


class PastDateTimeField(forms.DateTimeField):
    """A moment typed in the person's time zone (datetime-local), never in the future."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)

    def validate(self, value):
        super().validate(value)
        if value is not None and value > timezone.now() + FUTURE_TOLERANCE:
            raise forms.ValidationError(_("This is in the future; enter when it really started."),
                                        code="future")


def _limit_to_now(field) -> None:
    """Let the browser's picker stop at the current minute, in the active time zone."""
    field.widget.attrs["max"] = timezone.localtime().strftime(DATETIME_LOCAL)


class ReportForm(forms.Form):
    """The portal's short form: what is wrong, where, since when, how urgent, and files."""

    short_description = forms.CharField(
        label=_("What is wrong?"), max_length=200,
        help_text=_("One line, e.g. “Cannot print on the 3rd floor”."))
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
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
    location = forms.ModelChoiceField(
        label=_("Where is it?"), required=False, empty_label=_("I don't know"),
        queryset=_active(Location), help_text=_("The site, building or floor."))
    occurred_at = PastDateTimeField(
        label=_("When did it start?"), required=False,
        help_text=_("Leave it empty if it has just started."))
    contact_phone = forms.CharField(label=_("Phone to reach you"), max_length=40, required=False)
    attachments = MultipleFileField(label=_("Screenshots or files"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_to_now(self.fields["occurred_at"])


class EditForm(forms.Form):
    """Classify and describe an incident (the desk and the people working on it)."""

    short_description = forms.CharField(label=_("Short description"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    nature = forms.ModelChoiceField(label=_("Nature"), queryset=_active(Nature),
                                    empty_label=_("Choose…"))
    category = CategoryChoiceField(label=_("Category"), required=False, empty_label=_("Not set"),
                                   queryset=_active(Category).select_related("parent__parent"))
    service = forms.ModelChoiceField(label=_("Service"), required=False,
                                     queryset=_active(Service), empty_label=_("Not set"))
    location = forms.ModelChoiceField(label=_("Location"), required=False,
                                      queryset=_active(Location), empty_label=_("Not set"))
    occurred_at = PastDateTimeField(label=_("Occurred at"), required=False)
    # A bare "---------" says nothing; empty_label=None would cost an extra query per field.
    impact = LevelChoiceField(label=_("Impact"), queryset=Impact.objects.all(),
                              empty_label=_("Choose…"))
    urgency = LevelChoiceField(label=_("Urgency"), queryset=Urgency.objects.all(),
                               empty_label=_("Choose…"))
    vendor = forms.ModelChoiceField(label=_("Vendor"), required=False, queryset=_active(Vendor),
                                    empty_label=_("None"),
                                    help_text=_("The third party working on it, if any."))
    vendor_reference = forms.CharField(label=_("Vendor's ticket number"), max_length=100,
                                       required=False)
    # The incident's version when the form was shown: a save by someone else since is a
    # conflict, not an overwrite (incident_update's expected_version).
    version = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    FIELDS = ("short_description", "description", "nature", "category", "service", "location",
              "occurred_at", "impact", "urgency", "vendor", "vendor_reference")

    @classmethod
    def for_incident(cls, incident, data=None):
        initial = {name: getattr(incident, name) for name in cls.FIELDS}
        initial["version"] = incident_version(incident.updated_at)
        if initial["occurred_at"] is not None:  # the input has minutes: seconds are no change
            initial["occurred_at"] = initial["occurred_at"].replace(second=0, microsecond=0)
        form = cls(data, initial=initial, prefix="edit")
        _limit_to_now(form.fields["occurred_at"])
        return form

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("vendor_reference") and not cleaned.get("vendor") \
                and "vendor" not in self.errors:
            self.add_error("vendor", _("Choose the vendor whose ticket number this is."))
        return cleaned

    def changes(self) -> dict:
        """Only the fields the person changed, so the history records just those."""
        return {name: self.cleaned_data[name] for name in self.changed_data
                if name in self.FIELDS}


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    visibility = forms.ChoiceField(label=_("Who can read it"), choices=Visibility.choices,
                                   initial=Visibility.PUBLIC, required=False)
    attachments = MultipleFileField(label=_("Files"), required=False)


PEOPLE_LABELS = {"collaborators": _("Add a collaborator"), "watchers": _("Add a watcher")}


class PeopleForm(forms.Form):
    """Add or remove one collaborator or watcher, named by username or e-mail address."""

    person = forms.CharField(max_length=254)
    remove = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, field: str, **kwargs):
        super().__init__(*args, prefix=field, **kwargs)
        self.field = field
        person = self.fields["person"]
        person.label = PEOPLE_LABELS[field]
        if field == "collaborators":  # support staff only: a short list to choose from
            person.widget = forms.Select(choices=[("", _("Choose a person"))] + [
                (u.username, u.label) for u in _support_staff()])
        else:
            person.widget.attrs.update(autocomplete="off", placeholder=_("Username or e-mail"))

    def clean_person(self):
        value = self.cleaned_data["person"].strip()
        user = User.objects.filter(is_active=True).filter(
            Q(username=value) | Q(email__iexact=value)).order_by("id").first()
        if user is None:
            raise forms.ValidationError(_("Nobody with the username or e-mail “%(value)s”.") % {
                "value": value})
        return user


def _support_staff():
    """Active people who work incidents (the desk, engineers, managers), by name."""
    return User.objects.filter(is_active=True).filter(
        Q(is_service_desk=True) | Q(is_engineer=True) | Q(is_incident_manager=True)
        | Q(support_groups__isnull=False)).distinct().order_by("display_name", "username")


class MemberChoiceField(forms.ModelChoiceField):
    """The assignee: offered among the chosen group's members, checked by the service.

    Validation accepts anyone in a support group, so that choosing someone outside the group
    gets the service's message ("… is not a member of …") next to the field.
    """

    def __init__(self, **kwargs):
        members = User.objects.filter(is_active=True, support_groups__isnull=False).distinct()
        super().__init__(queryset=members, required=False, empty_label=_("Anyone in the group"),
                         **kwargs)
        self.offer_group(None)

    def offer_group(self, group_id) -> None:
        """Offer only the members of this group (nobody until a group is chosen)."""
        people = support_group_members(group_id=group_id) if group_id else []
        self.widget.choices = [("", self.empty_label)] + [
            (u.pk, f"{u.label} ({u.username})") for u in people]


class ActionForm(forms.Form):
    """The parameters of one lifecycle action; fields are added per action."""

    def __init__(self, *args, action: Action, label: str = "", **kwargs):
        super().__init__(*args, prefix=action.value, **kwargs)
        self.action = action
        self.label = label or action.label
        for name in ACTION_FIELDS.get(action, ()):
            self.fields[name] = FIELD_FACTORIES[name]()
        if action == Action.ASSIGN:
            self._offer_members()

    def _offer_members(self) -> None:
        group = self.fields["assignment_group"]
        group.widget.attrs.update({
            "hx-get": reverse("web:lookup_members"), "hx-trigger": "change",
            "hx-target": f"#{self['assignee'].auto_id}", "hx-swap": "innerHTML",
            # The select sends its own value (no `js:` hx-vals: the CSP allows no eval).
            "hx-params": self.add_prefix("assignment_group"), "hx-sync": "this:replace"})
        group_id = self.data.get(self.add_prefix("assignment_group")) if self.is_bound else None
        self.fields["assignee"].offer_group(group_id if str(group_id or "").isdigit() else None)

    def params(self) -> dict:
        """Cleaned values as service parameters (empty values dropped)."""
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


def _reason():
    return forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}),
                           required=False, max_length=2000)


FIELD_FACTORIES = {
    "reason": _reason,
    "assignment_group": lambda: forms.ModelChoiceField(
        label=_("Group"), required=False, queryset=_active(SupportGroup), empty_label=_("Choose…")),
    "assignee": lambda: MemberChoiceField(label=_("Assignee")),
    "pending_reason": lambda: forms.ModelChoiceField(
        label=_("Waiting for"), required=False, queryset=_active(PendingReason), empty_label=_("Choose…")),
    "resolution": lambda: forms.CharField(
        label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 3})),
    "resolution_code": lambda: forms.ModelChoiceField(
        label=_("Resolution code"), required=False, queryset=_active(ResolutionCode),
        empty_label=_("Choose…")),
    "is_workaround": lambda: forms.BooleanField(
        label=_("This is a workaround, not a permanent fix"), required=False),
    "closure_code": lambda: forms.ModelChoiceField(
        label=_("Closure code"), required=False, queryset=_active(ClosureCode), empty_label=_("Choose…")),
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
