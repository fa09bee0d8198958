"""The reviews API: the whole workflow, actions, exports, and the 4xx answers."""

import io

import pytest
from pypdf import PdfReader

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.incidents.choices import Status

from .conftest import ROOT_CAUSE, resolve

EN = {"Accept-Language": "en"}


@pytest.fixture
def api(org, action_owner):
    people = {**org.people, "dba": action_owner}
    return type("Clients", (), {name: ApiClient(user) for name, user in people.items()})


def test_from_start_to_approval_then_the_master_closes(api, org, major):
    path = f"/reviews/{major.number}"
    assert api.manager.get(path).status_code == 404
    created = api.manager.post(path)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["affected_users_count"] == 3
    assert body["timeline"] and body["authors"] == ["manager"]
    assert api.manager.post(path).status_code == 409
    changed = api.desk.patch(path, {"root_cause": ROOT_CAUSE, "authors": ["manager", "desk"],
                                    "impact_started_at": "2026-11-25T09:00:00+08:00",
                                    "impact_ended_at": "2026-11-25T11:30:00+08:00"})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["root_cause"] == ROOT_CAUSE
    line = api.desk.post(f"{path}/timeline", {"at": "2026-11-25T10:00:00+08:00",
                                              "text": "切换到备库"})
    assert line.status_code == 201 and line.json()["source"] == "manual"
    action = api.manager.post(f"{path}/actions", {"text": "连接池监控", "owner": "dba",
                                                  "due_on": "2030-06-30"})
    assert action.status_code == 201 and action.json()["owner"] == "dba"
    assert api.manager.post(f"{path}/submit").json()["status"] == "submitted"
    assert api.manager.post(f"{path}/approve").status_code == 403  # the submitter
    approved = api.owner.post(f"{path}/approve")
    assert approved.json()["status"] == "approved" and approved.json()["approved_by"] == "owner"
    done = api.dba.post(f"{path}/actions/{action.json()['id']}/done", {"done": True})
    assert done.json()["status"] == "done" and done.json()["done_by"] == "dba"
    resolve(major, org.manager)
    closed = api.manager.post(f"/incidents/{major.number}/actions/close",
                              {"closure_code": "01"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_closing_before_approval_is_a_409_naming_the_review(api, org, major):
    resolve(major, org.manager)
    refused = api.manager.post(f"/incidents/{major.number}/actions/close",
                               {"closure_code": "01"}, **EN)
    assert refused.status_code == 409
    assert f"/reviews/{major.number}/" in refused.json()["detail"]
    major.refresh_from_db()
    assert major.status == Status.RESOLVED


def test_plain_users_and_unseen_incidents_get_404(api, org, major):
    api.manager.post(f"/reviews/{major.number}")
    for client in (api.requester, api.colleague, api.other_engineer):
        assert client.get(f"/reviews/{major.number}").status_code == 404
        assert client.get(f"/reviews/{major.number}/export.md").status_code == 404
        assert client.patch(f"/reviews/{major.number}", {"summary": "x"}).status_code == 404
    assert api.requester.get("/reviews").json() == []
    assert [r["incident"] for r in api.owner.get("/reviews").json()] == [major.number]


def test_bad_input_is_a_422_with_field_errors(api, major):
    path = f"/reviews/{major.number}"
    api.manager.post(path)
    response = api.manager.patch(path, {"status": "approved", "summary": "x"}, **EN)
    assert response.status_code == 422 and "status" in response.json()["errors"]
    response = api.manager.patch(path, {"problem_reference": "bad", "authors": ["ghost"]}, **EN)
    assert response.status_code == 422 and set(response.json()["errors"]) == {"authors"}
    response = api.manager.patch(path, {"problem_reference": "bad"}, **EN)
    assert response.status_code == 422 and "problem_reference" in response.json()["errors"]
    response = api.manager.post(f"{path}/actions", {"text": "x", "owner": "requester",
                                                    "due_on": "2030-01-01"}, **EN)
    assert response.status_code == 422 and "owner" in response.json()["errors"]
    response = api.manager.post(f"{path}/submit", **EN)
    assert response.status_code == 422 and "root_cause" in response.json()["errors"]
    assert api.manager.patch(path, {}).status_code == 422


def test_exports(api, org, major):
    path = f"/reviews/{major.number}"
    api.manager.post(path)
    api.manager.patch(path, {"root_cause": ROOT_CAUSE})
    markdown = api.desk.get(f"{path}/export.md")
    assert markdown.status_code == 200
    assert markdown["Content-Type"].startswith("text/markdown")
    assert f"PIR-{major.number}.md" in markdown["Content-Disposition"]
    assert ROOT_CAUSE in markdown.content.decode()
    pdf = api.desk.get(f"{path}/export.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "数据库连接池耗尽" in "".join(text.split())


def test_timeline_and_actions_are_changed_and_removed(api, major):
    path = f"/reviews/{major.number}"
    lines = api.manager.post(path).json()["timeline"]
    first = lines[0]["id"]
    fixed = api.manager.patch(f"{path}/timeline/{first}", {"at": lines[0]["at"],
                                                          "text": "服务台登记"})
    assert fixed.json()["text"] == "服务台登记"
    assert api.manager.delete(f"{path}/timeline/{first}").status_code == 204
    assert api.manager.delete(f"{path}/timeline/{first}").status_code == 404
    action = api.manager.post(f"{path}/actions", {"text": "a", "owner": "desk",
                                                  "due_on": "2030-01-01"}).json()
    changed = api.manager.put(f"{path}/actions/{action['id']}",
                              {"text": "b", "owner": "expert", "due_on": "2030-02-01"})
    assert changed.json()["owner"] == "expert" and changed.json()["due_on"] == "2030-02-01"
    assert api.manager.delete(f"{path}/actions/{action['id']}").status_code == 204
    assert api.manager.get(path).json()["actions"] == []
