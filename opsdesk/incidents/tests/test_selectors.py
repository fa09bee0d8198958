"""Incident lists: filters, keyset pagination for every sort, and a guard against N+1 queries."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.core.testing.factories import ServiceFactory, UserFactory, incident_factory
from opsdesk.incidents.choices import Action, Status
from opsdesk.incidents.models import Incident
from opsdesk.core import lookups
from opsdesk.incidents.related import CACHED_RELATIONS
from opsdesk.incidents.selectors import (LIST_RELATED, SORTS, IncidentFilters, incident_comments,
                                         incident_count, incident_get, incident_history,
                                         incident_list)
from opsdesk.incidents.services import comment_create, incident_transition
from opsdesk.reference.models import Category, Impact, Nature, ResolutionCode, Source, Urgency

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def data(org):
    """Twelve incidents with different attributes; the short description names each one."""
    category = {c.path: c for c in Category.objects.all()}
    category["HWX"] = Category.objects.create(code="HWX", name_zh="其他硬件", name_en="HW extra")
    erp, mail = ServiceFactory(code="ERP"), ServiceFactory(code="MAIL")
    other = UserFactory(username="other_requester")
    level = {n: (Impact.objects.get(pk=n), Urgency.objects.get(pk=n)) for n in range(1, 5)}
    made = {}

    def log(name, when, by=None, requester=None, **values):
        with time_machine.travel(when, tick=False):
            made[name] = incident_factory(by=by or org.desk, short_description=name,
                                          requester=requester or org.requester, **values)
        return made[name]

    log("printer jam", at(0), category=category["HW.PRINTER"],
        source=Source.objects.get(pk="01"))
    log("laptop broken", at(1), category=category["HW.PC"], service=erp,
        impact=level[3][0], urgency=level[2][1])  # P2
    log("vpn down", at(2), requester=other, category=category["NET.VPN"],
        impact=level[1][0], urgency=level[1][1])  # P1
    log("mail slow", at(3), requester=other, service=mail, source=Source.objects.get(pk="02"))
    log("new account", at(4), nature=Nature.objects.get(pk="02"),
        category=category["ACCOUNT.PERMISSION"])
    log("odd hardware", at(5), category=category["HWX"])
    log("Incident 2024 report broken", at(6), description="Quarterly figures are missing")
    log("portal request", at(7), by=org.requester, description="Screen flickers after lunch")
    for n in range(4):  # logged in the same instant: equal registered_at and updated_at
        log(f"batch {n}", at(8), requester=other)

    def act(name, when, action, by, **params):
        with time_machine.travel(when, tick=False):
            made[name] = incident_transition(incident=made[name], action=action, by=by, **params)

    act("laptop broken", at(20), Action.ASSIGN, org.desk, assignment_group=org.groups["NET2"],
        assignee=org.engineer)
    act("vpn down", at(21), Action.ASSIGN, org.desk, assignment_group=org.groups["NET2"])
    act("mail slow", at(22), Action.ASSIGN, org.desk, assignment_group=org.groups["APP2"])
    act("printer jam", at(23), Action.RESOLVE, org.desk, resolution="Cleared the jam",
        resolution_code=ResolutionCode.objects.get(pk="03"))
    return made


def names(user, sort="-registered_at", **filters) -> list[str]:
    rows, cursor = incident_list(user=user, filters=IncidentFilters(**filters), sort=sort,
                                 limit=100)
    assert cursor == ""
    assert incident_count(user=user, filters=IncidentFilters(**filters)) == len(rows)
    return [r.short_description for r in rows]


def as_set(user, **filters) -> set[str]:
    return set(names(user, **filters))


BATCH = {f"batch {n}" for n in range(4)}
ALL = {"printer jam", "laptop broken", "vpn down", "mail slow", "new account", "odd hardware",
       "Incident 2024 report broken", "portal request"} | BATCH


# --- Filters --------------------------------------------------------------------------------------

def test_unfiltered_list_is_every_visible_incident_newest_first(org, data):
    listed = names(org.desk)
    assert set(listed) == ALL and len(listed) == len(ALL)
    assert listed[0] == "batch 3" and listed[-1] == "printer jam"


def test_filter_by_status(org, data):
    assert as_set(org.desk, statuses=[Status.ASSIGNED]) == {"laptop broken", "vpn down",
                                                            "mail slow"}
    assert as_set(org.desk, statuses=[Status.RESOLVED]) == {"printer jam"}
    assert as_set(org.desk, statuses=[Status.RESOLVED, Status.CLOSED]) == {"printer jam"}
    assert as_set(org.desk, statuses=[Status.CLOSED]) == set()


def test_filter_by_priority(org, data):
    assert as_set(org.desk, priorities=[1]) == {"vpn down"}
    assert as_set(org.desk, priorities=[1, 2]) == {"vpn down", "laptop broken"}
    assert as_set(org.desk, priorities=[3]) == ALL - {"vpn down", "laptop broken"}


def test_filter_by_group_assignee_owner_requester(org, data):
    assert as_set(org.desk, group_ids=[org.groups["NET2"].pk]) == {"laptop broken", "vpn down"}
    assert as_set(org.desk, group_ids=[org.groups["NET2"].pk, org.groups["APP2"].pk]) == {
        "laptop broken", "vpn down", "mail slow"}
    assert as_set(org.desk, assignee_id=org.engineer.pk) == {"laptop broken"}
    assert as_set(org.desk, unassigned=True) == ALL - {"laptop broken", "vpn down", "mail slow"}
    assert as_set(org.desk, owner_id=org.desk.pk) == ALL - {"portal request"}
    assert as_set(org.desk, requester_id=org.requester.pk) == {
        "printer jam", "laptop broken", "new account", "odd hardware",
        "Incident 2024 report broken", "portal request"}


def test_filter_by_category_includes_the_subtree_only(org, data):
    assert as_set(org.desk, category_path="HW") == {"printer jam", "laptop broken"}
    assert as_set(org.desk, category_path="HW.PC") == {"laptop broken"}
    assert as_set(org.desk, category_path="HWX") == {"odd hardware"}
    assert as_set(org.desk, category_path="NET") == {"vpn down"}
    assert as_set(org.desk, category_path="ACCOUNT") == {"new account"}


def test_filter_by_service_source_and_nature(org, data):
    erp = data["laptop broken"].service
    assert as_set(org.desk, service_id=erp.pk) == {"laptop broken"}
    assert as_set(org.desk, source_code="01") == {"printer jam"}
    assert as_set(org.desk, source_code="02") == {"mail slow"}
    assert as_set(org.desk, source_code="03") == ALL - {"printer jam", "mail slow"}
    assert as_set(org.desk, nature_code="02") == {"new account"}


def test_filter_by_created_and_updated_ranges(org, data):
    assert as_set(org.desk, created_after=at(2), created_before=at(4)) == {"vpn down",
                                                                            "mail slow"}
    assert as_set(org.desk, created_after=at(8)) == BATCH
    assert as_set(org.desk, created_before=at(1)) == {"printer jam"}
    assert as_set(org.desk, updated_after=at(20)) == {"laptop broken", "vpn down", "mail slow",
                                                      "printer jam"}
    assert as_set(org.desk, updated_after=at(21), updated_before=at(23)) == {"vpn down",
                                                                             "mail slow"}


def test_free_text_search(org, data):
    assert as_set(org.desk, text="printer") == {"printer jam"}
    assert as_set(org.desk, text="FLICKERS") == {"portal request"}  # in the description
    assert as_set(org.desk, text="  quarterly  ") == {"Incident 2024 report broken"}
    # Words that look a little like a number are still words.
    assert as_set(org.desk, text="Incident 2024") == {"Incident 2024 report broken"}
    assert as_set(org.desk, text="inc") == {"Incident 2024 report broken"}
    assert as_set(org.desk, text="toaster") == set()


def test_search_by_number(org, data):
    number = data["vpn down"].number
    assert as_set(org.desk, text=number) == {"vpn down"}
    assert as_set(org.desk, text=number.lower()) == {"vpn down"}
    assert as_set(org.desk, text=data["new account"].number) == {"new account"}  # SR…
    assert as_set(org.desk, text="INC209901010001") == set()


def test_filters_combine(org, data):
    assert as_set(org.desk, requester_id=org.requester.pk, category_path="HW",
                  statuses=[Status.ASSIGNED]) == {"laptop broken"}


def test_lists_only_show_what_the_user_may_see(org, data):
    assert as_set(org.requester) == {"printer jam", "laptop broken", "new account",
                                     "odd hardware", "Incident 2024 report broken",
                                     "portal request"}
    assert as_set(org.engineer) == {"laptop broken", "vpn down"}
    assert as_set(org.engineer, text="mail") == set()
    assert as_set(org.outsider) == set()
    with pytest.raises(NotFound):
        incident_get(user=org.outsider, number=data["vpn down"].number)
    assert incident_get(user=org.engineer, number=data["vpn down"].number) == data["vpn down"]


# --- Keyset pagination ----------------------------------------------------------------------------

def expected_order(rows: list[Incident], sort: str) -> list[int]:
    """The order each sort promises, computed here in Python from the stored values."""
    key = {
        "-registered_at": lambda r: -r.id,
        "registered_at": lambda r: r.id,
        "-updated_at": lambda r: (-r.updated_at.timestamp(), -r.id),
        "updated_at": lambda r: (r.updated_at.timestamp(), r.id),
        "priority": lambda r: (r.priority_id, -r.id),
        "-priority": lambda r: (-r.priority_id, -r.id),
        "status": lambda r: (r.status, -r.id),
        "-status": lambda r: (-r.status, -r.id),
    }[sort]
    return [r.id for r in sorted(rows, key=key)]


def walk(user, sort, limit, **filters) -> list[int]:
    seen, cursor, pages = [], "", 0
    while True:
        rows, cursor = incident_list(user=user, filters=IncidentFilters(**filters), sort=sort,
                                     cursor=cursor, limit=limit)
        assert len(rows) <= limit
        seen += [r.id for r in rows]
        pages += 1
        assert pages <= 100
        if not cursor:
            return seen


@pytest.mark.parametrize("limit", [1, 5, 12, 50])
@pytest.mark.parametrize("sort", list(SORTS))
def test_every_sort_pages_through_every_row_exactly_once_in_order(org, data, sort, limit):
    everything = list(Incident.objects.all())
    seen = walk(org.desk, sort, limit)
    assert len(seen) == len(set(seen)) == len(everything)
    assert seen == expected_order(everything, sort)
    # Ties exist in the data, so the id tie-breaker is really exercised.
    assert len({r.updated_at for r in everything}) < len(everything)
    assert len({r.priority_id for r in everything}) < len(everything)


@pytest.mark.parametrize("sort", list(SORTS))
def test_pages_respect_filters_and_visibility(org, data, sort):
    visible = list(Incident.objects.restrict(org.requester).filter(priority_id=3))
    seen = walk(org.requester, sort, 2, priorities=[3])
    assert seen == expected_order(visible, sort)


def test_a_page_ends_exactly_at_the_last_row(org, data):
    rows, cursor = incident_list(user=org.desk, filters=IncidentFilters(), limit=len(ALL))
    assert len(rows) == len(ALL) and cursor == ""
    rows, cursor = incident_list(user=org.desk, filters=IncidentFilters(), limit=len(ALL) - 1)
    assert cursor != ""
    rest, cursor = incident_list(user=org.desk, filters=IncidentFilters(), cursor=cursor)
    assert [r.short_description for r in rest] == ["printer jam"] and cursor == ""


def cursor_of(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(("sort", "cursor"), [
    ("-registered_at", "not a cursor!"),
    ("-registered_at", "%%%%"),
    ("-registered_at", cursor_of({"id": 3})),
    ("-registered_at", cursor_of([])),
    ("-registered_at", cursor_of([1, 2])),
    ("-registered_at", cursor_of(["x"])),
    ("-registered_at", cursor_of([True])),
    ("-registered_at", cursor_of([1.5])),
    ("-registered_at", cursor_of([-1])),
    ("-registered_at", cursor_of([10**30])),
    ("-updated_at", cursor_of([3, 4])),
    ("-updated_at", cursor_of(["2026-11-25T01:00:00", 4])),  # no time zone
    ("-updated_at", cursor_of(["2026-13-45T99:00:00+00:00", 4])),
    ("-updated_at", cursor_of(["garbage T", 4])),
    ("updated_at", cursor_of([None, 4])),
    ("priority", cursor_of([{"a": 1}, 2])),
    ("priority", cursor_of(["1", 2])),
], ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None)
def test_invalid_cursor_is_invalid_input(org, data, sort, cursor):
    with pytest.raises(InvalidInput) as raised:
        incident_list(user=org.desk, filters=IncidentFilters(), sort=sort, cursor=cursor)
    assert "cursor" in raised.value.errors


def test_a_cursor_of_another_sort_is_invalid(org, data):
    _rows, cursor = incident_list(user=org.desk, filters=IncidentFilters(), sort="-updated_at",
                                  limit=2)
    with pytest.raises(InvalidInput):
        incident_list(user=org.desk, filters=IncidentFilters(), sort="-registered_at",
                      cursor=cursor)


def test_unknown_sort_and_empty_pages_are_invalid(org, data):
    with pytest.raises(InvalidInput) as raised:
        incident_list(user=org.desk, filters=IncidentFilters(), sort="short_description")
    assert "sort" in raised.value.errors
    with pytest.raises(InvalidInput) as raised:
        incident_list(user=org.desk, filters=IncidentFilters(), limit=0)
    assert "limit" in raised.value.errors


# --- Query-count guards ---------------------------------------------------------------------------

def touch(rows):
    """Read every related record a list page shows, as a template or serializer would."""
    for row in rows:
        for name in LIST_RELATED:
            str(getattr(row, name))


# Per list call: the page itself and one query for the people on it (code tables, groups and
# services come from the in-memory lookups, warmed here as in a running server); for people who
# do not see everything also their watched and collaborated ids and their support groups (read
# once, then cached on the user).
@pytest.mark.parametrize(("role", "queries"), [("desk", 2), ("engineer", 5), ("requester", 5)])
@pytest.mark.parametrize("sort", ["-registered_at", "-updated_at"])
def test_incident_list_query_count_does_not_grow_with_rows(org, data, role, queries, sort,
                                                           django_assert_max_num_queries):
    for model in CACHED_RELATIONS.values():
        lookups.rows_by_pk(model)
    user = type(org.desk).objects.get(pk=getattr(org, role).pk)  # nothing cached yet
    with django_assert_max_num_queries(queries):
        rows, cursor = incident_list(user=user, filters=IncidentFilters(), sort=sort, limit=50)
        touch(rows)
    assert rows
    user = type(org.desk).objects.get(pk=user.pk)
    with django_assert_max_num_queries(queries):
        rows, cursor = incident_list(user=user, filters=IncidentFilters(category_path="HW",
                                                                        text="o"),
                                     sort=sort, limit=1)
        touch(rows)
    user = type(org.desk).objects.get(pk=user.pk)
    with django_assert_max_num_queries(queries):
        rows, _cursor = incident_list(user=user, filters=IncidentFilters(category_path="HW",
                                                                         text="o"),
                                      sort=sort, cursor=cursor)
        touch(rows)


def test_comments_and_history_query_count(org, data, django_assert_max_num_queries):
    incident = data["laptop broken"]
    for n in range(5):
        comment_create(incident=incident, by=org.engineer, body=f"Step {n}")
    with django_assert_max_num_queries(1):
        comments = incident_comments(user=org.engineer, incident=incident)
        assert [str(c.author) for c in comments]
    with django_assert_max_num_queries(1):
        events = incident_history(user=org.engineer, incident=incident)
        assert [str(e.actor) for e in events]
