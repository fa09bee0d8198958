"""An incident from report to closure through the API, as each role does it."""

import pytest

from opsdesk.core.testing.factories import ServiceFactory


def test_portal_report_to_user_confirmation(api, org):
    # The user reports; nobody owns it yet and the priority comes from the matrix.
    r = api.requester.post("/incidents", {"short_description": "VPN 连接失败",
                                          "description": "Cannot connect from home since 9:00",
                                          "impact": 4, "urgency": 2, "category": "NET.VPN"})
    assert r.status_code == 201, r.content
    inc = r.json()
    number = inc["number"]
    assert number.startswith("INC") and len(number) == 15
    assert inc["status"] == "logged" and inc["owner"] is None
    assert inc["priority"]["level"] == 3 and inc["source"]["code"] == "07"
    assert inc["requester"]["code"] == "requester"
    assert "hand_back" not in inc["allowed_actions"] and "cancel" in inc["allowed_actions"]

    # The desk assigns it to 2nd line and becomes the owner (首问负责人).
    r = api.desk.post(f"/incidents/{number}/actions/assign", {"assignment_group": "NET2"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "assigned" and r.json()["owner"]["code"] == "desk"

    # The engineer accepts, asks the user, the user answers, work resumes by itself.
    assert api.engineer.post(f"/incidents/{number}/actions/accept").json()["assignee"]["code"] \
        == "engineer"
    r = api.engineer.post(f"/incidents/{number}/actions/pend",
                          {"pending_reason": "01", "reason": "Which VPN client version?"})
    assert r.json()["status"] == "pending"
    r = api.requester.post(f"/incidents/{number}/comments", {"body": "Version 5.1"})
    assert r.status_code == 201
    assert api.requester.get(f"/incidents/{number}").json()["status"] == "in_progress"

    # A work note stays internal.
    api.engineer.post(f"/incidents/{number}/comments",
                      {"body": "Cert expired on gateway", "visibility": "internal"})
    bodies = [c["body"] for c in api.requester.get(f"/incidents/{number}/comments").json()]
    assert bodies == ["Version 5.1"]
    assert len(api.desk.get(f"/incidents/{number}/comments").json()) == 2

    # Resolved, it shows in the owner's queue awaiting confirmation; the user confirms.
    r = api.engineer.post(f"/incidents/{number}/actions/resolve",
                          {"resolution": "Renewed the gateway certificate",
                           "resolution_code": "01"})
    assert r.json()["status"] == "resolved"
    queue = api.desk.get("/incidents", status="resolved", owner="me").json()["items"]
    assert [i["number"] for i in queue] == [number]
    r = api.requester.post(f"/incidents/{number}/actions/confirm")
    assert r.status_code == 200
    closed = r.json()
    assert closed["status"] == "closed" and closed["closure_code"]["code"] == "01"
    assert closed["closed_at"] and closed["resolved_at"] and closed["first_response_at"]

    history = api.desk.get(f"/incidents/{number}/history").json()
    actions = [e["action"] for e in history if e["kind"] == "transition"]
    assert actions == ["assign", "accept", "pend", "resume", "resolve", "confirm"]
    assert all(e["at"] and e["channel"] for e in history)


def test_desk_logs_phone_call_and_resolves_at_first_line(api, org):
    service = ServiceFactory(code="MAIL")
    r = api.desk.post("/incidents", {
        "short_description": "Outlook asks for password", "requester": "requester",
        "source": "01", "service": service.code, "impact": 4, "urgency": 3,
        "contact_phone": "13800000000"})
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    assert r.json()["owner"]["code"] == "desk"
    r = api.desk.post(f"/incidents/{number}/actions/resolve",
                      {"resolution": "Reset the cached credentials", "resolution_code": "05"})
    assert r.json()["first_contact_resolution"] is True
    r = api.desk.post(f"/incidents/{number}/actions/close", {"closure_code": "01"})
    assert r.json()["status"] == "closed"


def test_hand_back_escalation_and_reject(api, org):
    number = api.desk.post("/incidents", {"short_description": "ERP slow",
                                          "requester": "requester",
                                          "assignment_group": "APP2"}).json()["number"]
    r = api.other_engineer.post(f"/incidents/{number}/actions/hand_back",
                                {"reason": "Network issue, not application"})
    assert r.json()["status"] == "logged" and r.json()["hand_back_count"] == 1
    assert r.json()["assignment_group"] is None
    api.desk.post(f"/incidents/{number}/actions/assign", {"assignment_group": "NET2",
                                                          "assignee": "engineer"})
    r = api.engineer.post(f"/incidents/{number}/actions/assign", {"assignment_group": "NET3"})
    assert r.json()["escalation_count"] == 1 and r.json()["reassignment_count"] == 2
    api.expert.post(f"/incidents/{number}/actions/accept")
    api.expert.post(f"/incidents/{number}/actions/resolve",
                    {"resolution": "QoS fixed", "resolution_code": "08", "is_workaround": True})
    r = api.requester.post(f"/incidents/{number}/actions/reject", {"reason": "Still slow"})
    assert r.json()["status"] == "in_progress" and r.json()["reopen_count"] == 1
    assert r.json()["assignee"]["code"] == "expert"


@pytest.mark.parametrize("action", ["resolve", "close", "pend", "reopen", "cancel", "assign"])
def test_actions_without_their_required_fields_are_refused_clearly(api, org, action):
    number = api.desk.post("/incidents", {"short_description": "x", "requester": "requester"}
                           ).json()["number"]
    if action == "pend":
        api.desk.post(f"/incidents/{number}/actions/start")
    if action == "reopen":
        api.desk.post(f"/incidents/{number}/actions/resolve",
                      {"resolution": "done", "resolution_code": "01"})
    before = api.desk.get(f"/incidents/{number}").json()
    r = api.desk.post(f"/incidents/{number}/actions/{action}", {})
    assert r.status_code == 422, r.content
    assert r.json()["detail"] and r.json()["errors"]
    after = api.desk.get(f"/incidents/{number}").json()
    assert after["status"] == before["status"] and after["updated_at"] == before["updated_at"]
