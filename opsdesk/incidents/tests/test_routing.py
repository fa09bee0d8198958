"""Routing rules assign a new incident logged without a group, as the system, from memory."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.core.testing.factories import LocationFactory, ServiceFactory, incident_factory
from opsdesk.incidents.choices import Channel, EventKind, Status
from opsdesk.reference.editing import routing_rule_create, routing_rule_update
from opsdesk.reference.models import Category, RoutingRule


def rule(org, group: str, *, category=None, service=None, location=None, order=100,
         name="Rule"):
    return routing_rule_create(data={
        "name_zh": name, "name_en": name, "group": org.groups[group], "order": order,
        "category": Category.objects.get(path=category) if category else None,
        "service": service, "location": location, "is_active": True})


@pytest.fixture
def hardware_categories():
    """A category and a child below it, under whatever tree the defaults ship."""
    root = Category.objects.create(code="HWX", name_zh="硬件", name_en="Hardware")
    Category.objects.create(code="PRN", parent=root, name_zh="打印机", name_en="Printer")
    return root


def test_a_matching_rule_assigns_the_new_incident_as_the_system(org, hardware_categories):
    rule(org, "NET2", category="HWX", name="Hardware to NET2")
    incident = incident_factory(by=org.requester, category=Category.objects.get(path="HWX.PRN"))
    assert (incident.status, incident.assignment_group_id) == (Status.ASSIGNED,
                                                                org.groups["NET2"].pk)
    assert incident.assignee_id is None and incident.reassignment_count == 0
    assignment = incident.events.get(kind=EventKind.ASSIGNMENT)
    assert (assignment.actor_id, assignment.channel) == (None, Channel.SYSTEM)
    assert assignment.data["to_group"] == "NET2"
    transition = incident.events.get(kind=EventKind.TRANSITION)
    assert transition.action == "assign" and "Hardware to NET2" in transition.new_value
    assert incident.number  # still numbered last, in the same transaction


def test_no_rule_leaves_the_incident_for_the_desk(org, hardware_categories):
    rule(org, "NET2", category="HWX.PRN")
    incident = incident_factory(by=org.requester, category=hardware_categories)
    assert incident.status == Status.LOGGED and incident.assignment_group_id is None


def test_an_explicit_assignment_wins_over_the_rules(org, hardware_categories):
    from opsdesk.incidents.services import incident_create

    rule(org, "NET2", category="HWX")
    incident, _created = incident_create(
        by=org.desk, data={"short_description": "Jam", "requester": org.requester,
                           "category": hardware_categories},
        assign={"assignment_group": org.groups["APP2"]})
    assert incident.assignment_group_id == org.groups["APP2"].pk
    assert incident.events.filter(kind=EventKind.ASSIGNMENT).count() == 1


def test_the_most_specific_rule_wins(org, hardware_categories):
    mail, hq = ServiceFactory(code="MAIL"), LocationFactory(code="HQ")
    printer = Category.objects.get(path="HWX.PRN")
    rule(org, "DESK", category="HWX")
    rule(org, "NET2", category="HWX.PRN")  # deeper category beats its parent
    rule(org, "APP2", service=mail)  # a service beats a category, as the only criterion
    rule(org, "NET3", category="HWX", service=mail, location=hq)  # three criteria beat all

    def routed(**data):
        return incident_factory(by=org.requester, **data).assignment_group.code

    assert routed(category=hardware_categories) == "DESK"
    assert routed(category=printer) == "NET2"
    assert routed(category=printer, service=mail) == "APP2"
    assert routed(category=printer, service=mail, location=hq) == "NET3"
    assert routed(category=hardware_categories, location=hq) == "DESK"


def test_order_breaks_a_tie_between_rules_with_the_same_criteria(org):
    mail, hq = ServiceFactory(code="MAIL"), LocationFactory(code="HQ")
    rule(org, "NET2", service=mail, order=50)
    low = rule(org, "APP2", location=hq, order=10)
    # service beats location whatever the order
    assert incident_factory(by=org.requester, service=mail,
                            location=hq).assignment_group.code == "NET2"
    rule(org, "NET3", location=hq, order=5)
    assert incident_factory(by=org.requester, location=hq).assignment_group.code == "NET3"
    routing_rule_update(rule=low, data={"order": 1})
    assert incident_factory(by=org.requester, location=hq).assignment_group.code == "APP2"
    rule(org, "DESK", location=hq, order=1)  # same criteria, same order: the older rule
    assert incident_factory(by=org.requester, location=hq).assignment_group.code == "APP2"


def test_inactive_rules_and_rules_to_inactive_groups_are_skipped(org):
    mail = ServiceFactory(code="MAIL")
    first = rule(org, "NET2", service=mail, order=1)
    rule(org, "APP2", service=mail, category=None, location=LocationFactory(code="X"))
    routing_rule_update(rule=first, data={"is_active": False})
    assert incident_factory(by=org.requester, service=mail).status == Status.LOGGED
    routing_rule_update(rule=first, data={"is_active": True})
    group = org.groups["NET2"]
    group.is_active = False
    group.save()
    assert incident_factory(by=org.requester, service=mail).status == Status.LOGGED


def test_rules_are_read_from_memory_when_logging(org, hardware_categories):
    rule(org, "NET2", category="HWX")
    printer = Category.objects.get(path="HWX.PRN")
    incident_factory(by=org.requester, category=printer)  # loads the rules into memory
    with CaptureQueriesContext(connection) as queries:
        incident_factory(by=org.requester, category=printer)
    assert not [q for q in queries.captured_queries
                if RoutingRule._meta.db_table in q["sql"] and "SELECT" in q["sql"]]


def test_a_new_rule_applies_to_the_next_incident_at_once(org, hardware_categories):
    assert incident_factory(by=org.requester, category=hardware_categories).status == 10
    rule(org, "APP2", category="HWX")
    assert incident_factory(by=org.requester,
                            category=hardware_categories).assignment_group.code == "APP2"
