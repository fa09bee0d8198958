"""Helpers for the major-incident tests: incidents and majors made through the real services."""

from opsdesk.core.testing.factories import incident_factory
from opsdesk.major.services import major_declare
from opsdesk.reference.models import ResolutionCode


def outage(org, *, by=None, **data):
    """An incident logged by the desk for the requester."""
    data.setdefault("requester", org.requester)
    data.setdefault("short_description", "ERP is down for everyone")
    return incident_factory(by=by or org.desk, **data)


def declared(org, **options):
    """A declared major incident run by the incident manager."""
    master = outage(org)
    return major_declare(incident=master, by=org.manager, reason="ERP down", **options)


def resolve_params(text="Restarted the ERP database cluster"):
    return {"resolution": text, "resolution_code": ResolutionCode.objects.order_by("pk").first()}
