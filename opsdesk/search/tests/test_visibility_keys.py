"""A restricted person's search is answered from the document's own copy of who may see an
incident (group, assignee, requester, department): it must match exactly what
Incident.objects.restrict(user) allows, stay fresh through reassignment, hand-back and a new
requester, and reach old incidents too."""

import pytest
from django.db import connection

from opsdesk.accounts.models import User
from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Action
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_transition, incident_update
from opsdesk.search import backends
from opsdesk.search.models import IncidentDocument
from opsdesk.search.selectors import _keys_where, incident_search, matching_ids
from opsdesk.search.services import documents_index

pytestmark = pytest.mark.django_db


def found(user, text="打印机", **kwargs):
    return {hit.object.pk for hit in incident_search(user=user, text=text, limit=100, **kwargs)}


def expected(user, text="打印机"):
    """What the person may see among the incidents whose short description holds the text."""
    return set(Incident.objects.restrict(user).filter(short_description__contains=text)
               .values_list("pk", flat=True))


def fresh(user):
    return User.objects.get(pk=user.pk)  # support_group_ids is cached per object


def assign(incident, org, group, assignee=None):
    return incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                               assignment_group=group, assignee=assignee)


def keys_of(incident):
    document = IncidentDocument.objects.get(pk=incident.pk)
    return (document.group_id, document.assignee_id, document.requester_id,
            document.department_id)


@pytest.fixture
def world(org):
    """Printer incidents in several groups, by several requesters, and one without a group."""
    net = [assign(incident_factory(by=org.desk, requester=org.outsider,
                                   short_description=f"打印机 NET {n}"), org, org.groups["NET2"])
           for n in range(3)]
    app = [assign(incident_factory(by=org.desk, requester=org.outsider,
                                   short_description=f"打印机 APP {n}"), org, org.groups["APP2"])
           for n in range(3)]
    mine = incident_factory(by=org.requester, short_description="打印机 mine")
    colleague = incident_factory(by=org.colleague, short_description="打印机 colleague")
    other = incident_factory(by=org.desk, short_description="邮件 NET",
                             requester=org.outsider)
    return {"net": net, "app": app, "mine": mine, "colleague": colleague, "other": other}


def test_restricted_querysets_become_key_conditions(org, world):
    for user in (org.engineer, org.requester, org.outsider, org.other_engineer):
        assert _keys_where(Incident.objects.restrict(fresh(user)), IncidentDocument) is not None
    # a condition on another column falls back to the pk subquery
    assert _keys_where(Incident.objects.restrict(org.engineer).filter(status=1),
                       IncidentDocument) is None
    assert _keys_where(Incident.objects.filter(short_description="x"), IncidentDocument) is None


def test_every_role_sees_exactly_their_matches(org, world):
    for user in org.people.values():
        user = fresh(user)
        assert found(user) == expected(user), user.username
    assert found(fresh(org.engineer)) == {i.pk for i in world["net"]}
    assert found(fresh(org.other_engineer)) == {i.pk for i in world["app"]}
    assert found(org.requester) == {world["mine"].pk}
    assert found(org.outsider) == {i.pk for i in world["net"] + world["app"]}


def test_reassignment_moves_an_incident_out_of_the_engineers_results(org, world):
    moved = world["net"][0]
    assign(moved, org, org.groups["APP2"])
    assert keys_of(moved)[0] == org.groups["APP2"].pk
    assert moved.pk not in found(fresh(org.engineer))
    assert moved.pk in found(fresh(org.other_engineer))
    assert found(fresh(org.engineer)) == expected(fresh(org.engineer))
    # handed back to the desk: in no group, seen by neither engineer
    incident_transition(incident=moved, action=Action.HAND_BACK, by=org.other_engineer,
                        reason="不是我们的")
    assert keys_of(moved)[:2] == (None, None)
    assert moved.pk not in found(fresh(org.engineer)) | found(fresh(org.other_engineer))


def test_an_assignee_outside_the_group_and_taking_work_are_kept(org, world):
    incident = world["net"][1]
    incident_transition(incident=incident, action=Action.ACCEPT, by=org.engineer)
    assert keys_of(incident)[1] == org.engineer.pk
    # the engineer leaves the group: they still see what is assigned to them, nothing else
    org.groups["NET2"].members.remove(org.engineer)
    engineer = fresh(org.engineer)
    assert found(engineer) == {incident.pk} == expected(engineer)


def test_a_new_requester_changes_who_finds_the_incident(org, world):
    incident = world["mine"]
    incident_update(incident=incident, by=org.desk, data={"requester": org.outsider})
    assert keys_of(incident)[2:] == (org.outsider.pk, org.outsider.department_id)
    assert incident.pk not in found(org.requester)
    assert incident.pk in found(org.outsider)
    assert found(org.requester) == expected(org.requester)


