"""The process owner's SLA policy pages: who may use them, the list, create, edit, deactivate,
bad input (422, nothing saved), query counts; and the manual escalation on the incident page."""

import re

import pytest
from django.test import Client

from opsdesk.core.testing.matrix import ALLOW, DENY, check_matrix_complete, matrix_cases
from opsdesk.incidents.choices import EventKind
from opsdesk.incidents.models import Incident
from opsdesk.incidents.tests.sla_support import HOUR, act, logged, sh
from opsdesk.sla.models import SlaPolicy
from opsdesk.sla.policies import policy_match

ROLES = ("requester", "desk", "engineer", "manager", "owner", "admin")
PAGES = ("/settings/sla/", "/settings/sla/new/", "/settings/sla/P3/")
ONLY_OWNER_AND_ADMIN = {"requester": DENY, "desk": DENY, "engineer": DENY, "manager": DENY,
                        "owner": ALLOW, "admin": ALLOW}
ACCESS = {page: dict(ONLY_OWNER_AND_ADMIN) for page in PAGES}
check_matrix_complete(ACCESS, actions=PAGES, roles=ROLES)


def browser(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def field_errors(page: str, name: str) -> str:
    match = re.search(rf'<ul class="errors" id="id_{name}_error" role="alert">(.*?)</ul>',
                      page, re.DOTALL)
    return match.group(1) if match else ""


def policy_post(**values) -> dict:
    data = {"code": "P3-MAIL", "name_zh": "邮件", "name_en": "Mail", "priority": "3",
            "response_target": "90 min", "response_calendar": "5x8",
            "resolution_target": "2 working days", "resolution_calendar": "5x8",
            "resolution_pause_reasons": ["01"], "warn_first_percent": "60",
            "warn_second_percent": "90", "escalate_after_reassignments": "2",
            "auto_close_calendar": "5x8", "auto_close_working_days": "5", "sort_order": "0",
            "is_active": "on", "notify_managers_at_second_warning": "on"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def edit_post(code: str, **values) -> dict:
    from opsdesk.web.sla_forms import policy_initial

    initial = policy_initial(SlaPolicy.objects.get(code=code))
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in initial.items()
            if v not in (None, False)}
    data["resolution_pause_reasons"] = [r.pk for r in initial["resolution_pause_reasons"]]
    data.update({k: "on" for k, v in initial.items() if v is True})
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("page, role, expected", matrix_cases(ACCESS))
def test_who_may_open_each_sla_page(org, page, role, expected):
    response = browser(getattr(org, role)).get(page)
    assert response.status_code == (200 if expected == ALLOW else 403)


def test_denied_people_cannot_post(org):
    manager = browser(org.manager)
    assert manager.post("/settings/sla/new/", policy_post()).status_code == 403
    assert manager.post("/settings/sla/P3/active/", {"active": "0"}).status_code == 403
    assert not SlaPolicy.objects.filter(code="P3-MAIL").exists()
    assert SlaPolicy.objects.get(code="P3").is_active


def test_the_list_shows_targets_in_minutes_hours_and_working_days(org,
                                                                  django_assert_max_num_queries):
    owner = browser(org.owner)
    assert 'href="/settings/sla/"' in owner.get("/settings/").content.decode()
    with django_assert_max_num_queries(8):
        page = owner.get("/settings/sla/").content.decode()
    row = {code: re.search(rf'href="/settings/sla/{code}/".*?</tr>', page, re.S).group(0)
           for code in ("P1", "P2", "P3", "P4")}
    assert "15 min" in row["P1"] and "4 h" in row["P1"] and "7×24" in row["P1"]
    assert "2 h" in row["P3"] and "1 working day" in row["P3"] and "5×8" in row["P3"]
    assert "3 working days" in row["P4"]
    assert "Awaiting" in row["P3"] or "awaiting" in row["P3"].lower()
    assert "50 % · 80 %" in row["P3"] and "after 3 working days" in row["P3"]
    assert "managers told at logging" in row["P1"] and "managers told at logging" not in row["P3"]


def test_more_policies_cost_no_more_queries(org, django_assert_max_num_queries):
    owner = browser(org.owner)
    for n in range(5):
        owner.post("/settings/sla/new/", policy_post(code=f"X{n}"))
    with django_assert_max_num_queries(8):
        assert owner.get("/settings/sla/").content.decode().count("90 min") == 5


def test_create_a_policy_stores_business_seconds(org):
    response = browser(org.owner).post("/settings/sla/new/", policy_post())
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(code="P3-MAIL")
    assert (policy.response_seconds, policy.resolution_seconds) == (90 * 60, 16 * HOUR)
    assert list(policy.resolution_pause_reasons.values_list("code", flat=True)) == ["01"]
    assert (policy.warn_first_percent, policy.warn_second_percent,
            policy.escalate_after_reassignments, policy.auto_close_working_days) == (60, 90, 2, 5)
    assert policy.notify_managers_at_second_warning and not policy.escalate_on_breach


def test_a_working_day_on_7x24_is_24_hours(org):
    browser(org.owner).post("/settings/sla/new/", policy_post(
        resolution_target="1 working day", resolution_calendar="7x24"))
    assert SlaPolicy.objects.get(code="P3-MAIL").resolution_seconds == 24 * HOUR


@pytest.mark.parametrize("values, field", [
    ({"response_target": "soon"}, "response_target"),
    ({"resolution_target": "4 weeks"}, "resolution_target"),
    ({"response_target": "0 min"}, "response_target"),
    ({"warn_first_percent": "90", "warn_second_percent": "80"}, "warn_second_percent"),
    ({"priority": "9"}, "priority"),
    ({"code": "P3"}, "code"),
    ({"response_pause_statuses": ["30"]}, "response_pause_statuses"),
    ({"resolution_pause_statuses": ["50"]}, "resolution_pause_statuses"),
])
def test_bad_input_is_422_and_saves_nothing(org, values, field):
    before = SlaPolicy.objects.count()
    response = browser(org.owner).post("/settings/sla/new/", policy_post(**values))
    assert response.status_code == 422
    assert field_errors(response.content.decode(), field)
    assert SlaPolicy.objects.count() == before
    assert SlaPolicy.objects.get(code="P3").response_seconds == 2 * HOUR


def test_a_refused_edit_changes_nothing_not_even_pause_reasons(org):
    response = browser(org.owner).post("/settings/sla/P3/", edit_post(
        "P3", response_target="1 h", resolution_pause_reasons=["03"],
        warn_first_percent="85"))
    assert response.status_code == 422
    policy = SlaPolicy.objects.get(code="P3")
    assert policy.response_seconds == 2 * HOUR and policy.warn_first_percent == 50
    assert sorted(policy.resolution_pause_reasons.values_list("code", flat=True)) == ["01", "02"]


def test_the_vendor_escalation_flag_is_saved_shown_and_cleared(org):
    owner = browser(org.owner)
    form = owner.get("/settings/sla/P3/").content.decode()
    assert 'name="escalate_to_vendor_on_breach"' in form
    assert "Escalate to the vendor when resolution breaches" in form
    assert not SlaPolicy.objects.get(code="P3").escalate_to_vendor_on_breach  # off by default
    response = owner.post("/settings/sla/P3/", edit_post(
        "P3", escalate_to_vendor_on_breach="on"))
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(code="P3")
    assert policy.escalate_to_vendor_on_breach and not policy.escalate_on_breach
    page = owner.get("/settings/sla/").content.decode()
    row = re.search(r'href="/settings/sla/P3/".*?</tr>', page, re.DOTALL).group(0)
    assert "vendor on a resolution breach" in row
    assert "vendor on a resolution breach" not in re.search(
        r'href="/settings/sla/P4/".*?</tr>', page, re.DOTALL).group(0)
    checkbox = re.search(r'<input[^>]*name="escalate_to_vendor_on_breach"[^>]*>',
                         owner.get("/settings/sla/P3/").content.decode()).group(0)
    assert "checked" in checkbox
    assert owner.post("/settings/sla/P3/", edit_post(
        "P3", escalate_to_vendor_on_breach=None)).status_code == 302
    assert not SlaPolicy.objects.get(code="P3").escalate_to_vendor_on_breach
    owner.post("/settings/sla/new/", policy_post(escalate_to_vendor_on_breach="on"))
    assert SlaPolicy.objects.get(code="P3-MAIL").escalate_to_vendor_on_breach


def test_an_edit_applies_to_the_next_incident_not_to_running_clocks(org):
    running = logged(org, when=sh(2025, 3, 10, 9, 0))
    page = browser(org.owner).get("/settings/sla/P3/").content.decode()
    assert 'value="2 h"' in page and 'value="1 working day"' in page
    response = browser(org.owner).post("/settings/sla/P3/", edit_post(
        "P3", response_target="1 h", resolution_target="4 h"))
    assert response.status_code == 302
    fresh = logged(org, when=sh(2025, 3, 10, 9, 0))
    assert fresh.response_due_at == sh(2025, 3, 10, 10, 0)
    assert fresh.resolution_due_at == sh(2025, 3, 10, 14, 0)  # 09–12, 13–14
    running = Incident.objects.get(pk=running.pk)
    assert running.response_due_at == sh(2025, 3, 10, 11, 0)
    assert running.sla_response_seconds == 2 * HOUR


def test_deactivate_and_activate_a_policy(org):
    owner = browser(org.owner)
    assert owner.post("/settings/sla/P3/active/", {"active": "0"}).status_code == 302
    assert policy_match(priority_id=3, service_id=None, department_id=None) is None
    assert "Activate" in owner.get("/settings/sla/").content.decode()
    owner.post("/settings/sla/P3/active/", {"active": "1"})
    assert policy_match(priority_id=3, service_id=None, department_id=None).code == "P3"


# --- Escalate to the incident managers by hand (incident page) --------------------------------

def net2_incident(org):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    return act(incident, "assign", org, sh(2025, 3, 10, 9, 1), assignment_group=org.groups["NET2"])


@pytest.mark.parametrize("role, offered", [("requester", False), ("desk", True),
                                           ("engineer", True), ("other_engineer", False),
                                           ("manager", True)])
def test_the_escalate_button_is_offered_to_desk_group_and_managers(org, role, offered):
    incident = net2_incident(org)
    page = browser(getattr(org, role)).get(f"/incidents/{incident.number}/").content.decode()
    assert ("Escalate to the incident manager" in page) == offered


def test_escalate_by_hand_from_the_incident_page(org):
    incident = net2_incident(org)
    engineer = browser(org.engineer)
    url = f"/incidents/{incident.number}/escalate/"
    assert engineer.post(url, {"escalate-reason": " "}).status_code == 422
    response = engineer.post(url, {"escalate-reason": "Whole floor is down"})
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).hierarchical_escalation_count == 1
    event = incident.events.get(kind=EventKind.SLA)
    assert event.actor == org.engineer and event.new_value == "Whole floor is down"
    page = engineer.get(f"/incidents/{incident.number}/").content.decode()
    assert "Escalated to the incident managers" in page and "Whole floor is down" in page
    assert browser(org.requester).post(url, {"escalate-reason": "x"}).status_code == 403


