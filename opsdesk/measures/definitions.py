"""The KPIs the engine computes: what each one is, its formula in words, its unit and its
default target. `kpis.kpi_definitions()` adds the process owner's stored targets.

Every KPI but three counts the incidents *registered* in the period (in the site's time zone),
as they stand now: a month's figures settle as its incidents are worked. The exceptions say so
in their formula: the backlog is now, satisfaction counts the incidents closed in the period,
and KB deflection the deflections recorded in it.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from opsdesk.incidents.filters import COMPLETE_FIELDS, REPEAT_WINDOW_DAYS

PERCENT, HOURS, COUNT, SCORE = "%", "hours", "count", "score"

# How a KPI is computed (kpis.py): a rate or a mean from the rollup's sums, a median from the
# facts, or a figure of its own.
RATE, MEAN, MEDIAN, VOLUME, BACKLOG, SATISFACTION, DEFLECTION = (
    "rate", "mean", "median", "volume", "backlog", "satisfaction", "deflection")


@dataclass(frozen=True)
class KpiDefinition:
    """One KPI: code (in URLs and the API), name, description and formula (translatable), unit
    ("%", "hours", "count", "score"), whether higher is better (None: neither), its target."""

    code: str
    name: str
    description: str
    formula: str
    unit: str
    higher_is_better: bool | None
    target: float | None
    kind: str = RATE
    # Rates: the rollup's counters (numerator, denominator); the numerator of the assignment
    # success rate is assignments − hand-backs, spelt "assignments-hand_backs".
    # Means and medians: the fact's duration column.
    fields: tuple[str, ...] = ()
    # List parameters of the incidents counted (the denominator) and of the numerator's.
    counted: tuple[tuple[str, str], ...] = ()
    numerator_params: tuple[tuple[str, str], ...] = ()
    # What the numerator and denominator count, when it is not incidents: "assignments" (the
    # assignment success rate: its links open the incidents handed back and those assigned).
    counts: str = "incidents"


_REGISTERED = _("Counted over the incidents registered in the period, as they stand now.")
_BUSINESS = _("Business time: working hours on the incident's SLA calendar, minus the working "
              "time its clock stood still (pending on the user or a vendor, resolved awaiting "
              "confirmation, as the SLA policy says); incidents without an SLA calendar are "
              "left out.")
_MEDIAN = _("The median is the middle value (the mean of the two middle values for an even "
            "count).")


def _duration(*, clock: str, basis: str, median: bool) -> KpiDefinition:
    """The mean or median time to respond or resolve, in wall or business time."""
    stat = _("Median") if median else _("Mean")
    verb = _("respond") if clock == "response" else _("resolve")
    kind = _("wall time") if basis == "wall" else _("business time")
    name = _("%(stat)s time to %(verb)s (%(kind)s)") % {"stat": stat, "verb": verb,
                                                         "kind": kind}
    end = _("the first response (accept, start, pend, resolve, or a public reply by support)") \
        if clock == "response" else _("the resolution (the last one, if it was reopened)")
    hours = _("wall-clock hours") if basis == "wall" else _("business hours")
    formula = _("%(stat)s of (%(end)s − registration) in %(hours)s, over the incidents "
                "registered in the period that have one.") % {"stat": stat, "end": end,
                                                               "hours": hours}
    if basis == "business":
        formula = f"{formula} {_BUSINESS}"
    if median:
        formula = f"{formula} {_MEDIAN}"
    ended = "responded" if clock == "response" else "resolved"
    counted = ((ended, "yes"),) + (((f"{clock}_sla", "any"),) if basis == "business" else ())
    return KpiDefinition(
        code=f"{clock}_{'median' if median else 'mean'}_{basis}", name=name,
        description=_("How long it takes; look at it per priority (the breakdown by "
                      "priority, or the priority filter)."), formula=formula,
        unit=HOURS, higher_is_better=False, target=None, kind=MEDIAN if median else MEAN,
        fields=(f"{clock}_{basis}",), counted=counted)


def _durations() -> list[KpiDefinition]:
    return [_duration(clock=clock, basis=basis, median=median)
            for clock in ("response", "resolution") for basis in ("wall", "business")
            for median in (False, True)]


def definitions() -> list[KpiDefinition]:
    """Every KPI with its default target, in the order the pages list them."""
    complete = ", ".join(str(_label(name)) for name in COMPLETE_FIELDS)
    rows = [
        KpiDefinition(
            "response_on_time", _("Response on time"),
            _("The share of incidents that support responded to within the response target "
              "(事件响应及时率)."),
            _("Incidents whose response clock was met ÷ incidents whose response clock was met "
              "or breached × 100. Met: the first response came by the response due date. "
              "Breached: it came later, or the SLA tick recorded the breach while waiting. "
              "Incidents without a response target, and those still within it, are not "
              "counted.") + " " + _REGISTERED,
            PERCENT, True, 95.0, RATE, ("response_met", "response_decided"),
            (("response_sla", "decided"),), (("response_sla", "met"),)),
        KpiDefinition(
            "resolution_on_time", _("Resolution on time (SLA attainment)"),
            _("The share of incidents resolved within the resolution target (SLA达成率 / "
              "事件解决及时率)."),
            _("Incidents whose resolution clock was met ÷ incidents whose resolution clock "
              "was met or breached × 100. Met: resolved by the resolution due date (which moves "
              "while the clock stands still). Breached: resolved later, or the SLA tick "
              "recorded the breach. Incidents without a resolution target, and open ones "
              "still within it, are not counted.") + " " + _REGISTERED,
            PERCENT, True, 90.0, RATE, ("resolution_met", "resolution_decided"),
            (("resolution_sla", "decided"),), (("resolution_sla", "met"),)),
        *_durations(),
        KpiDefinition(
            "first_contact_resolution", _("First-contact resolution"),
            _("The share of resolved incidents the service desk resolved at first contact "
              "(一次解决率)."),
            _("Incidents resolved at first contact (the service desk resolved them without "
              "assigning them to a group, and they were not reopened) ÷ incidents resolved × "
              "100.") + " " + _REGISTERED,
            PERCENT, True, 30.0, RATE, ("first_contact", "resolved"),
            (("resolved", "yes"),), (("resolved", "yes"), ("first_contact", "yes"))),
        KpiDefinition(
            "first_assignment_success", _("First-assignment success"),
            _("How often an assignment sticks: 一次派单成功率 = 1 − hand-backs ÷ "
              "assignments."),
            _("(1 − hand-backs ÷ assignments) × 100. Assignments: every assignment to a group "
              "(the first one and each reassignment); hand-backs: every time a group handed "
              "the incident back (退回).") + " " + _REGISTERED,
            PERCENT, True, 90.0, RATE, ("assignments-hand_backs", "assignments"),
            (("assigned", "yes"),), (("handed_back", "yes"),), counts="assignments"),
        KpiDefinition(
            "record_completeness", _("Record completeness"),
            _("The share of incidents recorded completely (录入完整性)."),
            _("Incidents whose record has every one of these filled in: %(fields)s ÷ "
              "incidents registered × 100 (the requester, short description, impact, urgency "
              "and priority are always there).") % {"fields": complete} + " " + _REGISTERED,
            PERCENT, True, 95.0, RATE, ("complete", "registered"),
            (), (("complete", "yes"),)),
        KpiDefinition(
            "reopen_rate", _("Reopen rate"),
            _("The share of resolved incidents that had to be reopened."),
            _("Incidents reopened at least once (the user rejected the resolution, or support "
              "reopened it) ÷ incidents resolved at least once × 100.") + " " + _REGISTERED,
            PERCENT, False, 5.0, RATE, ("reopened", "ever_resolved"),
            (("ever_resolved", "yes"),), (("reopened", "1"),)),
        KpiDefinition(
            "escalation_functional", _("Functional escalation rate"),
            _("The share of incidents escalated to a higher support line or to the vendor."),
            _("Incidents escalated functionally at least once (assigned to a group of a higher "
              "line, or escalated to the vendor when the resolution breached) ÷ incidents "
              "registered × 100.") + " " + _REGISTERED,
            PERCENT, False, 20.0, RATE, ("escalated_functional", "registered"),
            (), (("escalated", "functional"),)),
        KpiDefinition(
            "escalation_hierarchical", _("Hierarchical escalation rate"),
            _("The share of incidents escalated to the incident managers or to management."),
            _("Incidents escalated hierarchically at least once (incident managers or the "
              "requester's management told: at creation for P1, at the second SLA warning, "
              "after repeated reassignments, or by hand) ÷ incidents registered × 100.")
            + " " + _REGISTERED,
            PERCENT, False, 10.0, RATE, ("escalated_hierarchical", "registered"),
            (), (("escalated", "hierarchical"),)),
        KpiDefinition(
            "backlog", _("Backlog"),
            _("Open incidents now, by how long ago they were registered."),
            _("Incidents open now (logged, assigned, in progress or pending), counted by age "
              "since registration: under 1 day, 1–3 days, 3–7 days, 7–30 days, 30 days or "
              "more. The period does not apply; the other filters do."),
            COUNT, False, None, BACKLOG, (), (("status", "open"),)),
        KpiDefinition(
            "repeat_rate", _("Repeat-incident rate"),
            _("The share of incidents that repeat one the same person reported shortly "
              "before."),
            _("Incidents whose requester reported another incident of the same category or "
              "the same service, or on a shared configuration item, in the %(days)d days "
              "before it (or at the same moment, logged first) ÷ incidents registered × 100.") % {"days": REPEAT_WINDOW_DAYS}
            + " " + _REGISTERED,
            PERCENT, False, 10.0, RATE, ("repeat", "registered"), (), (("repeat", "yes"),)),
        KpiDefinition(
            "satisfaction_mean", _("Satisfaction (mean score)"),
            _("The mean score users gave in the satisfaction survey."),
            _("Sum of the survey scores (1–5) ÷ number of scored surveys, for the incidents "
              "closed in the period."),
            SCORE, True, 4.5, SATISFACTION),
        KpiDefinition(
            "satisfaction_rate", _("Satisfaction rate"),
            _("The share of satisfied answers in the satisfaction survey (满意率)."),
            _("Scores of 4 or 5 ÷ all scored surveys × 100, for the incidents closed in the "
              "period."),
            PERCENT, True, 90.0, SATISFACTION),
        KpiDefinition(
            "volume", _("Volume"),
            _("How many incidents were registered, and through which channel."),
            _("Incidents registered in the period; by channel, the source they came through "
              "(phone, email, portal, monitoring alert, walk-in, chat, API)."),
            COUNT, None, None, VOLUME, ("registered",)),
        KpiDefinition(
            "kb_deflection", _("Knowledge-base deflection"),
            _("How often a knowledge article solved a problem before it became an incident."),
            _("Times a user said an article solved their problem (no incident was reported) ÷ "
              "(those times + incidents reported in the portal) × 100, in the period. "
              "Deflections have no group, category, service, priority or channel: with one of "
              "those filters it is not measured."),
            PERCENT, True, 20.0, DEFLECTION),
    ]
    return rows


def _label(name: str) -> str:
    from opsdesk.incidents.models import Incident

    return Incident._meta.get_field(name).verbose_name
