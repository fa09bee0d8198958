"""Forms of the alert console and the intake settings. They collect input; services decide."""

import json
import re
from typing import ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import SupportGroup
from opsdesk.cmdb.models import Service
from opsdesk.intake.models import AlertIntegration, AlertRule, Mailbox, Silence
from opsdesk.reference.models import Category

from .settings_forms import CategoryChoiceField, NamedChoiceField

MATCHER_LINE = re.compile(r"^\s*([^\s=!~]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$")
DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


# ---- the alert console ---------------------------------------------------------------------

class AlertSilenceForm(forms.Form):
    """Silence alerts with this alert's labels for some hours."""

    hours = forms.IntegerField(label=_("Silence for (hours)"), min_value=1, max_value=24 * 30,
                               initial=2)
    comment = forms.CharField(label=_("Why"), max_length=500, required=False)


class SilenceExtendForm(forms.Form):
    """Let a silence in force last some hours longer."""

    hours = forms.IntegerField(label=_("Extend by (hours)"), min_value=1, max_value=24 * 30,
                               initial=1)


class AlertLinkForm(forms.Form):
    """Put the alert on an incident the desk names by its number."""

    number = forms.CharField(label=_("Incident number"), max_length=40,
                             widget=forms.TextInput(attrs={"placeholder": "INC…",
                                                           "autocomplete": "off"}))

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip().upper()


# ---- matchers as lines ---------------------------------------------------------------------

def matcher_lines(matchers) -> str:
    """[[label, op, value], …] as the lines people edit: "label op value"."""
    if not isinstance(matchers, list):
        return matchers or ""
    return "\n".join(" ".join(str(part) for part in m) for m in matchers)


class MatchersField(forms.CharField):
    """One matcher per line, "label op value", with op one of = != =~ !~ (regex)."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})

    def prepare_value(self, value):
        return matcher_lines(value)

    def to_python(self, value) -> list[list[str]]:
        lines = [line for line in (value or "").splitlines() if line.strip()]
        return [self._parse(number, line) for number, line in enumerate(lines, start=1)]

    @staticmethod
    def _parse(number: int, line: str) -> list[str]:
        match = MATCHER_LINE.match(line)
        if not match:
            raise ValidationError(_("Line %(n)d: write “label operator value”, e.g. "
                                    "“service = erp” or “severity =~ warning|info”.") % {
                "n": number})
        label, operator, value = match.groups()
        if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if operator in ("=~", "!~") and not _regex_ok(value):
            raise ValidationError(_("Line %(n)d: “%(value)s” is not a valid regular "
                                    "expression.") % {"n": number, "value": value})
        return [label, operator, value]


def _regex_ok(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


class JsonObjectField(forms.JSONField):
    """A JSON object typed in a text area; blank means {}."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "code"})
    default_error_messages: ClassVar[dict] = {"invalid": _("This is not valid JSON: check the quotes, commas "
                                           "and braces.")}

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValidationError(_("Write a JSON object, in braces: {…}."))
        return value

    def prepare_value(self, value):
        if value in (None, "", {}):
            return ""
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# ---- settings ------------------------------------------------------------------------------

def _defaults_fields() -> dict:
    return {
        "default_group": NamedChoiceField(
            label=_("Default support group"), required=False,
            queryset=SupportGroup.objects.filter(is_active=True)),
        "default_category": CategoryChoiceField(
            label=_("Default category"), required=False,
            queryset=Category.objects.filter(is_active=True).order_by("path")),
        "default_service": NamedChoiceField(
            label=_("Default service"), required=False,
            queryset=Service.objects.filter(is_active=True)),
    }