# --- SLA history as sentences, and what requesters see -----------------------------------------

def test_sla_history_reads_as_sentences_and_requesters_see_only_auto_close(org):
    from opsdesk.incidents.services import incident_update
    from opsdesk.incidents.tests.sla_support import at, resolve
    from opsdesk.reference.models import Priority
    from opsdesk.sla.escalation import incident_escalate_to_managers
    from opsdesk.sla.tick import sla_tick_run

    incident = logged(org, priority=2, when=sh(2025, 3, 10, 9, 0))  # P2: 30 min / 8 h, 7×24
    with at(sh(2025, 3, 10, 9, 40)):
        sla_tick_run()  # the response clock ran 40 min: 50 %, 80 %, breach
    incident = act(incident, "start", org, sh(2025, 3, 10, 9, 41))
    with at(sh(2025, 3, 10, 15, 40)):  # 6 h 40 of 8 h: 83 %
        incident_escalate_to_managers(incident=incident, by=org.manager, reason="Floor down")
        incident = incident_update(incident=Incident.objects.get(pk=incident.pk), by=org.desk,
                                   data={"priority": Priority.objects.get(pk=4),
                                         "priority_override_reason": "Not urgent"})
    incident = resolve(incident, org, sh(2025, 3, 11, 9, 0))  # P4 now: closes Thu 18:00
    for when in (sh(2025, 3, 13, 9, 0), sh(2025, 3, 14, 9, 0)):
        with at(when):
            sla_tick_run()
    staff = browser(org.desk).get(f"/incidents/{incident.number}/").content.decode()
    for sentence in ("Response SLA warning: 50 % of the time used",
                     "Response SLA warning: 80 % of the time used", "Response SLA breached",
                     "Escalated to the incident managers: by hand", "Floor down",
                     "Priority lowered near a breach",
                     "Reminder: the incident closes automatically on 2025-03-13 18:00",
                     "Closed automatically: no answer for 3 working days"):
        assert sentence in staff, sentence
    mine = browser(org.requester).get(f"/incidents/{incident.number}/").content.decode()
    assert "Closed automatically: no answer for 3 working days" in mine
    assert "Reminder: the incident closes automatically" in mine
    for internal in ("SLA breached", "SLA warning", "Escalated to the incident managers",
                     "Floor down", "Priority lowered near a breach"):
        assert internal not in mine, internal


