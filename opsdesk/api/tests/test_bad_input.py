"""Bad input at every endpoint gets a clear 4xx JSON error and changes nothing."""

import pytest

from opsdesk.incidents.models import Incident, IncidentEvent


@pytest.fixture
def number(api):
    return api.desk.post("/incidents", {"short_description": "Printer jam",
                                        "requester": "requester"}).json()["number"]


def _assert_clear_error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize("payload, field", [
    ({}, "short_description"),
    ({"short_description": ""}, "short_description"),
    ({"short_description": "x" * 201}, "short_description"),
    ({"short_description": "ok", "impact": 0}, "impact"),
    ({"short_description": "ok", "impact": "high"}, "impact"),
    ({"short_description": "ok", "category": "NO.SUCH"}, "category"),
    ({"short_description": "ok", "service": "nope"}, "service"),
    ({"short_description": "ok", "requester": "ghost"}, "requester"),
    ({"short_description": "ok", "source": "99"}, "source"),
    ({"short_description": "ok", "configuration_items": ["missing-ci"]}, "configuration_items"),
    ({"short_description": "ok", "number": "INC202601010001"}, "number"),
    ({"short_description": "ok", "status": "closed"}, "status"),
    ({"short_description": "ok", "resolved_at": "2026-01-01T00:00:00Z"}, "resolved_at"),
    ({"short_description": "ok", "occurred_at": "yesterday"}, "occurred_at"),
    ({"short_description": "ok", "contact_email": "not-an-email"}, "contact_email"),
    ({"short_description": "ok", "priority": 1}, "priority_override_reason"),
    ({"short_description": "ok", "assignee": "engineer"}, "assignment_group"),
    ({"short_description": "ok", "assignment_group": "NET2", "assignee": "desk"}, "assignee"),
])
def test_create_rejects_bad_fields_and_writes_nothing(api, payload, field):
    body = _assert_clear_error(api.desk.post("/incidents", payload), 422)
    assert field in body["errors"], body
    assert Incident.objects.count() == 0 and IncidentEvent.objects.count() == 0


def test_malformed_json_is_a_4xx(api):
    r = api.desk.post("/incidents", "{not json")
    assert 400 <= r.status_code < 500
    assert r.json()["detail"]


def test_wrong_types_and_unknown_action(api, number):
    _assert_clear_error(api.desk.post(f"/incidents/{number}/actions/explode"), 422)
    _assert_clear_error(api.desk.post(f"/incidents/{number}/actions/resolve",
                                      {"resolution": "x", "resolution_code": "zz"}), 422)
    _assert_clear_error(api.desk.post(f"/incidents/{number}/actions/assign",
                                      {"assignment_group": "NET2", "colour": "red"}), 422)
    _assert_clear_error(api.desk.patch(f"/incidents/{number}", {"status": "closed"}), 422)
    _assert_clear_error(api.desk.patch(f"/incidents/{number}", {}), 422)
    _assert_clear_error(api.desk.patch(f"/incidents/{number}", {"short_description": ""}), 422)
    _assert_clear_error(api.desk.post(f"/incidents/{number}/comments", {"body": ""}), 422)
    _assert_clear_error(api.desk.post(f"/incidents/{number}/comments",
                                      {"body": "x", "visibility": "secret"}), 422)
    _assert_clear_error(api.desk.post(f"/incidents/{number}/watchers", {"usernames": ["ghost"]}),
                        422)


def test_unknown_records_are_404(api, number):
    _assert_clear_error(api.desk.get("/incidents/INC000"), 404)
    _assert_clear_error(api.desk.post("/incidents/INC000/actions/start"), 404)
    _assert_clear_error(api.desk.get(f"/incidents/{number}/attachments/999"), 404)
    _assert_clear_error(api.desk.get("/reference/no-such-table"), 404)


def test_wrong_state_is_409_and_forbidden_is_403(api, number):
    _assert_clear_error(api.desk.post(f"/incidents/{number}/actions/confirm"), 409)
    _assert_clear_error(api.engineer.get(f"/incidents/{number}"), 404)  # not visible: no leak
    _assert_clear_error(api.requester.post(f"/incidents/{number}/actions/start"), 403)
    _assert_clear_error(api.requester.patch(f"/incidents/{number}", {"description": "x"}), 403)
    _assert_clear_error(api.requester.get("/users"), 403)


@pytest.mark.parametrize("query, field", [
    ({"status": "sleeping"}, "status"), ({"group": "NOPE"}, "group"),
    ({"assignee": "ghost"}, "assignee"), ({"priority": "high"}, "priority"),
    ({"created_after": "last week"}, "created_after"), ({"sort": "colour"}, "sort"),
    ({"cursor": "garbage!"}, "cursor"), ({"limit": 0}, "limit"), ({"limit": 10000}, "limit"),
])
def test_list_rejects_bad_filters(api, query, field):
    body = _assert_clear_error(api.desk.get("/incidents", **query), 422)
    assert field in body["errors"], body


def test_no_credentials_or_bad_token_is_401(api, client):
    assert client.get("/api/v1/incidents").status_code == 401
    r = client.get("/api/v1/incidents", HTTP_AUTHORIZATION="Bearer odk_wrong")
    _assert_clear_error(r, 401)


def test_revoked_token_stops_working(api, org):
    from opsdesk.accounts.models import ApiToken
    from opsdesk.accounts.services import api_token_revoke

    assert api.desk.get("/incidents").status_code == 200
    for token in ApiToken.objects.filter(user=org.desk):
        api_token_revoke(token=token)
    assert api.desk.get("/incidents").status_code == 401
