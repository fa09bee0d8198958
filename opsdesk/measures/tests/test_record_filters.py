"""The list parameters the measures link with (incidents/filters.py): each selects exactly the
incidents a person would pick out by hand from the record."""

import pytest
from django.http import QueryDict

from opsdesk.cmdb.models import Service
from opsdesk.core.exceptions import InvalidInput
from opsdesk.core.testing.factories import ConfigurationItemFactory, LocationFactory
from opsdesk.incidents.filters import filters_from_query, query_from_params
from opsdesk.incidents.models import Incident
from opsdesk.incidents.selectors import incident_count, incident_list
from opsdesk.incidents.tests.sla_support import act, at, logged, resolve, sh
from opsdesk.reference.models import Category, Source

pytestmark = pytest.mark.django_db


def numbers(org, text: str) -> set[str]:
    filters = filters_from_query(query=query_from_params(QueryDict(text)), user=org.owner)
    rows, _cursor = incident_list(user=org.owner, filters=filters, limit=100)
    assert incident_count(user=org.owner, filters=filters) == len(rows)
    return {row.number for row in rows}


@pytest.fixture
def story(org):
    """Four P3 incidents on the 5×8 calendar (09–12, 13–18 Shanghai), Monday 3 March 2025.

    | name  | logged | first response         | resolved            | other                      |
    |-------|--------|------------------------|---------------------|----------------------------|
    | quick | 09:00  | 09:30 start (desk)     | 10:00 (desk, FCR)   | complete record            |
    | late  | 09:00  | 14:00 accept (APP2)    | —                   | response due 11:00: late;  |
    |       |        |                        |                     | handed back by NET2        |
    | slow  | 10:00  | 10:30 start            | 16:00, reopened at  | resolution due Tue 11:00:  |
    |       |        |                        | 17:00, Tue 10:00    | on time; NET2 → NET3       |
    | idle  | Tue 09 | —                      | —                   | nothing yet                |
    """
    net2, net3 = org.groups["NET2"], org.groups["NET3"]
    service = Service.objects.create(code="MAIL", name_zh="邮件", name_en="Mail")
    category = Category.objects.filter(parent__isnull=False).first()
    complete = dict(source=Source.objects.get(pk="01"), category=category, service=service,
                    occurred_at=sh(2025, 3, 3, 8, 50), location=LocationFactory(),
                    description="The printer shows an error.")
    quick = logged(org, when=sh(2025, 3, 3, 9, 0), route=False, **complete)
    act(quick, "start", org, sh(2025, 3, 3, 9, 30))
    with at(sh(2025, 3, 3, 10, 0)):
        from opsdesk.incidents.services import incident_transition
        from opsdesk.reference.models import ResolutionCode
        quick = incident_transition(incident=quick, action="resolve", by=org.desk,
                                    resolution="Restarted",
                                    resolution_code=ResolutionCode.objects.get(pk="01"))
    late = logged(org, when=sh(2025, 3, 3, 9, 0), service=service)
    act(late, "assign", org, sh(2025, 3, 3, 9, 10), assignment_group=net2)
    act(late, "hand_back", org, sh(2025, 3, 3, 9, 20), reason="Not ours")
    act(late, "assign", org, sh(2025, 3, 3, 9, 30), assignment_group=org.groups["APP2"])
    late = act(late, "accept", org, sh(2025, 3, 3, 14, 0))
    slow = logged(org, when=sh(2025, 3, 3, 10, 0), category=category)
    act(slow, "assign", org, sh(2025, 3, 3, 10, 10), assignment_group=net2)
    act(slow, "start", org, sh(2025, 3, 3, 10, 30))
    resolve(slow, org, sh(2025, 3, 3, 16, 0))
    act(slow, "reopen", org, sh(2025, 3, 3, 17, 0), reason="Still broken")
    act(slow, "assign", org, sh(2025, 3, 3, 17, 10), assignment_group=net3)
    slow = resolve(slow, org, sh(2025, 3, 4, 10, 0))
    idle = logged(org, when=sh(2025, 3, 4, 9, 0), category=category)
    return type("Story", (), {"quick": quick.number, "late": late.number, "slow": slow.number,
                              "idle": idle.number, "category": category})


def test_dates_of_response_resolution_and_closure(org, story):
    s = story
    assert numbers(org, "created_after=2025-03-03&created_before=2025-03-04") == \
        {s.quick, s.late, s.slow}
    assert numbers(org, "responded_after=2025-03-03T10:00&responded_before=2025-03-04") == \
        {s.slow, s.late}
    assert numbers(org, "resolved_after=2025-03-04") == {s.slow}
    assert numbers(org, "resolved_before=2025-03-04") == {s.quick}
    assert numbers(org, "responded=yes") == {s.quick, s.late, s.slow}
    assert numbers(org, "responded=no") == {s.idle}
    assert numbers(org, "resolved=yes") == {s.quick, s.slow}
    assert numbers(org, "closed_after=2025-01-01") == set()


def test_breaches_count_the_late_answer_even_before_the_tick_flags_it(org, story):
    s = story
    # late: response due 11:00, first response (accept) 14:00. slow: 8 working hours from
    # Mon 10:00 are Mon 10–12, 13–18 and Tue 09–10; the hour it stood resolved (16–17) moves
    # the due date to Tue 11:00, and it was resolved at Tue 10:00: on time.
    assert Incident.objects.get(number=s.slow).resolution_due_at == sh(2025, 3, 4, 11, 0)
    assert numbers(org, "response_breached=yes") == {s.late}
    assert numbers(org, "response_breached=no") == {s.quick, s.slow, s.idle}
    assert numbers(org, "response_breached=no&responded=yes") == {s.quick, s.slow}
    assert numbers(org, "resolution_breached=yes") == set()
    assert numbers(org, "resolution_breached=no&resolved=yes") == {s.quick, s.slow}
    Incident.objects.filter(number=s.idle).update(response_breached=True)  # the tick's flag
    assert numbers(org, "response_breached=yes") == {s.late, s.idle}


