"""Authorization matrix of the REST API: every operation of the OpenAPI schema × every role.

OPS is the matrix: method, the operation's path template (as in /api/v1/openapi.json), the path
it is called at (formatted with the world's records, world.py), the roles ALLOWED and the JSON
body ("FILE": a multipart upload). Every other role is DENIED: 401 without a token, 403 or 404
with one. Each role calls with its own personal token (Authorization: Bearer).

Write operations get a valid body: the schema validates a body before the operation runs, so an
empty one would be a 422 for everyone and prove nothing. A 400/409/422 that comes back anyway
counts as access (the operation ran its checks and refused the input or the state).
`test_every_operation_has_a_row` fails when the schema has an operation no row names.
"""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.api.v1.api import api

from .cells import ALLOW, DENY, client_for, outcome, send
from .world import ROLES

pytestmark = pytest.mark.django_db

EVERYONE = ROLES
SIGNED_IN = ROLES[1:]
STAFF = ("desk", "engineer", "manager", "owner", "admin")
WORKERS = ("desk", "engineer", "manager", "owner")
INCIDENT_WORKERS = ("desk", "engineer", "manager")     # relations on the incident: desk, group
SEE_ALL = ("desk", "manager", "owner", "admin")
CONFIGURERS = ("owner", "admin")
MANAGERS = ("manager", "owner", "admin")
PROCESS = ("manager", "owner")
DESK_AND_MANAGER = ("desk", "manager")
KB_AUTHOR_AND_REVIEWER = ("desk", "owner")             # the draft's author, a process owner
INCIDENT_VIEWERS = ("requester", "desk", "engineer", "manager", "owner", "admin")
NOBODY = ()


@dataclass(frozen=True)
class Op:
    method: str
    template: str
    path: str
    allow: tuple
    body: object = None
    note: str = ""
    anon: str = DENY

    def expected(self, role: str) -> str:
        return ALLOW if role in self.allow else DENY