class IntegrationForm(forms.ModelForm):
    """An alert integration's settings (the token is made by the service, never typed)."""

    severity_map = JsonObjectField(label=_("Severity to impact and urgency"), required=False,
                                   help_text=AlertIntegration._meta.get_field(
                                       "severity_map").help_text)
    field_mapping = JsonObjectField(label=_("Field mapping"), required=False,
                                    help_text=_("Generic JSON and Datadog only: which field of "
                                                "the payload holds each alert field, e.g. "
                                                "{\"summary\": \"title\"}."))

    class Meta:
        model = AlertIntegration
        fields = ("name", "kind", "is_active", "default_group", "default_category",
                  "default_service", "group_by", "severity_map", "when_resolved",
                  "flap_minutes", "rate_limit_per_minute", "max_payload_kib", "field_mapping",
                  "senders")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["senders"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields.update(_defaults_fields())
        for name in ("rate_limit_per_minute", "max_payload_kib", "flap_minutes"):
            _at_least(self.fields[name], 0 if name == "flap_minutes" else 1)


def _at_least(field, minimum: int) -> None:
    field.validators.append(MinValueValidator(minimum))
    field.widget.attrs["min"] = minimum


class IntegrationChoiceField(forms.ModelChoiceField):
    """An integration, or blank for every integration."""

    def __init__(self, **kwargs):
        super().__init__(queryset=AlertIntegration.objects.order_by("name"), required=False,
                         empty_label=_("Every integration"), **kwargs)


class AlertRuleForm(forms.ModelForm):
    """A filter rule: where it applies, its place in the order, drop or keep, and matchers."""

    integration = IntegrationChoiceField(label=_("Integration"))
    matchers = MatchersField(label=_("Matchers"), help_text=_(
        "One per line: label operator value. Operators: = != =~ !~ (regular expression). "
        "“severity” and “summary” match the alert's own fields. Every line must hold."))

    class Meta:
        model = AlertRule
        fields = ("integration", "position", "action", "matchers", "is_active")


class SilenceForm(forms.ModelForm):
    """A silence or maintenance window; times are in the reader's own time zone."""

    integration = IntegrationChoiceField(label=_("Integration"))
    matchers = MatchersField(label=_("Matchers"), required=False, help_text=_(
        "One per line: label operator value, e.g. “host = db1” or “service =~ erp|crm”. "
        "Blank: every alert of the chosen integration."))
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DATETIME_LOCAL)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DATETIME_LOCAL)
    repeat_until = forms.DateTimeField(label=_("Repeats until"), widget=DATETIME_LOCAL,
                                       required=False, help_text=_("Blank: for ever."))

    class Meta:
        model = Silence
        fields = ("kind", "integration", "matchers", "starts_at", "ends_at", "repeat",
                  "repeat_until", "comment")


def _secret_field(label) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))


class MailboxForm(forms.ModelForm):
    """A mailbox. Its secrets (password, OAuth2 client secret and refresh token) are
    write-only: typed in, never shown; blank keeps the saved one."""

    SECRETS: ClassVar[dict] = {
        "password": _("A password is saved. Leave this empty to keep it."),
        "oauth_client_secret": _("A client secret is saved. Leave this empty to keep it."),
        "oauth_refresh_token": _("A refresh token is saved. Leave this empty to keep it; a "
                                 "new one the server sends replaces it by itself."),
    }
    password = _secret_field(_("Password"))
    oauth_token_url = forms.URLField(
        label=_("Token endpoint"), required=False, max_length=500, assume_scheme="https",
        help_text=Mailbox._meta.get_field("oauth_token_url").help_text)
    oauth_client_secret = _secret_field(_("Client secret"))
    oauth_refresh_token = _secret_field(_("Refresh token"))
    alert_integration = forms.ModelChoiceField(
        label=_("Monitoring mails go to"), required=False,
        queryset=AlertIntegration.objects.filter(kind=AlertIntegration.Kind.ICINGA_MAIL),
        help_text=Mailbox._meta.get_field("alert_integration").help_text)

    class Meta:
        model = Mailbox
        fields = ("name", "address", "host", "port", "security", "username", "auth_method",
                  "password", "oauth_grant", "oauth_token_url", "oauth_client_id",
                  "oauth_client_secret", "oauth_scope", "oauth_refresh_token", "folder",
                  "after_store", "move_to_folder", "poll_seconds", "is_active",
                  "create_contacts", "default_group", "default_category", "default_service",
                  "alert_integration", "sender_auth", "trusted_authserv_ids")
        widgets: ClassVar[dict] = {"trusted_authserv_ids": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_defaults_fields())
        _at_least(self.fields["poll_seconds"], 10)
        # a form that does not send it (an older client, a script) keeps the saved policy
        self.fields["sender_auth"].required = False
        for name, saved in self.SECRETS.items():
            if self.instance.pk and getattr(self.instance, name):
                self.fields[name].help_text = saved
            elif name == "oauth_refresh_token":
                self.fields[name].help_text = Mailbox._meta.get_field(name).help_text

    def clean(self):
        cleaned = super().clean()
        cleaned["sender_auth"] = cleaned.get("sender_auth") or self.instance.sender_auth
        for name in self.SECRETS:  # blank keeps the saved secret
            cleaned[name] = cleaned.get(name) or getattr(self.instance, name)
        return cleaned