def test_department_watchers_and_collaborators(org, world):
    org.requester.can_view_department = True
    org.requester.save(update_fields=["can_view_department"])
    requester = fresh(org.requester)
    assert found(requester) == {world["mine"].pk, world["colleague"].pk} == expected(requester)
    watched = world["app"][0]
    watched.watchers.add(org.colleague)
    world["net"][2].collaborators.add(org.colleague)
    assert found(org.colleague) == {world["colleague"].pk, watched.pk, world["net"][2].pk}
    assert found(org.colleague) == expected(org.colleague)


def test_suggestions_use_the_same_keys(org, world):
    engineer = fresh(org.engineer)
    ids = matching_ids(Incident.objects.restrict(engineer), IncidentDocument, "打印机", limit=50)
    assert set(ids) == {i.pk for i in world["net"]}


def test_old_incidents_are_reached_past_the_newest_window(org, world, monkeypatch):
    """No silent limit: the engineer's oldest match is found when the newest documents hold
    none of theirs (the window shrunk to 2 documents to show it on a small database)."""
    monkeypatch.setattr(backends, "KEYS_WINDOW", 2)
    for n in range(4):
        incident_factory(by=org.desk, requester=org.outsider, short_description=f"打印机 new {n}")
    engineer = fresh(org.engineer)
    assert found(engineer) == {i.pk for i in world["net"]}
    assert found(engineer, "打印机 NET 0") == {world["net"][0].pk}


def test_reindex_and_seeded_documents_carry_the_keys(org, world):
    IncidentDocument.objects.update(group_id=None, assignee_id=None, requester_id=None,
                                    department_id=None)
    assert found(fresh(org.engineer)) == set()
    documents_index(document_model=IncidentDocument, targets=list(Incident.objects.all()))
    assert found(fresh(org.engineer)) == {i.pk for i in world["net"]}
    for incident in Incident.objects.all():
        assert keys_of(incident) == (incident.assignment_group_id, incident.assignee_id,
                                     incident.requester_id, incident.requester_department_id)


def test_the_keys_are_indexed():
    """PostgreSQL: one GIN over the vector and the visibility tags; elsewhere a btree each."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor,
                                                               "search_incidentdocument")
    indexed = {tuple(c["columns"]) for c in constraints.values() if c["index"]}
    if connection.vendor == "postgresql":
        assert ("search_vector", "visibility") in indexed
        assert ("search_vector",) not in indexed  # replaced by the multicolumn GIN
        with connection.cursor() as cursor:  # the tags follow the keys (generated column)
            cursor.execute("SELECT visibility FROM search_incidentdocument "
                           "WHERE group_id IS NOT NULL LIMIT 1")
            row = cursor.fetchone()
        assert row is None or len(row[0]) >= 2
    else:
        assert {("group_id",), ("requester_id",), ("assignee_id",),
                ("department_id",)} <= indexed


def test_a_subquery_of_ids_is_a_key_too(org, world):
    """e.g. the incidents of a group's open tasks (a visibility hook may add such a condition)."""
    from django.db.models import Q

    from opsdesk.search.selectors import search

    apps = Incident.objects.filter(short_description__startswith="打印机 APP").values("pk")
    queryset = Incident.objects.filter(Q(requester_id=org.requester.pk) | Q(pk__in=apps))
    keys = _keys_where(queryset, IncidentDocument)
    assert keys is not None and len(keys.subqueries) == 1
    hits = {hit.object.pk for hit in search(queryset, IncidentDocument, "打印机", limit=50)}
    assert hits == {world["mine"].pk, *(i.pk for i in world["app"])}
    assert {hit.object.pk for hit in search(queryset, IncidentDocument, "打印机 APP 1")} == {
        world["app"][1].pk}


def test_the_migration_fills_the_keys_of_existing_documents(org, world):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("opsdesk.search.migrations.0002_document_visibility_keys")
    IncidentDocument.objects.update(group_id=None, assignee_id=None, requester_id=None,
                                    department_id=None)
    migration.keys_fill(apps, type("Editor", (), {"connection": connection})())
    for incident in Incident.objects.all():
        assert keys_of(incident) == (incident.assignment_group_id, incident.assignee_id,
                                     incident.requester_id, incident.requester_department_id)
    assert found(fresh(org.engineer)) == {i.pk for i in world["net"]}


def test_seeded_documents_carry_the_keys():
    from django.core.management import call_command

    call_command("seed_incidents", count=40, batch=20, workers=1, stdout=open("/dev/null", "w"))
    incidents = list(Incident.objects.all())
    assert len(incidents) == 40
    assert any(i.assignment_group_id for i in incidents)
    for incident in incidents:
        assert keys_of(incident) == (incident.assignment_group_id, incident.assignee_id,
                                     incident.requester_id, incident.requester_department_id)