OPS = [
    Op("POST", "/incidents", "/incidents", ('requester', 'desk', 'manager'), body={'short_description': 'Mouse broken', 'requester': 's_requester'}),
    Op("GET", "/incidents", "/incidents", SIGNED_IN),
    Op("GET", "/incidents/{number}", "/incidents/{inc}", INCIDENT_VIEWERS),
    Op("PATCH", "/incidents/{number}", "/incidents/{inc}", INCIDENT_WORKERS, body={'short_description': 'VPN drops every minute'}),
    Op("POST", "/incidents/{number}/actions/{action}", "/incidents/{inc}/actions/resume", INCIDENT_WORKERS, body={}),
    Op("GET", "/incidents/{number}/comments", "/incidents/{inc}/comments", INCIDENT_VIEWERS),
    Op("POST", "/incidents/{number}/comments", "/incidents/{inc}/comments", INCIDENT_VIEWERS, body={'body': 'Any news?'}),
    Op("GET", "/incidents/{number}/attachments", "/incidents/{inc}/attachments", INCIDENT_VIEWERS),
    Op("POST", "/incidents/{number}/attachments", "/incidents/{inc}/attachments", INCIDENT_VIEWERS, body='FILE'),
    Op("GET", "/incidents/{number}/attachments/{attachment_id}", "/incidents/{inc}/attachments/{public_file}", INCIDENT_VIEWERS),
    Op("GET", "/incidents/{number}/history", "/incidents/{inc}/history", INCIDENT_VIEWERS),
    Op("POST", "/incidents/{number}/collaborators", "/incidents/{inc}/collaborators", INCIDENT_WORKERS, body={'usernames': ['s_engineer2']}),
    Op("DELETE", "/incidents/{number}/collaborators/{username}", "/incidents/{inc}/collaborators/s_engineer2", INCIDENT_WORKERS),
    Op("POST", "/incidents/{number}/watchers", "/incidents/{inc}/watchers", INCIDENT_WORKERS, body={'usernames': ['s_manager']}),
    Op("DELETE", "/incidents/{number}/watchers/{username}", "/incidents/{inc}/watchers/s_manager", INCIDENT_WORKERS),
    Op("GET", "/reference/{table}", "/reference/urgencies", SIGNED_IN),
    Op("GET", "/priority-matrix", "/priority-matrix", SIGNED_IN),
    Op("GET", "/categories", "/categories", SIGNED_IN),
    Op("GET", "/services", "/services", SIGNED_IN),
    Op("GET", "/configuration-items", "/configuration-items", SIGNED_IN),
    Op("GET", "/locations", "/locations", SIGNED_IN),
    Op("GET", "/organisations", "/organisations", SIGNED_IN),
    Op("GET", "/groups", "/groups", SIGNED_IN),
    Op("GET", "/users/me", "/users/me", SIGNED_IN),
    Op("GET", "/users", "/users", WORKERS),
    Op("GET", "/sla/policies", "/sla/policies", SEE_ALL),
    Op("GET", "/sla/policies/{code}", "/sla/policies/{sla_policy}", SEE_ALL),
    Op("GET", "/sla/calendars", "/sla/calendars", SEE_ALL),
    Op("GET", "/sla/calendars/{code}", "/sla/calendars/{calendar}", SEE_ALL),
    Op("GET", "/sla/calendars/{code}/days", "/sla/calendars/{calendar}/days", SEE_ALL),
    Op("GET", "/me/notification-preferences", "/me/notification-preferences", SIGNED_IN),
    Op("PUT", "/me/notification-preferences", "/me/notification-preferences", SIGNED_IN, body={'email_on': []}),
    Op("POST", "/intake/alerts/{token}", "/intake/alerts/{integration_token}", EVERYONE, body={'alerts': []}),
    Op("GET", "/alerts", "/alerts", STAFF),
    Op("GET", "/alerts/{alert_id}", "/alerts/{alert}", STAFF),
    Op("GET", "/knowledge/articles", "/knowledge/articles", SIGNED_IN),
    Op("POST", "/knowledge/articles", "/knowledge/articles", WORKERS, body={'title': 'How to reset', 'body': 'Do it'}),
    Op("GET", "/knowledge/review-queue", "/knowledge/review-queue", SIGNED_IN),
    Op("GET", "/knowledge/articles/{number}", "/knowledge/articles/{draft}", KB_AUTHOR_AND_REVIEWER),
    Op("PATCH", "/knowledge/articles/{number}", "/knowledge/articles/{draft}", KB_AUTHOR_AND_REVIEWER, body={'title': 'Draft: reset the token'}),
    Op("POST", "/knowledge/articles/{number}/submit", "/knowledge/articles/{draft}/submit", KB_AUTHOR_AND_REVIEWER),
    Op("POST", "/knowledge/articles/{number}/approve", "/knowledge/articles/{draft}/approve", KB_AUTHOR_AND_REVIEWER, body={}),
    Op("POST", "/knowledge/articles/{number}/reject", "/knowledge/articles/{draft}/reject", KB_AUTHOR_AND_REVIEWER, body={'reason': 'Too short'}),
    Op("POST", "/knowledge/articles/{number}/retire", "/knowledge/articles/{published}/retire", KB_AUTHOR_AND_REVIEWER, body={}),
    Op("GET", "/knowledge/articles/{number}/versions", "/knowledge/articles/{draft}/versions", KB_AUTHOR_AND_REVIEWER),
    Op("GET", "/knowledge/articles/{number}/diff", "/knowledge/articles/{draft}/diff?old=1&new=1",
       KB_AUTHOR_AND_REVIEWER),
    Op("POST", "/knowledge/articles/{number}/feedback", "/knowledge/articles/{published}/feedback", SIGNED_IN, body={'kind': 'helpful'}),
    Op("POST", "/knowledge/articles/{number}/incidents", "/knowledge/articles/{published}/incidents", STAFF, body={'incident': '{inc}'}),
    Op("POST", "/knowledge/articles/{number}/deflections", "/knowledge/articles/{published}/deflections", SIGNED_IN, body={}),
    Op("POST", "/knowledge/from-incident/{incident_number}", "/knowledge/from-incident/{resolved}", WORKERS),
    Op("POST", "/knowledge/articles/{number}/attachments", "/knowledge/articles/{draft}/attachments", KB_AUTHOR_AND_REVIEWER, body='FILE'),
    Op("GET", "/knowledge/articles/{number}/attachments/{attachment_id}", "/knowledge/articles/{draft}/attachments/{draft_file}", KB_AUTHOR_AND_REVIEWER),
    Op("GET", "/catalog/request-types", "/catalog/request-types", SIGNED_IN),
    Op("GET", "/catalog/request-types/{code}", "/catalog/request-types/{request_type}", SIGNED_IN),
    Op("POST", "/catalog/request-types/{code}/requests", "/catalog/request-types/{request_type}/requests", SIGNED_IN, body={'answers': {'why': 'Need it'}}),
    Op("GET", "/catalog/requests/{number}", "/catalog/requests/{sr}", ('requester', 'desk', 'manager', 'owner', 'admin')),
    Op("GET", "/catalog/approvals", "/catalog/approvals", SIGNED_IN),
    Op("POST", "/catalog/requests/{number}/approve", "/catalog/requests/{sr}/approve", ('manager',), body={}),
    Op("POST", "/catalog/requests/{number}/reject", "/catalog/requests/{sr}/reject", ('manager',), body={'comment': 'No budget'}),
    Op("GET", "/search", "/search?q=VPN", SIGNED_IN),
    Op("GET", "/major-incidents", "/major-incidents", WORKERS),
    Op("GET", "/major-incidents/criteria", "/major-incidents/criteria", WORKERS),
    Op("PUT", "/major-incidents/criteria", "/major-incidents/criteria", ('owner',), body={'rules': []}),
    Op("GET", "/major-incidents/{number}", "/major-incidents/{master}", WORKERS),
    Op("POST", "/major-incidents/{number}/propose", "/major-incidents/{candidate_inc}/propose", WORKERS, body={'reason': 'Everyone is affected'}),
    Op("POST", "/major-incidents/{number}/declare", "/major-incidents/{candidate_inc}/declare", ('manager',), body={'reason': 'Everyone is affected'}),
    Op("POST", "/major-incidents/{number}/promote", "/major-incidents/{proposed}/promote", ("manager",), body={}),
    Op("POST", "/major-incidents/{number}/reject", "/major-incidents/{proposed}/reject", ("manager",), body={'reason': 'Only one user'}),
    Op("GET", "/major-incidents/{number}/updates", "/major-incidents/{master}/updates", WORKERS),
    Op("POST", "/major-incidents/{number}/updates", "/major-incidents/{master}/updates", DESK_AND_MANAGER, body={'text': 'Still working on it'}),
    Op("POST", "/major-incidents/{number}/children", "/major-incidents/{master}/children", DESK_AND_MANAGER, body={'numbers': ['{candidate_inc}']}),
    Op("DELETE", "/major-incidents/{number}/children/{child}", "/major-incidents/{master}/children/{child}", DESK_AND_MANAGER),
    Op("POST", "/major-incidents/{number}/affected", "/major-incidents/{master}/affected", SIGNED_IN),
    Op("GET", "/problems/candidates", "/problems/candidates", PROCESS),
    Op("POST", "/problems/candidates/{candidate_id}/raise", "/problems/candidates/{problem_candidate}/raise", PROCESS, body={}),
    Op("POST", "/problems/candidates/{candidate_id}/dismiss", "/problems/candidates/{problem_candidate}/dismiss", PROCESS, body={'reason': 'Known'}),
    Op("GET", "/problems", "/problems", WORKERS),
    Op("POST", "/problems", "/problems", WORKERS, body={'short_description': 'Printers jam', 'incidents': ['{inc}']}),
    Op("GET", "/problems/{number}", "/problems/{problem}", WORKERS),
    Op("PATCH", "/problems/{number}", "/problems/{problem}", ("engineer", "manager", "owner"), body={'short_description': 'VPN concentrator drops'}),
    Op("POST", "/problems/{number}/transitions", "/problems/{problem}/transitions", ('engineer', 'manager', 'owner'), body={'action': 'investigate'}),
    Op("POST", "/problems/{number}/incidents", "/problems/{problem}/incidents", ('desk', 'manager', 'owner'), body={'incidents': ['{app_inc}']}),
    Op("DELETE", "/problems/{number}/incidents/{incident_number}", "/problems/{problem}/incidents/{inc}", ('engineer', 'manager', 'owner')),
    Op("GET", "/problems/{number}/history", "/problems/{problem}/history", WORKERS),
    Op("GET", "/vendors", "/vendors", STAFF),
    Op("POST", "/vendors", "/vendors", MANAGERS, body={'name': 'Kingdee'}),
    Op("PATCH", "/vendors/{vendor_id}", "/vendors/{vendor}", MANAGERS, body={'phone': '400-1'}),
    Op("GET", "/vendors/{vendor_id}", "/vendors/{vendor}", STAFF),
    Op("POST", "/vendors/{vendor_id}/contacts", "/vendors/{vendor}/contacts", MANAGERS, body={'name': 'Wang', 'phone': '402'}),
    Op("PATCH", "/vendors/{vendor_id}/contacts/{contact_id}", "/vendors/{vendor}/contacts/{vendor_contact}", MANAGERS, body={'phone': '401'}),
    Op("POST", "/vendors/{vendor_id}/contracts", "/vendors/{vendor}/contracts", MANAGERS, body={'number': 'HW-2', 'title': 'More', 'starts_on': '2026-01-01'}),
    Op("PATCH", "/vendors/{vendor_id}/contracts/{contract_id}", "/vendors/{vendor}/contracts/{vendor_contract}", MANAGERS, body={'title': 'Maintenance 7x24'}),
    Op("GET", "/vendors/report", "/vendors/report", MANAGERS),
    Op("GET", "/vendors/incidents/{number}/engagements", "/vendors/incidents/{inc}/engagements", STAFF),
    Op("POST", "/vendors/incidents/{number}/engagements", "/vendors/incidents/{inc}/engagements", INCIDENT_WORKERS, body={'vendor': 'Huawei'}),
    Op("PATCH", "/vendors/incidents/{number}/engagements/{engagement_id}", "/vendors/incidents/{inc}/engagements/{engagement}", INCIDENT_WORKERS, body={'reference': 'HW-CASE-2'}),
    Op("GET", "/incidents/{number}/tasks", "/incidents/{inc}/tasks", WORKERS),
    Op("POST", "/incidents/{number}/tasks", "/incidents/{inc}/tasks", INCIDENT_WORKERS, body={'title': 'Check the firewall', 'group': 'SNET3'}),
    Op("GET", "/tasks", "/tasks", SIGNED_IN),
    Op("GET", "/tasks/{task_id}", "/tasks/{task}", WORKERS),
    Op("PATCH", "/tasks/{task_id}", "/tasks/{task}", INCIDENT_WORKERS, body={'title': 'Check the core switch now'}),
    Op("POST", "/tasks/{task_id}/actions/{action}", "/tasks/{task}/actions/start", ('manager',), body={}),
    Op("GET", "/handovers", "/handovers", WORKERS),
    Op("POST", "/handovers", "/handovers", ('engineer', 'manager'), body={'shift_date': '2026-11-26', 'shift_label': 'Day', 'from_group': 'SNET2', 'to_group': 'SNET3', 'summary': 'Quiet'}),
    Op("GET", "/handovers/{handover_id}", "/handovers/{handover}", WORKERS),
    Op("POST", "/handovers/{handover_id}/acknowledge", "/handovers/{handover}/acknowledge", NOBODY),
    Op("GET", "/mentions", "/mentions", SIGNED_IN),
    Op("GET", "/reviews", "/reviews", SIGNED_IN),
    Op("GET", "/reviews/{number}", "/reviews/{master}", WORKERS),
    Op("POST", "/reviews/{number}", "/reviews/{master}", WORKERS),
    Op("PATCH", "/reviews/{number}", "/reviews/{master}", WORKERS, body={'root_cause': 'Pool exhausted'}),
    Op("POST", "/reviews/{number}/submit", "/reviews/{master}/submit", WORKERS),
    Op("POST", "/reviews/{number}/approve", "/reviews/{master}/approve", PROCESS),
    Op("POST", "/reviews/{number}/return", "/reviews/{master}/return", PROCESS, body={'reason': 'More detail'}),
    Op("POST", "/reviews/{number}/timeline", "/reviews/{master}/timeline", WORKERS, body={'at': '2026-11-26T01:00:00Z', 'text': 'Paged the DBA'}),
    Op("POST", "/reviews/{number}/timeline/refresh", "/reviews/{master}/timeline/refresh", WORKERS),
    Op("PATCH", "/reviews/{number}/timeline/{line_id}", "/reviews/{master}/timeline/{review_line}", WORKERS, body={'at': '2026-11-26T01:00:00Z', 'text': 'DB restarted'}),
    Op("DELETE", "/reviews/{number}/timeline/{line_id}", "/reviews/{master}/timeline/{review_line}", WORKERS),
    Op("POST", "/reviews/{number}/actions", "/reviews/{master}/actions", WORKERS, body={'text': 'Alarm', 'owner': 's_engineer', 'due_on': '2027-01-10'}),
    Op("PUT", "/reviews/{number}/actions/{action_id}", "/reviews/{master}/actions/{review_action}", WORKERS, body={'text': 'Alarm', 'owner': 's_engineer', 'due_on': '2027-01-11'}),
    Op("DELETE", "/reviews/{number}/actions/{action_id}", "/reviews/{master}/actions/{review_action}", WORKERS),
    Op("POST", "/reviews/{number}/actions/{action_id}/done", "/reviews/{master}/actions/{review_action}/done", WORKERS, body={}),
    Op("GET", "/reviews/{number}/export.md", "/reviews/{master}/export.md", WORKERS),
    Op("GET", "/reviews/{number}/export.pdf", "/reviews/{master}/export.pdf", WORKERS),
    Op("GET", "/surveys/settings", "/surveys/settings", CONFIGURERS),
    Op("PUT", "/surveys/settings", "/surveys/settings", CONFIGURERS, body={}),
    Op("GET", "/surveys/questions", "/surveys/questions", CONFIGURERS),
    Op("POST", "/surveys/questions", "/surveys/questions", CONFIGURERS, body={'text_zh': '快吗', 'text_en': 'Fast?', 'kind': 'yes_no'}),
    Op("PATCH", "/surveys/questions/{question_id}", "/surveys/questions/{question}", CONFIGURERS, body={'text_en': 'Happy now?'}),
    Op("GET", "/surveys/responses", "/surveys/responses", PROCESS),
    Op("GET", "/surveys/summary", "/surveys/summary", PROCESS),
    Op("GET", "/surveys/follow-ups", "/surveys/follow-ups", PROCESS),
    Op("POST", "/surveys/follow-ups/{follow_up_id}/take", "/surveys/follow-ups/{follow_up}/take", ('manager',)),
    Op("POST", "/surveys/follow-ups/{follow_up_id}/done", "/surveys/follow-ups/{follow_up}/done", ('manager',), body={'outcome': 'Called back'}),
    Op("GET", "/surveys/answer/{token}", "/surveys/answer/{survey_token}", EVERYONE),
    Op("POST", "/surveys/answer/{token}", "/surveys/answer/{survey_token}", EVERYONE, body={'score': 4}),
    Op("POST", "/surveys/incidents/{number}", "/surveys/incidents/{closed}", ('requester',), body={'score': 4}),
    Op("GET", "/measures/kpis", "/measures/kpis", MANAGERS),
    Op("GET", "/measures/kpis/{code}", "/measures/kpis/response_on_time", MANAGERS),
    Op("GET", "/measures/kpis/{code}/trend", "/measures/kpis/response_on_time/trend", MANAGERS),
    Op("GET", "/measures/kpis/{code}/breakdown", "/measures/kpis/response_on_time/breakdown?by=group", MANAGERS),
    Op("PUT", "/measures/targets/{code}", "/measures/targets/response_on_time", CONFIGURERS, body={'target': 90}),
    Op("GET", "/analysis/summary", "/analysis/summary", MANAGERS),
    Op("GET", "/analysis/time", "/analysis/time", MANAGERS),
    Op("GET", "/analysis/handoffs", "/analysis/handoffs", MANAGERS),
    Op("GET", "/analysis/paths", "/analysis/paths", MANAGERS),
    Op("GET", "/analysis/records", "/analysis/records?figure=time", MANAGERS),
    Op("GET", "/analysis/incidents/{number}", "/analysis/incidents/{inc}", MANAGERS),
    Op("GET", "/reports/incidents", "/reports/incidents", SIGNED_IN),
    Op("GET", "/reports/kpis", "/reports/kpis", MANAGERS),
    Op("GET", "/reports/kpis/{code}/trend", "/reports/kpis/response_on_time/trend", MANAGERS),
    Op("GET", "/reports/kpis/{code}/breakdown", "/reports/kpis/response_on_time/breakdown", MANAGERS),
    Op("GET", "/reports/analysis", "/reports/analysis", MANAGERS),
    Op("GET", "/reports/monthly/{month}", "/reports/monthly/{month}", MANAGERS),
    Op("GET", "/reports/schedules", "/reports/schedules", CONFIGURERS),
    Op("POST", "/reports/schedules", "/reports/schedules", CONFIGURERS, body={'name': 'Daily', 'kind': 'incident_list', 'frequency': 'weekly', 'format': 'csv', 'recipients': ['s_manager']}),
    Op("GET", "/reports/schedules/{schedule_id}", "/reports/schedules/{schedule}", CONFIGURERS),
    Op("PATCH", "/reports/schedules/{schedule_id}", "/reports/schedules/{schedule}", CONFIGURERS, body={'name': 'Weekly list'}),
    Op("DELETE", "/reports/schedules/{schedule_id}", "/reports/schedules/{schedule}", CONFIGURERS),
    Op("GET", "/reports/schedules/{schedule_id}/runs", "/reports/schedules/{schedule}/runs", CONFIGURERS),
    Op("POST", "/reports/schedules/{schedule_id}/send", "/reports/schedules/{schedule}/send", CONFIGURERS),

    Op("GET", "/audit", "/audit", CONFIGURERS),

    # --- object level (IDOR) and forged tokens ---
    Op("GET", "/incidents/{number}", "/incidents/{app_inc}", SEE_ALL + ("requester",),
       note="APP2's incident: not the engineer's"),
    Op("GET", "/incidents/{number}/attachments/{attachment_id}",
       "/incidents/{inc}/attachments/{internal_file}", WORKERS,
       note="internal file: not the requester's, nor the administrator's (no support staff)"),
    Op("GET", "/incidents/{number}/attachments/{attachment_id}",
       "/incidents/{app_inc}/attachments/{public_file}", NOBODY,
       note="a file under another incident's number"),
    Op("POST", "/incidents/{number}/comments", "/incidents/{app_inc}/comments",
       SEE_ALL + ("requester",), body={"body": "Any news?"}, note="APP2's incident"),
    Op("GET", "/catalog/requests/{number}", "/catalog/requests/{inc}", NOBODY,
       note="an incident is no service request"),
    Op("POST", "/intake/alerts/{token}", "/intake/alerts/forged-token", NOBODY,
       body={"alerts": []}, note="a made-up integration token"),
    Op("GET", "/surveys/answer/{token}", "/surveys/answer/forged-token", NOBODY,
       note="a made-up survey token"),
    Op("POST", "/surveys/incidents/{number}", "/surveys/incidents/{inc}", NOBODY,
       body={"score": 4}, note="no survey on an open incident"),
]


