"""Fixtures of the problem tests: incidents and problems made through the real services."""

import pytest

from opsdesk.core.testing.matrix import incident_in
from opsdesk.problems import services


def problem_make(org, *, incidents=(), by=None, **data):
    """A problem raised by the incident manager (or `by`), owned by NET2 unless told."""
    data.setdefault("owner_group", org.groups["NET2"])
    return services.problem_raise(by=by or org.manager, incidents=list(incidents), data=data)


@pytest.fixture
def incidents(org):
    """Two open incidents of NET2 and a closed one."""
    return [incident_in(30, org, short_description="VPN drops every hour"),
            incident_in(20, org, short_description="VPN disconnects"),
            incident_in(50, org, short_description="VPN dropped yesterday")]
