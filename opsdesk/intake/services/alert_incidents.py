"""The incident an alert group opens: text, service, CI, priority and group from the alert."""

from django.utils.translation import gettext as _

from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services.records import incident_create

from ..models import AlertIntegration
from ..parsers.types import NormalizedAlert

MONITORING_SOURCE = "04"
# Labels that commonly name the affected service and host, in the order they are tried.
SERVICE_LABELS = ("service", "job", "application", "app")
HOST_LABELS = ("host", "hostname", "instance", "node", "nodename")
GROUP_LABEL = "opsdesk_group"


def incident_from_alert(*, integration: AlertIntegration, alert: NormalizedAlert, by) -> Incident:
    """Log the incident for a new alert group, reported by the monitoring account."""
    from .alerts import severity_levels

    impact, urgency = severity_levels(integration, alert.severity)
    ci = _labelled(ConfigurationItem, "name", alert.labels, HOST_LABELS)
    data = {
        "short_description": alert.summary[:200] or _("Monitoring alert"),
        "description": incident_description(integration=integration, alert=alert),
        "source": MONITORING_SOURCE, "impact": impact, "urgency": urgency,
        "service": integration.default_service or _labelled(Service, "code", alert.labels,
                                                             SERVICE_LABELS),
        "category": integration.default_category,
        "configuration_items": [ci] if ci else [],
    }
    data = _resolved(data)
    group, why = alert_group_for(integration=integration, alert=alert, ci=ci)
    incident, _created = incident_create(by=by, data=data, channel=Channel.ALERT,
                                         route=group is None)
    if group is None and incident.assignment_group_id is None and incident.service_id:
        group = incident.service.owner_group
        why = _("Owner group of the service")
    if group is not None and incident.assignment_group_id is None:
        from opsdesk.incidents.services.lifecycle import incident_transition

        incident = incident_transition(incident=incident, action="assign", by=None,
                                       channel=Channel.SYSTEM, assignment_group=group,
                                       reason=why)
    return incident


def alert_group_for(*, integration: AlertIntegration, alert: NormalizedAlert, ci):
    """(group, reason) chosen before the routing rules: a label, the CI, the integration.

    The label `opsdesk_group` names a support group by code, so the monitoring tool's own
    routing (an Alertmanager route adding the label) can pick the group. Without any of these
    the routing rules decide, then the service's owner group.
    """
    from opsdesk.accounts.models import SupportGroup

    code = str(alert.labels.get(GROUP_LABEL, "")).strip()
    if code and (group := SupportGroup.objects.filter(code__iexact=code, is_active=True).first()):
        return group, _("Alert label %(label)s=%(code)s") % {"label": GROUP_LABEL, "code": code}
    if ci is not None and ci.owner_group_id:
        return ci.owner_group, _("Owner group of %(ci)s") % {"ci": ci.name}
    if integration.default_group_id:
        return integration.default_group, _("Alert integration: %(name)s") % {
            "name": integration.name}
    return None, ""


def _resolved(data: dict) -> dict:
    from opsdesk.core import lookups
    from opsdesk.reference.models import Impact, Source, Urgency

    data["source"] = lookups.lookup(Source, data["source"])
    data["impact"] = lookups.lookup(Impact, data["impact"])
    data["urgency"] = lookups.lookup(Urgency, data["urgency"])
    return {k: v for k, v in data.items() if v not in (None, [])}


def _labelled(model, field: str, labels: dict, names: tuple[str, ...]):
    """The first record whose `field` equals one of the labels (host:port loses its port)."""
    for name in names:
        value = str(labels.get(name, "")).strip()
        if name == "instance":
            value = value.rsplit(":", 1)[0]
        if value and (found := model.objects.filter(**{f"{field}__iexact": value}).first()):
            return found
    return None


def incident_description(*, integration: AlertIntegration, alert: NormalizedAlert) -> str:
    """What the desk reads first: the alert's text, its labels and where it came from."""
    lines = [alert.description.strip()] if alert.description.strip() else []
    lines += ["", _("Integration: %(name)s (%(kind)s)") % {
        "name": integration.name, "kind": integration.get_kind_display()}]
    if alert.severity:
        lines.append(_("Severity: %(severity)s") % {"severity": alert.severity})
    if alert.starts_at:
        lines.append(_("Started at: %(at)s") % {"at": alert.starts_at.isoformat()})
    if alert.generator_url:
        lines.append(_("Source: %(url)s") % {"url": alert.generator_url})
    if alert.labels:
        lines += ["", _("Labels:")] + [f"  {k}={v}" for k, v in sorted(alert.labels.items())]
    return "\n".join(lines).strip()