def _schema_operations():
    schema = api.get_openapi_schema()
    prefix = "/api/v1"
    return {(method.upper(), path[len(prefix):]) for path, item in schema["paths"].items()
            for method in item}


def test_every_operation_has_a_row():
    """A new API operation fails here until someone decides who may call it."""
    listed = {(op.method, op.template) for op in OPS}
    missing = sorted(_schema_operations() - listed)
    assert not missing, f"API operations without a row in the matrix: {missing}"
    gone = sorted(listed - _schema_operations())
    assert not gone, f"rows for operations the schema no longer has: {gone}"


def _fill(value, fmt):
    if isinstance(value, str):
        return value.format(**fmt)
    if isinstance(value, list):
        return [_fill(item, fmt) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, fmt) for key, item in value.items()}
    return value


def _cells():
    return [pytest.param(op, role, id=f"{op.method} {op.template}"
                                      f"{'~' + op.note[:20] if op.note else ''}-{role}")
            for op in OPS for role in ROLES]


@pytest.mark.parametrize(("op", "role"), _cells())
def test_cell(world, op, role):
    path = "/api/v1" + op.path.format(**world.fmt)
    client = client_for(None, token=world.tokens.get(role))
    if op.body == "FILE":
        response = client.post(path, {"file": SimpleUploadedFile("a.txt", b"hi", "text/plain")})
    else:
        response = send(client, op.method, path, _fill(op.body, world.fmt), json_body=True)
    got = outcome(response)
    if role == "anon" and got == DENY and op.expected(role) == DENY:
        assert response.status_code in (401, 403, 404), response.status_code
    assert got == op.expected(role), (
        f"{op.method} {path} as {role}: {response.status_code} "
        f"{response.content[:200]!r} -> {got}, the matrix says {op.expected(role)}")
