"""The incident page's vendor panel: engagements measured on their contracts, and the forms to
contact a vendor and record its response or resolution (support staff; no query for others)."""

from django import template
from django.utils import timezone

from opsdesk.incidents.choices import FINAL_STATUSES
from opsdesk.incidents.services import can_edit
from opsdesk.vendors import selectors

register = template.Library()


@register.inclusion_tag("web/vendors/_incident_panel.html", takes_context=True)
def incident_vendor_panel(context, incident, user, staff=False):
    """Engagements (newest first) with met/breached; forms for the people working the incident.

    A form that failed to validate comes back through `request.vendor_forms` (set by the view
    that handled it), so its errors show next to its fields.
    """
    if incident is None or not staff or not selectors.may_view_vendors(user=user):
        return {"show": False}
    from opsdesk.web.views.vendors import ContactVendorForm, RecordForm

    request = context.get("request")
    bound = getattr(request, "vendor_forms", {}) if request is not None else {}
    now = timezone.now()
    may_work = can_edit(user=user, incident=incident)
    rows = []
    for engagement in selectors.engagements_for_incident(user=user, incident=incident):
        forms = {}
        if may_work:
            for kind, missing in (("respond", engagement.responded_at is None),
                                  ("resolve", engagement.resolved_at is None)):
                key = f"{kind}-{engagement.pk}"
                if missing:
                    forms[kind] = bound.get(key) or RecordForm(prefix=key)
        rows.append({"engagement": engagement, "forms": forms,
                     "response_met": engagement.response_met(now),
                     "resolution_met": engagement.resolution_met(now)})
    contact_form = None
    if may_work and incident.status not in FINAL_STATUSES:
        contact_form = bound.get("contact") or ContactVendorForm()
    return {"show": True, "incident": incident, "rows": rows, "contact_form": contact_form,
            "csrf_token": context.get("csrf_token")}


@register.filter
def duration(seconds):
    """Business seconds as people read them: 1 h 30 min, 45 min, 2 d 3 h (days of 24 h)."""
    if seconds is None:
        return "—"
    from django.utils.translation import gettext as _

    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)s d") % {"n": days})
    if hours:
        parts.append(_("%(n)s h") % {"n": hours})
    if minutes or not parts:
        parts.append(_("%(n)s min") % {"n": minutes})
    return " ".join(parts)
