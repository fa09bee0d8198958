"""Admin access follows the role flags; the administrator manages people, groups and tokens;
incidents and their history are read-only for everyone."""

import pytest
from django.test import Client

from opsdesk.accounts.models import ApiToken, User
from opsdesk.accounts.services import api_token_create
from opsdesk.core.testing.factories import SupportGroupFactory, UserFactory, incident_factory
from opsdesk.incidents.models import IncidentEvent
from opsdesk.reference.tests.admin_helpers import (change_form_data, client_for,
                                                   count_queries)

PASSWORD = "correct horse battery staple"
USERS = "/admin/accounts/user/"
GROUPS = "/admin/accounts/supportgroup/"
TOKENS = "/admin/accounts/apitoken/"
EVENTS = "/admin/incidents/incidentevent/"


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True)


# --- who gets in ------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["requester", "desk", "engineer", "manager"])
@pytest.mark.parametrize("url", ["/admin/", "/admin/reference/source/", USERS,
                                 "/admin/incidents/incident/"])
def test_other_roles_are_sent_to_the_login_page(org, who, url):
    response = client_for(getattr(org, who)).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_is_sent_to_the_login_page(db):
    response = Client().get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("who", ["requester", "desk", "engineer", "manager"])
def test_login_form_refuses_other_roles(org, who):
    person = getattr(org, who)
    person.is_staff = True  # the staff flag grants nothing here
    person.save(update_fields=["is_staff"])
    client = Client()
    response = client.post("/admin/login/", {"username": person.username, "password": PASSWORD,
                                             "next": "/admin/"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_login_form_admits_owner_and_administrator_without_staff_flag(org, who):
    person = getattr(org, who)
    assert not person.is_staff
    client = Client()
    response = client.post("/admin/login/", {"username": person.username, "password": PASSWORD,
                                             "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_deactivated_administrator_is_out(org):
    client = client_for(org.admin)
    org.admin.is_active = False
    org.admin.save(update_fields=["is_active"])
    assert client.get("/admin/").status_code == 302


# --- the administrator's pages ----------------------------------------------------------------

@pytest.mark.parametrize("url", [USERS, GROUPS, TOKENS, "/admin/accounts/organisation/",
                                 "/admin/accounts/location/", "/admin/reference/source/",
                                 "/admin/reference/prioritymatrixcell/", "/admin/cmdb/service/",
                                 "/admin/vendors/vendor/", "/admin/incidents/incident/", EVENTS])
def test_administrator_opens_everything(org, url):
    assert client_for(org.admin).get(url).status_code == 200


def test_administrator_edits_roles_department_and_groups(org):
    client = client_for(org.admin)
    person = org.requester
    url = f"{USERS}{person.pk}/change/"
    response = client.get(url)
    assert response.status_code == 200
    data = change_form_data(response)
    assert "is_superuser" not in data and "is_staff" not in data  # not for a non-superuser
    data.update(is_engineer="on", department=str(org.people["outsider"].department_id),
                support_groups=[str(org.groups["NET2"].pk), str(org.groups["APP2"].pk)])
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.is_engineer and person.department.code == "HR"
    assert set(person.support_groups.values_list("code", flat=True)) == {"NET2", "APP2"}
    # Taking the person out of every group works too.
    data = change_form_data(client.get(url))
    data.pop("support_groups")
    assert client.post(url, data).status_code == 302
    assert not person.support_groups.exists()


def test_administrator_adds_a_user_with_roles(org):
    client = client_for(org.admin)
    response = client.post(f"{USERS}add/", {
        "username": "newdesk", "usable_password": "true", "password1": "Zq8!vLw#3pTe",
        "password2": "Zq8!vLw#3pTe", "display_name": "New Desk", "email": "",
        "department": str(org.dept.pk), "is_service_desk": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(username="newdesk")
    assert created.is_service_desk and created.check_password("Zq8!vLw#3pTe")
    assert not created.is_staff and not created.is_superuser


def test_users_filter_by_role(org):
    client = client_for(org.admin)
    response = client.get(USERS, {"role": "engineer"})
    names = {u.username for u in response.context["cl"].result_list}
    assert names == {"engineer", "expert", "other_engineer"}
    response = client.get(USERS, {"role": "user"})
    names = {u.username for u in response.context["cl"].result_list}
    assert {"requester", "colleague", "outsider"} <= names and "desk" not in names


def test_only_a_superuser_touches_a_superuser(org, root):
    url = f"{USERS}{root.pk}/change/"
    client = client_for(org.admin)
    assert client.get(url).status_code == 200  # may look
    response = client.post(url, {"username": "root", "is_administrator": "on"})
    assert response.status_code == 403
    assert client.get(f"{USERS}{root.pk}/password/").status_code == 403
    root.refresh_from_db()
    assert not root.is_administrator
    # A superuser sees and sets the superuser flag.
    response = client_for(root).get(f"{USERS}{org.admin.pk}/change/")
    assert "is_superuser" in response.context["adminform"].form.fields


def test_administrator_edits_support_groups(org):
    client = client_for(org.admin)
    net2 = org.groups["NET2"]
    url = f"{GROUPS}{net2.pk}/change/"
    response = client.get(url)
    assert response.status_code == 200
    data = change_form_data(response)
    data.update(line="3", members=[str(org.engineer.pk), str(org.other_engineer.pk)],
                escalation_group=str(org.groups["APP2"].pk), manager=str(org.manager.pk))
    assert client.post(url, data).status_code == 302
    net2.refresh_from_db()
    assert net2.line == 3 and net2.escalation_group.code == "APP2"
    assert net2.manager == org.manager
    assert set(net2.members.values_list("username", flat=True)) == {"engineer", "other_engineer"}


def test_escalation_loops_are_refused(org):
    client = client_for(org.admin)
    net3 = org.groups["NET3"]  # NET2 escalates to NET3 already
    url = f"{GROUPS}{net3.pk}/change/"
    data = change_form_data(client.get(url))
    data["escalation_group"] = str(org.groups["NET2"].pk)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "escalation_group" in response.context["adminform"].form.errors
    net3.refresh_from_db()
    assert net3.escalation_group is None


def test_member_autocomplete_works_for_the_administrator_only(org):
    params = {"term": "engin", "app_label": "accounts", "model_name": "supportgroup",
              "field_name": "members"}
    response = client_for(org.admin).get("/admin/autocomplete/", params)
    assert response.status_code == 200
    assert {r["text"] for r in response.json()["results"]} >= {"Engineer", "Other_Engineer"}
    assert client_for(org.owner).get("/admin/autocomplete/", params).status_code == 403


def test_administrator_lists_and_revokes_tokens_without_seeing_secrets(org):
    token, secret = api_token_create(user=org.engineer, name="ci")
    other, _secret = api_token_create(user=org.desk, name="bot")
    client = client_for(org.admin)
    page = client.get(TOKENS).content.decode()
    assert token.prefix in page
    assert secret not in page and token.digest not in page
    detail = client.get(f"{TOKENS}{token.pk}/change/").content.decode()
    assert secret not in detail and token.digest not in detail
    response = client.post(TOKENS, {"action": "revoke_selected",
                                    "_selected_action": [str(token.pk)]})
    assert response.status_code == 302
    token.refresh_from_db()
    other.refresh_from_db()
    assert token.revoked_at is not None and not token.is_usable
    assert other.revoked_at is None


def test_tokens_cannot_be_created_or_edited_in_the_admin(org):
    token, _secret = api_token_create(user=org.engineer, name="ci")
    client = client_for(org.admin)
    assert client.get(f"{TOKENS}add/").status_code == 403
    assert client.post(f"{TOKENS}add/", {"user": org.admin.pk, "digest": "x" * 64}).status_code \
        == 403
    response = client.post(f"{TOKENS}{token.pk}/change/", {"name": "renamed", "digest": "0"})
    assert response.status_code == 403
    assert client.post(f"{TOKENS}{token.pk}/delete/", {"post": "yes"}).status_code == 403
    token.refresh_from_db()
    assert token.name == "ci" and ApiToken.objects.count() == 1


def test_people_and_groups_are_never_deleted_only_deactivated(org):
    client = client_for(org.admin)
    assert client.post(f"{USERS}{org.colleague.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{GROUPS}{org.groups['APP2'].pk}/delete/",
                       {"post": "yes"}).status_code == 403
    response = client.post(USERS, {"action": "deactivate_selected",
                                   "_selected_action": [str(org.colleague.pk),
                                                        str(org.admin.pk)]})
    assert response.status_code == 302
    org.colleague.refresh_from_db()
    org.admin.refresh_from_db()
    assert org.colleague.is_active is False
    assert org.admin.is_active is True  # not yourself


# --- incidents and their history --------------------------------------------------------------

@pytest.fixture
def incident(org):
    return incident_factory(by=org.desk, requester=org.requester)


@pytest.mark.parametrize("who", ["owner", "admin", "root"])
def test_history_cannot_be_added_changed_or_deleted_by_anyone(org, root, incident, who):
    client = client_for(root if who == "root" else getattr(org, who))
    event = incident.events.first()
    before = IncidentEvent.objects.values().get(pk=event.pk)
    count = IncidentEvent.objects.count()
    assert client.get(f"{EVENTS}{event.pk}/change/").status_code == 200  # may look
    assert client.post(f"{EVENTS}{event.pk}/change/", {
        "kind": "field", "field": "x", "new_value": "forged", "incident": incident.pk,
    }).status_code == 403
    assert client.get(f"{EVENTS}{event.pk}/delete/").status_code == 403
    assert client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{EVENTS}add/").status_code == 403
    assert client.post(f"{EVENTS}add/", {"incident": incident.pk, "kind": "field"}).status_code \
        == 403
    response = client.post(EVENTS, {"action": "delete_selected",
                                    "_selected_action": [str(event.pk)], "post": "yes"})
    assert response.status_code in (200, 302)
    assert IncidentEvent.objects.values().get(pk=event.pk) == before
    assert IncidentEvent.objects.count() == count


@pytest.mark.parametrize("who", ["owner", "admin", "root"])
def test_incidents_are_read_only_with_their_history(org, root, incident, who):
    client = client_for(root if who == "root" else getattr(org, who))
    url = f"/admin/incidents/incident/{incident.pk}/change/"
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert incident.number in page and incident.short_description in page
    assert response.context["adminform"].form.fields == {}  # nothing editable
    assert client.post(url, {"short_description": "forged"}).status_code == 403
    assert client.post(f"/admin/incidents/incident/{incident.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert client.get("/admin/incidents/incident/add/").status_code == 403
    incident.refresh_from_db()
    assert incident.short_description != "forged"


# --- query counts -----------------------------------------------------------------------------

def _grow(org, n=5):
    for i in range(n):
        person = UserFactory(username=f"grow{i}", is_engineer=True)
        SupportGroupFactory(code=f"GROW{i}", members=[person, org.engineer], manager=person,
                            escalation_group=org.groups["NET3"])
        api_token_create(user=person, name=f"t{i}")
        incident_factory(by=org.desk, requester=person, assignment_group=org.groups["NET2"])


@pytest.mark.parametrize("url", [USERS, GROUPS, TOKENS, "/admin/accounts/organisation/",
                                 "/admin/accounts/location/", "/admin/incidents/incident/",
                                 EVENTS])
def test_changelist_query_count_does_not_grow_with_rows(org, url):
    client = client_for(org.admin)
    api_token_create(user=org.engineer)
    incident_factory(by=org.desk, requester=org.requester)
    count_queries(client, url)  # warm caches
    before = count_queries(client, url)
    _grow(org)
    after = count_queries(client, url)
    assert after == before, f"{url}: {before} queries, then {after} with more rows"
    assert after <= 14, f"{url}: {after} queries"


def test_incident_page_query_count_does_not_grow_with_history(org, incident):
    from opsdesk.incidents.services import incident_transition

    client = client_for(org.admin)
    url = f"/admin/incidents/incident/{incident.pk}/change/"
    count_queries(client, url)
    before = count_queries(client, url)
    incident_transition(incident=incident, action="assign", by=org.desk,
                        assignment_group=org.groups["NET2"])
    incident = incident_transition(incident=incident, action="accept", by=org.engineer)
    assert incident.events.count() > 2
    after = count_queries(client, url)
    assert after == before, f"{before} queries, then {after} with more history"
