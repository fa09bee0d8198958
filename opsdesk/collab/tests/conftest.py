"""An incident of NET2 in progress, and helpers shared by the collaboration tests."""

import pytest

from opsdesk.core.testing.matrix import incident_in


@pytest.fixture
def incident(org):
    """INC… logged by the desk for the requester, assigned to NET2 and in progress."""
    return incident_in(30, org, short_description="VPN drops every ten minutes")


def mails_to(address):
    from opsdesk.notifications.models import Delivery

    return list(Delivery.objects.filter(email=address).order_by("pk"))