def test_first_contact_assignments_hand_backs_reopens_and_escalations(org, story):
    s = story
    assert numbers(org, "first_contact=yes") == {s.quick}
    assert numbers(org, "assigned=yes") == {s.late, s.slow}
    assert numbers(org, "assigned=no") == {s.quick, s.idle}
    assert numbers(org, "handed_back=yes") == {s.late}
    assert numbers(org, "reassigned=yes") == {s.late, s.slow}
    assert numbers(org, "reopened=1") == {s.slow}
    assert numbers(org, "escalated=functional") == {s.slow}  # NET2 (line 2) -> NET3 (line 3)
    assert numbers(org, "escalated=none") == {s.quick, s.late, s.idle}
    Incident.objects.filter(number=s.idle).update(hierarchical_escalation_count=1)
    assert numbers(org, "escalated=hierarchical") == {s.idle}
    assert numbers(org, "escalated=any") == {s.slow, s.idle}


def test_completeness_repeats_major_and_age(org, story):
    s = story
    assert numbers(org, "complete=yes") == {s.quick}
    assert numbers(org, "complete=no") == {s.late, s.slow, s.idle}
    with at(sh(2025, 3, 4, 12, 0)):
        assert numbers(org, "age_max_hours=4&status=open") == {s.idle}
        assert numbers(org, "age_min_hours=24&status=open") == {s.late}
    # slow repeats quick (same requester and category, an hour later), idle repeats slow; late
    # shares quick's service and was logged at the same instant, after it.
    assert numbers(org, "repeat=yes") == {s.late, s.slow, s.idle}
    ci = ConfigurationItemFactory(name="PRN-3")
    later = logged(org, when=sh(2025, 3, 10, 9, 1))  # 7 days and a minute after quick
    Incident.objects.get(number=s.quick).configuration_items.add(ci)
    later.configuration_items.add(ci)
    assert numbers(org, "repeat=yes") == {s.late, s.slow, s.idle}
    nearer = logged(org, when=sh(2025, 3, 10, 9, 0))  # 7 days to the minute: still within
    nearer.configuration_items.add(ci)
    # … and later now repeats nearer, logged a minute before it on the same CI.
    assert numbers(org, "repeat=yes") == {s.late, s.slow, s.idle, nearer.number, later.number}
    assert numbers(org, "repeat=no") == {s.quick}
    # Within the registrations a list reads (created_after/before), and the week before them.
    assert numbers(org, "repeat=yes&created_after=2025-03-04&created_before=2025-03-05") == \
        {s.idle}
    assert numbers(org, "major=yes") == set()


def test_major_incidents(org, story):
    from opsdesk.major.models import MajorIncident

    MajorIncident.objects.create(incident=Incident.objects.get(number=story.late),
                                 state="declared")
    MajorIncident.objects.create(incident=Incident.objects.get(number=story.slow),
                                 state="rejected")
    assert numbers(org, "major=yes") == {story.late}
    assert numbers(org, "major=no") == {story.quick, story.slow, story.idle}


@pytest.mark.parametrize("text, param", [
    ("responded=perhaps", "responded"), ("escalated=sideways", "escalated"),
    ("resolved_after=soon", "resolved_after"), ("age_min_hours=-1", "age_min_hours"),
    ("complete=2", "complete"),
])
def test_bad_values_name_the_parameter(org, text, param):
    with pytest.raises(InvalidInput) as caught:
        filters_from_query(query=query_from_params(QueryDict(text)), user=org.owner)
    assert param in caught.value.errors


def test_the_queue_page_lists_what_the_parameters_select(org, story, client):
    client.force_login(org.owner)
    page = client.get("/work/all/?resolved=yes&resolution_breached=no")
    assert page.status_code == 200
    html = page.content.decode()
    assert story.quick in html and story.slow in html and story.late not in html
    # The list says how many it holds, so the figure that linked here can be checked.
    assert page.context["matching"] == 2
    assert "2 incidents match the filters" in client.get(
        "/work/all/?resolved=yes&resolution_breached=no", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize("text", [
    "resolved=yes&resolution_breached=no",
    "responded_after=2025-03-03T10:00&responded_before=2025-03-04",
    "first_contact=yes", "handed_back=yes", "reassigned=yes", "escalated=any",
    "response_sla=breached", "resolution_sla=met", "ever_resolved=yes", "complete=no",
    "handled_by=NET2", "has_assignee=no", "sla_clock=response&breached_after=2025-03-03",
])
def test_the_api_list_takes_the_same_parameters(org, story, text):
    """A KPI's link copied into the API answers with the incidents the queue page lists."""
    from opsdesk.api.tests.conftest import ApiClient

    response = ApiClient(org.owner).client.get(f"/api/v1/incidents?{text}&limit=100")
    assert response.status_code == 200, response.content
    assert {item["number"] for item in response.json()["items"]} == numbers(org, text)


@pytest.mark.parametrize("text, param", [
    ("escalated=sideways", "escalated"), ("response_sla=soon", "response_sla"),
    ("age_min_hours=-1", "age_min_hours"), ("complete=2", "complete"),
    ("handled_by=NOPE", "handled_by"),
])
def test_the_api_list_names_a_bad_parameter(org, text, param):
    from opsdesk.api.tests.conftest import ApiClient

    response = ApiClient(org.owner).client.get(f"/api/v1/incidents?{text}")
    assert response.status_code in (400, 422), response.content
    assert param in response.content.decode()
