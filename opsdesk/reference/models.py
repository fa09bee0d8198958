"""Code tables of SPEC §2, editable by the process owner, and the priority matrix."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.core import lookups
from opsdesk.core.models import BilingualNamed, CodeTable, TimeStampedModel


class Level(BilingualNamed):
    """A numbered level 1 (highest) … n; the level is the primary key."""

    level = models.PositiveSmallIntegerField(_("level"), primary_key=True)
    description_zh = models.CharField(_("description (Chinese)"), max_length=300, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)

    class Meta:
        abstract = True
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{self.level} {self.name}"


class Urgency(Level):
    """How fast the business needs it (紧急程度)."""

    class Meta(Level.Meta):
        verbose_name = _("urgency")
        verbose_name_plural = _("urgencies")


class Impact(Level):
    """How widely the business is affected (影响范围)."""

    class Meta(Level.Meta):
        verbose_name = _("impact")
        verbose_name_plural = _("impacts")


class Priority(Level):
    """Priority P1 … P4 (优先级); P1 is a major fault."""

    class Meta(Level.Meta):
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")


class PriorityMatrixCell(models.Model):
    """One cell of the impact × urgency → priority matrix."""

    impact = models.ForeignKey(Impact, verbose_name=_("impact"), on_delete=models.CASCADE,
                               related_name="+")
    urgency = models.ForeignKey(Urgency, verbose_name=_("urgency"), on_delete=models.CASCADE,
                                related_name="+")
    priority = models.ForeignKey(Priority, verbose_name=_("priority"), on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["impact", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="priority_matrix_unique_cell")
        ]
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        lookups.forget(PriorityMatrixCell)  # new incidents read the matrix from memory

    def __str__(self) -> str:
        return _("impact %(impact)s × urgency %(urgency)s → priority %(priority)s") % {
            "impact": self.impact_id, "urgency": self.urgency_id, "priority": self.priority_id}


class Source(CodeTable):
    """Where an incident came from (事件来源)."""

    class Meta(CodeTable.Meta):
        verbose_name = _("source")
        verbose_name_plural = _("sources")


class Nature(CodeTable):
    """Incident, service request or consultation (事件性质)."""

    number_prefix = models.CharField(_("number prefix"), max_length=8, default="INC")

    class Meta(CodeTable.Meta):
        verbose_name = _("nature")
        verbose_name_plural = _("natures")


class ClosureCode(CodeTable):
    """Why an incident ended (事件结束代码)."""

    class Meta(CodeTable.Meta):
        verbose_name = _("closure code")
        verbose_name_plural = _("closure codes")


class ResolutionCode(CodeTable):
    """How an incident was resolved."""

    class Meta(CodeTable.Meta):
        verbose_name = _("resolution code")
        verbose_name_plural = _("resolution codes")


class PendingReason(CodeTable):
    """Why work waits (awaiting user, vendor, change …)."""

    pauses_sla = models.BooleanField(_("pauses the SLA clock"), default=True)

    class Meta(CodeTable.Meta):
        verbose_name = _("pending reason")
        verbose_name_plural = _("pending reasons")


class Category(BilingualNamed, TimeStampedModel):
    """A node of the category tree (事件分类); `path` is the codes from the root, dot-joined."""

    code = models.CharField(_("code"), max_length=32)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path}.{self.code}" if self.parent_id else self.code
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        names = [self.name]
        node = self.parent
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


class PriorityMatrixChange(models.Model):
    """One changed matrix cell: who moved impact × urgency to another priority, and when."""

    impact = models.ForeignKey(Impact, verbose_name=_("impact"), on_delete=models.CASCADE,
                               related_name="+")
    urgency = models.ForeignKey(Urgency, verbose_name=_("urgency"), on_delete=models.CASCADE,
                                related_name="+")
    old_priority = models.ForeignKey(Priority, verbose_name=_("old priority"), null=True,
                                     on_delete=models.PROTECT, related_name="+")
    new_priority = models.ForeignKey(Priority, verbose_name=_("new priority"),
                                     on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"),
                                   null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("priority matrix change")
        verbose_name_plural = _("priority matrix changes")


class RoutingRule(BilingualNamed, TimeStampedModel):
    """Sends a new incident logged without a group to a support group (SPEC §3 step 3).

    A rule names any of category, service and location; it matches an incident when every
    criterion it names matches (a category also matches the categories below it). When several
    rules match, the most specific wins: the one naming more criteria; then the one naming the
    service, then the category, then the location; then the deeper category. Only rules with
    the same criteria can tie: the lower `order` wins (so a replacement can be staged), then
    the older rule. `opsdesk.reference.selectors.routing_rule_match` applies it.
    """

    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("cmdb.Service", verbose_name=_("service"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("accounts.Location", verbose_name=_("location"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey("accounts.SupportGroup", verbose_name=_("support group"),
                              on_delete=models.PROTECT, related_name="routing_rules")
    order = models.PositiveSmallIntegerField(
        _("order"), default=100,
        help_text=_("Between equally specific rules, the lower number wins."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