def _checkbox(page: str, name: str, value: int) -> str:
    return re.search(rf'<input[^>]*name="{name}" value="{value}"[^>]*>', page).group(0)


def test_the_pause_statuses_are_checkboxes_saved_and_shown_per_clock(org):
    owner = browser(org.owner)
    form = owner.get("/settings/sla/P3/").content.decode()
    assert "Statuses that pause the response clock" in form
    assert "checked" not in _checkbox(form, "response_pause_statuses", 35)
    assert "checked" in _checkbox(form, "resolution_pause_statuses", 40)
    assert "checked" in _checkbox(owner.get("/settings/sla/new/").content.decode(),
                                  "resolution_pause_statuses", 40)  # the default
    response = owner.post("/settings/sla/P3/", edit_post(
        "P3", response_pause_statuses=["35"], resolution_pause_statuses=["35", "40"]))
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(code="P3")
    assert policy.response_pause_statuses == [35]
    assert policy.resolution_pause_statuses == [35, 40]
    form = owner.get("/settings/sla/P3/").content.decode()
    assert "checked" in _checkbox(form, "response_pause_statuses", 35)
    assert "checked" in _checkbox(form, "resolution_pause_statuses", 35)
    page = owner.get("/settings/sla/").content.decode()
    row = re.search(r'href="/settings/sla/P3/".*?</tr>', page, re.DOTALL).group(0)
    assert re.search(r"Response:\s*pending \(any reason\)</li>", row)
    assert re.search(r"Resolution:\s*pending \(any reason\), resolved, ", row)
    other = re.search(r'href="/settings/sla/P4/".*?</tr>', page, re.DOTALL).group(0)
    assert re.search(r'Response:\s*<span class="muted">never</span>', other)
    assert re.search(r"Resolution:\s*resolved, ", other)
    assert owner.post("/settings/sla/P3/", edit_post(
        "P3", response_pause_statuses=None, resolution_pause_statuses=None)).status_code == 302
    policy = SlaPolicy.objects.get(code="P3")
    assert policy.response_pause_statuses == [] and policy.resolution_pause_statuses == []


def test_a_policy_refuses_pause_statuses_outside_the_fixed_set(org):
    from django.core.exceptions import ValidationError

    policy = SlaPolicy.objects.get(code="P3")
    for bad in ([30], [40, 40], "40", [True], [None]):
        policy.response_pause_statuses = bad
        with pytest.raises(ValidationError):
            policy.full_clean(validate_unique=False)
