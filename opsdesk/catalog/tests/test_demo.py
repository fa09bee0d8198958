"""The demo catalogue: realistic types that the demo accounts can order and approve."""

from django.utils import translation

from opsdesk.catalog.models import RequestType
from opsdesk.catalog.selectors import approver_for
from opsdesk.catalog.services import request_approve, request_order
from opsdesk.accounts.models import User
from opsdesk.demo.catalog import catalog_seed
from opsdesk.demo.services import demo_company_create
from opsdesk.incidents.choices import Status


def test_the_demo_catalogue_is_seeded_once_and_orders_through_approval(db):
    demo_company_create(incidents=0)  # seeds the catalogue
    assert RequestType.objects.count() == 6
    assert catalog_seed() == 0  # once only
    user, manager = User.objects.get(username="user"), User.objects.get(username="manager")
    assert approver_for(user=user) == manager
    assert approver_for(user=User.objects.get(username="wujing")).username == "zhouqiang"
    vpn = RequestType.objects.get(code="vpn-access")
    with translation.override("en"):
        incident, _created = request_order(by=user, request_type=vpn, answers={
            "date_from": "2026-12-01", "date_to": "2026-12-31", "reason": "Trip to Shanghai"})
    assert incident.status == Status.PENDING and incident.number.startswith("SR")
    request_approve(incident=incident, by=manager, comment="OK")
    incident.refresh_from_db()
    assert incident.status == Status.ASSIGNED and incident.assignment_group.code == "NET"
