"""The demo's ERP outage (20 child reports) costs the major-incident page a fixed number of
queries at every stage of its run: declared, after a public update, resolved, closed.

The browser runs the same story through the pages (web/tests/browser/test_major_demo_run.py)
and checks the page's server time; here the budget is counted. 20 children must not cost 20
queries more than none: the children are read in one query with their people and groups.
"""

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opsdesk.accounts.models import User
from opsdesk.demo.services import demo_company_create
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_transition
from opsdesk.major.models import MajorIncident
from opsdesk.major.services import major_update_post
from opsdesk.reference.models import ClosureCode, ResolutionCode
from opsdesk.reviews import services as reviews
from opsdesk.reviews.models import PostIncidentReview

# session, user, major + master, the incident page's read of the master, its people,
# children (with their people and groups), updates, alerts, comments, history, the people the
# history names (the affected people among them, all in one query), affected counts,
# stakeholders, services, and the top bar's count of approvals.
BUDGET = 15


def _queries(client, url: str) -> tuple[int, str]:
    """The queries of one page view. The view before it loads what the process caches (the
    code tables of core/lookups.py, reloaded every 30 s): a closure code shown for the first
    time costs one query once per process, not once per child."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_the_demo_major_incident_page_keeps_its_budget_through_the_run(db):
    demo_company_create(incidents=30, seed=7)
    major = MajorIncident.objects.select_related("incident").get()
    manager, owner = User.objects.get(username="manager"), User.objects.get(username="owner")
    master = major.incident
    assert Incident.objects.filter(parent=master).count() == 20
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the demo manager reads Chinese
    client.force_login(manager)
    url = f"/major/{master.number}/"

    count, page = _queries(client, url)
    assert count <= BUDGET and page.count("/unlink/") == 20

    major_update_post(major=major, by=manager, text="Failover under way")
    count, page = _queries(client, url)
    assert count <= BUDGET and "Failover under way" in page

    incident_transition(incident=master, action="resolve", by=manager,
                        resolution="Failed over to the standby",
                        resolution_code=ResolutionCode.objects.get(pk="01"))
    count, page = _queries(client, url)
    assert count <= BUDGET and "20 child incidents" in page and "(0 open)" in page

    review = PostIncidentReview.objects.get(incident=master)
    reviews.review_submit(review=review, by=manager)
    reviews.review_approve(review=review, by=owner)
    incident_transition(incident=master, action="close", by=manager,
                        closure_code=ClosureCode.objects.get(pk="01"))
    count, page = _queries(client, url)
    assert count <= BUDGET
    assert set(Incident.objects.filter(parent=master).values_list("status", flat=True)) == {
        Status.CLOSED}
