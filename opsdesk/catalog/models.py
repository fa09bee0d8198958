"""The service request catalogue (服务目录): request types, their form fields, and the details of
each request ordered from it (the request itself is an incident of nature 02, number SR…)."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import BilingualNamed, TimeStampedModel

# Field keys the order form and the API use for themselves.
RESERVED_KEYS = frozenset({"requester", "request_type", "contact_phone", "answers", "files",
                           "csrfmiddlewaretoken"})


def in_language(zh: str, en: str) -> str:
    """The Chinese or English text for the active language, falling back to the other."""
    if (get_language() or "zh-hans").lower().startswith("zh"):
        return zh or en
    return en or zh


class RequestType(BilingualNamed, TimeStampedModel):
    """A catalogue item (服务目录项): what can be ordered, who fulfils it, and how fast."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    icon = models.CharField(_("icon"), max_length=16, blank=True,
                            help_text=_("An emoji or a short label shown on the catalogue."))
    category = models.ForeignKey("reference.Category", verbose_name=_("category"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("cmdb.Service", verbose_name=_("service"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    fulfilment_group = models.ForeignKey(
        "accounts.SupportGroup", verbose_name=_("fulfilment group"), on_delete=models.PROTECT,
        related_name="+")
    needs_approval = models.BooleanField(
        _("needs approval"), default=False,
        help_text=_("The requester's manager (else the head of their department) approves "
                    "before the group works on it."))
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy", verbose_name=_("SLA policy"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("Empty: the policy the priority matrix chooses."))
    impact = models.ForeignKey("reference.Impact", verbose_name=_("impact"),
                               on_delete=models.PROTECT, related_name="+", default=4)
    urgency = models.ForeignKey("reference.Urgency", verbose_name=_("urgency"),
                                on_delete=models.PROTECT, related_name="+", default=3)
    instructions_zh = models.TextField(
        _("fulfilment instructions (Chinese)"), blank=True,
        help_text=_("Step by step for the desk, in Markdown (a numbered list works well)."))
    instructions_en = models.TextField(_("fulfilment instructions (English)"), blank=True)
    audience = models.ManyToManyField(
        "accounts.Organisation", verbose_name=_("who may order"), blank=True, related_name="+",
        help_text=_("Empty: everyone. Otherwise people of these organisations and the "
                    "departments below them."))
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")
        indexes = [models.Index(fields=["is_active", "sort_order", "code"],
                                name="catalog_type_active_order")]

    @property
    def description(self) -> str:
        return in_language(self.description_zh, self.description_en)

    @property
    def instructions(self) -> str:
        return in_language(self.instructions_zh, self.instructions_en)

    def active_fields(self) -> list["RequestField"]:
        """The questions asked today, in order (from the prefetched fields when there are)."""
        return sorted((f for f in self.fields.all() if f.is_active),
                      key=lambda f: (f.sort_order, f.pk))


class FieldKind(models.TextChoices):
    TEXT = "text", _("text")
    LONG_TEXT = "long_text", _("long text")
    CHOICE = "choice", _("choice")
    DATE = "date", _("date")
    USER = "user", _("person")
    ATTACHMENT = "attachment", _("attachment")


def parse_options(text: str) -> list[tuple[str, str, str]]:
    """The options of a choice field: one per line, `value | 中文 | English`."""
    options = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        value = parts[0]
        zh = parts[1] if len(parts) > 1 and parts[1] else value
        en = parts[2] if len(parts) > 2 and parts[2] else zh
        options.append((value, zh, en))
    return options


class RequestField(models.Model):
    """One question of a request type's form, with the rules its answer must follow."""

    request_type = models.ForeignKey(RequestType, verbose_name=_("request type"),
                                     on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(_("key"), max_length=40,
                           help_text=_("The answer's name in the API, e.g. software."))
    kind = models.CharField(_("kind"), max_length=16, choices=FieldKind.choices,
                            default=FieldKind.TEXT)
    label_zh = models.CharField(_("label (Chinese)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    help_zh = models.CharField(_("help text (Chinese)"), max_length=300, blank=True)
    help_en = models.CharField(_("help text (English)"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    max_length = models.PositiveIntegerField(
        _("maximum length"), null=True, blank=True,
        help_text=_("Text fields; empty: 200 characters for text, 4000 for long text."))
    regex = models.CharField(_("pattern"), max_length=300, blank=True,
                             help_text=_("A regular expression the whole answer must match."))
    regex_message_zh = models.CharField(_("pattern message (Chinese)"), max_length=200,
                                        blank=True)
    regex_message_en = models.CharField(_("pattern message (English)"), max_length=200,
                                        blank=True)
    options = models.TextField(
        _("options"), blank=True,
        help_text=_("Choice fields: one option per line, “value | 中文 | English”."))
    min_date = models.DateField(_("earliest date"), null=True, blank=True)
    max_date = models.DateField(_("latest date"), null=True, blank=True)
    in_summary = models.BooleanField(
        _("in the short description"), default=False,
        help_text=_("The answer follows the type's name in the request's short description."))
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(
        _("active"), default=True,
        help_text=_("Inactive: no longer asked; requests that answered it keep the answer."))
    # Set once a request stored an answer to it: from then on it is only ever deactivated, and
    # its key and kind stay (the answers name it).
    answered = models.BooleanField(_("answered"), default=False, editable=False)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("request field")
        verbose_name_plural = _("request fields")
        constraints = [models.UniqueConstraint(fields=["request_type", "key"],
                                               name="catalog_field_key_unique")]

    def __str__(self) -> str:
        return f"{self.key} ({self.label})"

    @property
    def label(self) -> str:
        return in_language(self.label_zh, self.label_en)

    @property
    def help_text(self) -> str:
        return in_language(self.help_zh, self.help_en)

    @property
    def regex_message(self) -> str:
        return in_language(self.regex_message_zh, self.regex_message_en)

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(value, label in the active language) of a choice field."""
        return [(value, in_language(zh, en)) for value, zh, en in parse_options(self.options)]

    def clean(self):
        errors = {}
        if self.key in RESERVED_KEYS:
            errors["key"] = _("This key is used by the form itself; choose another.")
        if self.regex:
            try:
                re.compile(self.regex)
            except re.error as error:
                errors["regex"] = _("Not a valid regular expression: %(error)s") % {
                    "error": error}
        if self.kind == FieldKind.CHOICE:
            values = [value for value, _zh, _en in parse_options(self.options)]
            if not values:
                errors["options"] = _("A choice field needs at least one option.")
            elif len(set(values)) != len(values):
                errors["options"] = _("Each option needs its own value.")
        if self.min_date and self.max_date and self.min_date > self.max_date:
            errors["max_date"] = _("The latest date comes before the earliest.")
        if errors:
            raise ValidationError(errors)


class ApprovalState(models.TextChoices):
    NOT_NEEDED = "not_needed", _("not needed")
    PENDING = "pending", _("awaiting approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class ServiceRequest(models.Model):
    """What a service request (an incident of nature 02) was ordered as: its type, the answers
    as they read at order time (labels frozen, so later edits of the form change no old
    request), and its approval."""

    incident = models.OneToOneField("incidents.Incident", verbose_name=_("incident"),
                                    on_delete=models.CASCADE, related_name="service_request")
    request_type = models.ForeignKey(RequestType, verbose_name=_("request type"),
                                     on_delete=models.PROTECT, related_name="requests")
    # [{"key", "kind", "label_zh", "label_en", "value", "display_zh", "display_en"}, …]
    answers = models.JSONField(_("answers"), default=list, blank=True)
    approval_state = models.CharField(_("approval"), max_length=16,
                                      choices=ApprovalState.choices,
                                      default=ApprovalState.NOT_NEEDED)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approver"),
                                 null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    created_at = models.DateTimeField(_("ordered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [models.Index(fields=["approver", "approval_state", "created_at"],
                                name="catalog_request_approvals")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.request_type_id}"
