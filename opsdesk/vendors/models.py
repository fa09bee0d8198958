"""Third-party suppliers that support engineers contact (涉及第三方支持), their contacts,
underpinning contracts, and each time an incident was handed to one of them (an engagement).

Contract times are business seconds on the contract's support calendar (an
`sla.BusinessCalendar`, like our own SLA targets); a contract without a calendar counts every
minute (7×24). An engagement snapshots its contract's promise as due dates when it is created,
so editing a contract later never changes how past engagements were measured.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from opsdesk.core import lookups
from opsdesk.core.models import TimeStampedModel


class Vendor(TimeStampedModel):
    """A supplier with its main support contact (the address functional escalation mails)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        lookups.forget(Vendor)  # lists read vendors from memory

    def __str__(self) -> str:
        return self.name


class VendorContact(TimeStampedModel):
    """A person at the vendor; escalation contacts are called in order of their level."""

    vendor = models.ForeignKey(Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE,
                               related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=100, blank=True,
                            help_text=_("E.g. service manager, on-call engineer."))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_escalation = models.BooleanField(_("escalation contact"), default=False)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), default=0,
        help_text=_("1 is called first when the vendor must be escalated, then 2 …"))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["vendor", "-is_escalation", "escalation_level", "sort_order", "name"]
        verbose_name = _("vendor contact")
        verbose_name_plural = _("vendor contacts")
        indexes = [models.Index(fields=["vendor", "is_active", "sort_order"],
                                name="vendor_contact_list")]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


class VendorContract(TimeStampedModel):
    """An underpinning contract (支持合同): what the vendor supports and what it promises."""

    vendor = models.ForeignKey(Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE,
                               related_name="contracts")
    number = models.CharField(_("contract number"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True,
                               help_text=_("Empty: until further notice."))
    services = models.ManyToManyField("cmdb.Service", verbose_name=_("services supported"),
                                      blank=True, related_name="vendor_contracts")
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem", verbose_name=_("configuration items supported"), blank=True,
        related_name="vendor_contracts")
    calendar = models.ForeignKey(
        "sla.BusinessCalendar", verbose_name=_("support hours"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("The calendar the promised times count on. Empty: around the clock."))
    response_seconds = models.PositiveIntegerField(
        _("promised response (business seconds)"), null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(
        _("promised resolution (business seconds)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["vendor", "-is_active", "number"]
        verbose_name = _("vendor contract")
        verbose_name_plural = _("vendor contracts")
        constraints = [
            models.UniqueConstraint(fields=["vendor", "number"], name="vendor_contract_number"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True)
                                   | Q(ends_on__gte=F("starts_on")),
                                   name="vendor_contract_dates_in_order"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def covers_day(self, day) -> bool:
        """Whether the contract is in force on that date."""
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class EngagementChannel(models.TextChoices):
    """How the vendor was contacted."""

    PHONE = "phone", _("phone")
    EMAIL = "email", _("email")
    PORTAL = "portal", _("vendor's portal")
    IM = "im", _("instant messaging")
    ONSITE = "onsite", _("on site")


class VendorEngagement(TimeStampedModel):
    """One time an incident was handed to a vendor ("contact vendor"), measured on its contract.

    The due dates are the contract's promise applied at contact time (business time on the
    contract's calendar); the durations are business seconds on the same calendar, written when
    the response and the resolution are recorded.
    """

    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"),
                                 on_delete=models.CASCADE, related_name="vendor_engagements")
    vendor = models.ForeignKey(Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT,
                               related_name="engagements")
    contract = models.ForeignKey(VendorContract, verbose_name=_("contract"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="engagements")
    contact = models.ForeignKey(VendorContact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    reference = models.CharField(_("vendor's ticket number"), max_length=100, blank=True)
    contacted_via = models.CharField(_("contacted through"), max_length=16,
                                     choices=EngagementChannel, default=EngagementChannel.PHONE)
    contacted_at = models.DateTimeField(_("contacted at"))
    contacted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("contacted by"),
                                     null=True, on_delete=models.SET_NULL, related_name="+")
    responded_at = models.DateTimeField(_("vendor responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("vendor resolved at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    response_due_at = models.DateTimeField(_("response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    response_seconds = models.PositiveIntegerField(_("response time (business seconds)"),
                                                   null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(_("resolution time (business seconds)"),
                                                     null=True, blank=True)

    class Meta:
        ordering = ["-contacted_at", "-id"]
        verbose_name = _("vendor engagement")
        verbose_name_plural = _("vendor engagements")
        indexes = [
            models.Index(fields=["incident", "contacted_at"], name="vendor_engagement_incident"),
            models.Index(fields=["vendor", "contacted_at"], name="vendor_engagement_vendor"),
            models.Index(fields=["contacted_at"], name="vendor_engagement_period"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(responded_at__isnull=True)
                                   | Q(responded_at__gte=F("contacted_at")),
                                   name="vendor_engagement_response_after_contact"),
            models.CheckConstraint(condition=Q(resolved_at__isnull=True)
                                   | Q(responded_at__isnull=False,
                                       resolved_at__gte=F("responded_at")),
                                   name="vendor_engagement_resolution_after_response"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} {self.reference}".strip()

    @property
    def is_open(self) -> bool:
        """The vendor has not said it is fixed yet."""
        return self.resolved_at is None

    def response_met(self, now=None) -> bool | None:
        """True/False against the contract; None while it can still be met or without a promise."""
        return _met(self.response_due_at, self.responded_at, now)

    def resolution_met(self, now=None) -> bool | None:
        """True/False against the contract; None while it can still be met or without a promise."""
        return _met(self.resolution_due_at, self.resolved_at, now)


def _met(due, done, now) -> bool | None:
    if due is None:
        return None
    if done is not None:
        return done <= due
    if now is not None and now > due:
        return False  # overdue and still waiting: already breached
    return None
