"""Authorization matrix of the browser pages: every URL pattern × every role, one request a cell.

ROWS is the matrix. Each row names a URL pattern, the path it is requested at (formatted with
the world's records, world.py), the roles ALLOWED, and optionally the method, a form body and
the roles BOUNCED to their own landing page (requesters are sent from the knowledge base to the
help centre). Every other role is DENIED: 403 or 404 when signed in, the sign-in page when
anonymous. Write views get a valid body where an empty one would stop at the form before the
permission check (a 422 for everyone would prove nothing).

`test_every_url_pattern_has_a_row` fails when a URL pattern appears that no row names: a new
page needs a decision here. The admin is one block (`test_admin_is_for_administrators`).
"""

from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from .cells import ALLOW, DENY, client_for, outcome, send
from .world import ROLES

pytestmark = pytest.mark.django_db

EVERYONE = ROLES
SIGNED_IN = ROLES[1:]
STAFF = ("desk", "engineer", "manager", "owner", "admin")
WORKERS = ("desk", "engineer", "manager", "owner")          # staff who work incidents
SEE_ALL = ("desk", "manager", "owner", "admin")              # SPEC §1: see every incident
CONFIGURERS = ("owner", "admin")                             # Settings
MANAGERS = ("manager", "owner", "admin")
PROCESS = ("manager", "owner")
DESK_AND_MANAGER = ("desk", "manager")
INCIDENT_VIEWERS = ("requester", "desk", "engineer", "manager", "owner", "admin")
NOBODY = ()
LOGIN, BOUNCE = "login", "bounce"

# URL prefixes other helpers own, with their own permission tests (see the module's end).
OWNED_ELSEWHERE = {}


@dataclass(frozen=True)
class Row:
    name: str
    path: str
    allow: tuple
    method: str = "GET"
    data: object = None          # a dict, or a callable(world) -> dict
    bounce: tuple = ()
    note: str = ""
    expect: dict = field(default_factory=dict)   # role -> outcome, overriding the rule
    deny_status: tuple = ()      # statuses that are a refusal here (a bad token's 400)

    def expected(self, role: str) -> str:
        if role in self.expect:
            return self.expect[role]
        if role in self.allow:
            return ALLOW
        if role in self.bounce:
            return BOUNCE
        return LOGIN if role == "anon" else DENY


def _edit_data(world, number_attr="inc"):
    from opsdesk.web.forms import EditForm

    incident = getattr(world, number_attr)
    form = EditForm.for_incident(incident)
    data = {}
    for name, value in form.initial.items():
        value = getattr(value, "pk", value)
        data[f"edit-{name}"] = "" if value is None else value
    data["edit-short_description"] = "VPN drops every five minutes"
    return data


ROWS = [
    Row("set_language", "/i18n/setlang/", EVERYONE, method="POST", data={"language": "en"},
        note="Django's language switch: nothing to protect"),
    Row("web:kb", "/kb/", STAFF, bounce=("requester", "other")),
    Row("web:kb_new", "/kb/new/", ('desk', 'engineer', 'manager', 'owner'), bounce=("requester", "other")),
    Row("web:kb_review", "/kb/review/", STAFF, bounce=("requester", "other")),
    Row("web:kb_preview", "/kb/preview/", STAFF, method="POST", bounce=("requester", "other")),
    Row("web:kb_article", "/kb/{draft}/", ('desk', 'owner'), bounce=("requester", "other")),
    Row("web:kb_edit", "/kb/{draft}/edit/", ('desk', 'owner'), bounce=("requester", "other")),
    Row("web:kb_versions", "/kb/{draft}/versions/", ('desk', 'owner'), bounce=("requester", "other")),
    Row("web:kb_upload", "/kb/{draft}/files/", ('desk', 'owner'), method="POST", bounce=("requester", "other")),
    Row("web:kb_file", "/kb/{draft}/files/{draft_file}/", ('desk', 'owner')),
    Row("web:kb_feedback", "/kb/{published}/feedback/", SIGNED_IN, method="POST",
        data={"kind": "helpful"}),
    Row("web:kb_action", "/kb/{draft}/do/submit/", ('desk', 'owner'), method="POST", bounce=("requester", "other")),
    Row("web:kb_incident_link", "/incidents/{inc}/kb/link/", STAFF, method="POST", bounce=("requester", "other")),
    Row("web:kb_incident_draft", "/incidents/{inc}/kb/draft/", ('desk', 'engineer', 'manager', 'owner'), method="POST", bounce=("requester", "other")),
    Row("web:help", "/help/", SIGNED_IN),
    Row("web:help_article", "/help/{published}/", SIGNED_IN),
    Row("web:help_solved", "/help/{published}/solved/", SIGNED_IN, method="POST"),
    Row("web:catalog", "/catalog/", SIGNED_IN),
    Row("web:catalog_order", "/catalog/{request_type}/", SIGNED_IN),
    Row("web:desk_request", "/work/requests/new/", DESK_AND_MANAGER),
    Row("web:approvals", "/approvals/", SIGNED_IN),
    Row("web:approval_decide", "/approvals/{sr}/approve/", ('manager',), method="POST"),
    Row("web:settings-catalog", "/settings/catalog/", CONFIGURERS),
    Row("web:settings-catalog-new", "/settings/catalog/new/", CONFIGURERS),
    Row("web:settings-catalog-preview", "/settings/catalog/preview/", CONFIGURERS, method="POST"),
    Row("web:settings-catalog-edit", "/settings/catalog/{request_type}/", CONFIGURERS),
    Row("web:settings-catalog-active", "/settings/catalog/{request_type}/active/", CONFIGURERS, method="POST"),
    Row("web:settings-catalog-field-new", "/settings/catalog/{request_type}/fields/new/", CONFIGURERS),
    Row("web:settings-catalog-field-edit", "/settings/catalog/{request_type}/fields/{request_field}/", CONFIGURERS),
    Row("web:settings-catalog-field-action", "/settings/catalog/{request_type}/fields/{request_field}/down/", CONFIGURERS, method="POST"),
    Row("web:search", "/search/?q=VPN", SIGNED_IN),
    Row("web:major_list", "/major/", WORKERS),
    Row("web:major_detail", "/major/{master}/", WORKERS),
    Row("web:major_update", "/major/{master}/updates/", WORKERS, method="POST"),
    Row("web:major_declare", "/major/{master}/declare/", ('manager',), method="POST"),
    Row("web:major_reject", "/major/{master}/reject/", WORKERS, method="POST"),
    Row("web:major_children", "/major/{master}/children/", WORKERS, method="POST"),
    Row("web:major_unlink", "/major/{master}/children/{child}/unlink/", DESK_AND_MANAGER, method="POST"),
    Row("web:major_propose", "/incidents/{candidate_inc}/major/propose/", WORKERS, method="POST"),
    Row("web:major_affected", "/incidents/{master}/affected/", SIGNED_IN, method="POST"),
    Row("web:settings-major", "/settings/major/", ('owner',)),
    Row("web:problems", "/problems/", WORKERS),
    Row("web:problem_new", "/problems/new/", WORKERS),
    Row("web:problem_candidates", "/problems/candidates/", PROCESS),
    Row("web:problem_candidate_raise", "/problems/candidates/{problem_candidate}/raise/", PROCESS, method="POST"),
    Row("web:problem_candidate_dismiss", "/problems/candidates/{problem_candidate}/dismiss/", PROCESS, method="POST"),
    Row("web:problem", "/problems/{problem}/", WORKERS),
    Row("web:problem_edit", "/problems/{problem}/edit/", WORKERS, method="POST"),
    Row("web:problem_action", "/problems/{problem}/actions/investigate/", ('engineer', 'manager', 'owner'), method="POST"),
    Row("web:problem_link", "/problems/{problem}/incidents/", WORKERS, method="POST"),
    Row("web:problem_unlink", "/problems/{problem}/incidents/{inc}/unlink/", ('engineer', 'manager', 'owner'), method="POST"),
    Row("web:settings-problems", "/settings/problems/", CONFIGURERS),
    Row("web:vendors", "/vendors/", STAFF),
    Row("web:vendor_new", "/vendors/new/", MANAGERS),
    Row("web:vendor_report", "/vendors/report/", MANAGERS),
    Row("web:vendor", "/vendors/{vendor}/", STAFF),
    Row("web:vendor_edit", "/vendors/{vendor}/edit/", MANAGERS, method="POST"),
    Row("web:vendor_contact_new", "/vendors/{vendor}/contacts/", MANAGERS, method="POST"),
    Row("web:vendor_contact_edit", "/vendors/{vendor}/contacts/{vendor_contact}/", MANAGERS, method="POST"),
    Row("web:vendor_contract_new", "/vendors/{vendor}/contracts/new/", MANAGERS),
    Row("web:vendor_contract_edit", "/vendors/{vendor}/contracts/{vendor_contract}/", MANAGERS),
    Row("web:vendor_contact", "/incidents/{inc}/vendor/", STAFF, method="POST"),
    Row("web:vendor_record", "/incidents/{inc}/vendor/{engagement}/respond/", ('desk', 'engineer', 'manager'), method="POST"),
    Row("web:my_tasks", "/work/tasks/", WORKERS),
    Row("web:task", "/work/tasks/{task}/", WORKERS),
    Row("web:task_edit", "/work/tasks/{task}/edit/", ('desk', 'engineer', 'manager'), method="POST"),
    Row("web:task_action", "/work/tasks/{task}/start/", ('manager',), method="POST"),
    Row("web:task_create", "/incidents/{inc}/tasks/", WORKERS, method="POST"),
    Row("web:handovers", "/handovers/", WORKERS),
    Row("web:handover_new", "/handovers/new/", ('desk', 'engineer', 'manager')),
    Row("web:handover", "/handovers/{handover}/", WORKERS),
    Row("web:handover_acknowledge", "/handovers/{handover}/acknowledge/", (), method="POST"),
    Row("web:reviews", "/reviews/", WORKERS),
    Row("web:review_markdown", "/reviews/{master}.md", WORKERS),
    Row("web:review_pdf", "/reviews/{master}.pdf", WORKERS),
    Row("web:review", "/reviews/{master}/", WORKERS),
    Row("web:review_start", "/reviews/{master}/start/", WORKERS, method="POST"),
    Row("web:review_edit", "/reviews/{master}/edit/", WORKERS, method="POST"),
    Row("web:review_submit", "/reviews/{master}/submit/", WORKERS, method="POST"),
    Row("web:review_approve", "/reviews/{master}/approve/", PROCESS, method="POST"),
    Row("web:review_return", "/reviews/{master}/return/", WORKERS, method="POST"),
    Row("web:review_print", "/reviews/{master}/print/", WORKERS),
    Row("web:review_line_add", "/reviews/{master}/timeline/", WORKERS, method="POST"),
    Row("web:review_timeline_refresh", "/reviews/{master}/timeline/refresh/", WORKERS, method="POST"),
    Row("web:review_line", "/reviews/{master}/timeline/{review_line}/", WORKERS, method="POST"),
    Row("web:review_action_add", "/reviews/{master}/actions/", WORKERS, method="POST"),
    Row("web:review_action", "/reviews/{master}/actions/{review_action}/", WORKERS, method="POST"),
    Row("web:survey_answer", "/survey/{survey_token}/", EVERYONE),
    Row("web:survey_score", "/survey/{survey_token}/4/", EVERYONE,
        note="GET: shows the score chosen, records nothing"),
    Row("web:survey_score", "/survey/{survey_token}/4/", EVERYONE, method="POST",
        note="POST: the button records the score (the token is the proof)"),
    Row("web:portal_survey", "/portal/surveys/{closed}/", ('requester',)),
    Row("web:surveys", "/surveys/", PROCESS),
    Row("web:survey_follow_ups", "/surveys/follow-ups/", PROCESS),
    Row("web:survey_follow_up", "/surveys/follow-ups/{follow_up}/", PROCESS),
    Row("web:survey_follow_up_take", "/surveys/follow-ups/{follow_up}/take/", ('manager',), method="POST"),
    Row("web:survey_follow_up_done", "/surveys/follow-ups/{follow_up}/done/", PROCESS, method="POST"),
    Row("web:settings-surveys", "/settings/surveys/", CONFIGURERS),
    Row("web:settings-survey-question-new", "/settings/surveys/questions/new/", CONFIGURERS),
    Row("web:settings-survey-question", "/settings/surveys/questions/{question}/", CONFIGURERS),
    Row("web:measures", "/measures/", MANAGERS),
    Row("web:measure", "/measures/response_on_time/", MANAGERS),
    Row("web:measure_target", "/measures/response_on_time/target/", CONFIGURERS, method="POST"),
    Row("web:dashboards", "/dashboards/", STAFF),
    Row("web:dashboard_operations", "/dashboards/operations/", SEE_ALL),
    Row("web:dashboard_groups", "/dashboards/groups/", STAFF),
    Row("web:dashboard_group", "/dashboards/groups/{group_code}/", ('engineer', 'manager', 'owner', 'admin')),
    Row("web:dashboard_process", "/dashboards/process/", MANAGERS),
    Row("web:analysis", "/analysis/", MANAGERS),
    Row("web:analysis_records", "/analysis/records/", MANAGERS),
    Row("web:analysis_incident", "/analysis/incidents/{inc}/", MANAGERS),
    Row("web:reports", "/reports/", MANAGERS),
    Row("web:export_incidents", "/reports/export/incidents.csv", STAFF),
    Row("web:export_kpis", "/reports/export/kpis.csv", MANAGERS),
    Row("web:export_kpi_trend", "/reports/export/kpis/response_on_time/trend.csv", MANAGERS),
    Row("web:export_kpi_breakdown", "/reports/export/kpis/response_on_time/breakdown.csv", MANAGERS),
    Row("web:export_analysis", "/reports/export/analysis.csv", MANAGERS),
    Row("web:report_monthly", "/reports/monthly/{month}/", MANAGERS),
    Row("web:report_monthly_pdf", "/reports/monthly/{month}.pdf", MANAGERS),
    Row("web:report_schedules", "/reports/schedules/", CONFIGURERS),
    Row("web:report_schedule_new", "/reports/schedules/new/", CONFIGURERS),
    Row("web:report_schedule", "/reports/schedules/{schedule}/", CONFIGURERS),
    Row("web:report_schedule_send", "/reports/schedules/{schedule}/send/", CONFIGURERS, method="POST"),
    Row("web:report_schedule_delete", "/reports/schedules/{schedule}/delete/", CONFIGURERS, method="POST"),
    Row("web:home", "/", SIGNED_IN, note="sends each role to its landing page"),
    Row("web:login", "/login/", EVERYONE, note="signed-in people are sent on"),
    Row("web:logout", "/logout/", NOBODY, method="POST", expect={r: LOGIN for r in ROLES},
        note="everyone ends on the sign-in page"),
    Row("web:portal", "/portal/", SIGNED_IN),
    Row("web:report", "/portal/report/", SIGNED_IN),
    Row("web:work", "/work/", STAFF),
    Row("web:desk_log", "/work/log/", DESK_AND_MANAGER),
    Row("web:desk_priority", "/work/log/priority/?impact=3&urgency=2", DESK_AND_MANAGER),
    Row("web:desk_similar", "/work/log/similar/?short_description=VPN", DESK_AND_MANAGER),
    Row("web:desk_requester", "/work/log/requester/?requester=s_requester", DESK_AND_MANAGER),
    Row("web:desk_suggest", "/work/log/suggest/?q=VPN", DESK_AND_MANAGER),
    Row("web:report_suggest", "/portal/report/suggest/?q=VPN", SIGNED_IN),
    Row("web:lookup_people", "/work/lookup/people/?q=s_", WORKERS),
    Row("web:lookup_members", "/work/lookup/members/?group={group}", WORKERS),
    Row("web:alerts", "/work/alerts/", STAFF),
    Row("web:alert", "/work/alerts/{alert}/", STAFF),
    Row("web:alert-acknowledge", "/work/alerts/{alert}/acknowledge/", DESK_AND_MANAGER, method="POST"),
    Row("web:alert-silence", "/work/alerts/{alert}/silence/", SEE_ALL, method="POST"),
    Row("web:alert-link", "/work/alerts/{alert}/link/", DESK_AND_MANAGER, method="POST"),
    Row("web:alert-incident", "/work/alerts/{alert}/incident/", DESK_AND_MANAGER, method="POST"),
    Row("web:alert-payload-retry", "/work/alerts/payloads/{payload}/retry/", SEE_ALL, method="POST"),
    Row("web:alert-silence-end", "/work/alerts/silences/{silence}/end/", SEE_ALL, method="POST"),
    Row("web:alert-silence-extend", "/work/alerts/silences/{silence}/extend/", SEE_ALL, method="POST"),
    Row("web:queue", "/work/{queue}/", SEE_ALL),
    Row("web:queue_bulk", "/work/{queue}/bulk/", SEE_ALL, method="POST"),
    Row("web:view_save", "/work/{queue}/views/", SEE_ALL, method="POST"),
    Row("web:view_delete", "/work/views/{saved_view}/delete/", ('desk',), method="POST"),
    Row("web:incident", "/incidents/{inc}/", INCIDENT_VIEWERS),
    Row("web:action", "/incidents/{inc}/actions/pend/", ('desk', 'engineer', 'manager'), method="POST"),
    Row("web:comment", "/incidents/{inc}/comments/", INCIDENT_VIEWERS, method="POST",
        data={"body": "Any news?", "visibility": "public"}),
    Row("web:edit", "/incidents/{inc}/edit/", ("desk", "engineer", "manager"), method="POST",
        data=_edit_data, note="the requester reads, replies and attaches; staff edit"),
    Row("web:people", "/incidents/{inc}/people/watchers/", INCIDENT_VIEWERS, method="POST",
        data={"person": "s_manager"}),
    Row("web:attachment", "/incidents/{inc}/attachments/{public_file}/", INCIDENT_VIEWERS),
    Row("web:tokens", "/tokens/", SIGNED_IN),
    Row("web:manage", "/manage/", PROCESS),
    Row("web:profile", "/profile/", SIGNED_IN),
    Row("web:respond", "/respond/{respond_token}/", EVERYONE),
    Row("web:settings", "/settings/", CONFIGURERS),
    Row("web:settings-matrix", "/settings/matrix/", CONFIGURERS),
    Row("web:settings-routing", "/settings/routing/", CONFIGURERS),
    Row("web:settings-routing-new", "/settings/routing/new/", CONFIGURERS),
    Row("web:settings-routing-edit", "/settings/routing/{routing_rule}/", CONFIGURERS),
    Row("web:settings-groups", "/settings/groups/", CONFIGURERS),
    Row("web:settings-group-new", "/settings/groups/new/", CONFIGURERS),
    Row("web:settings-group-edit", "/settings/groups/{group}/", CONFIGURERS),
    Row("web:settings-group-active", "/settings/groups/{group}/active/", CONFIGURERS, method="POST"),
    Row("web:settings-categories", "/settings/categories/", CONFIGURERS),
    Row("web:settings-category-edit", "/settings/categories/{category}/", CONFIGURERS),
    Row("web:settings-category-active", "/settings/categories/{category}/active/", CONFIGURERS, method="POST"),
    Row("web:settings-calendars", "/settings/calendars/", CONFIGURERS),
    Row("web:settings-calendar-new", "/settings/calendars/new/", CONFIGURERS),
    Row("web:settings-calendar", "/settings/calendars/{calendar}/", CONFIGURERS),
    Row("web:settings-calendar-hours", "/settings/calendars/{calendar}/hours/", CONFIGURERS, method="POST"),
    Row("web:settings-calendar-day-add", "/settings/calendars/{calendar}/days/", CONFIGURERS, method="POST"),
    Row("web:settings-calendar-day", "/settings/calendars/{calendar}/days/{calendar_day}/", CONFIGURERS),
    Row("web:settings-calendar-day-delete", "/settings/calendars/{calendar}/days/{calendar_day}/delete/", CONFIGURERS, method="POST"),
    Row("web:settings-calendar-import", "/settings/calendars/{calendar}/import/", CONFIGURERS, method="POST"),
    Row("web:settings-sla", "/settings/sla/", CONFIGURERS),
    Row("web:settings-sla-new", "/settings/sla/new/", CONFIGURERS),
    Row("web:settings-sla-edit", "/settings/sla/{sla_policy}/", CONFIGURERS),
    Row("web:settings-sla-active", "/settings/sla/{sla_policy}/active/", CONFIGURERS, method="POST"),
    Row("web:escalate", "/incidents/{inc}/escalate/", INCIDENT_VIEWERS, method="POST",
        data={"reason": "Nobody answers"}),
    Row("web:settings-integrations", "/settings/intake/integrations/", CONFIGURERS),
    Row("web:settings-integration-new", "/settings/intake/integrations/new/", CONFIGURERS),
    Row("web:settings-integration-edit", "/settings/intake/integrations/{integration}/", CONFIGURERS),
    Row("web:settings-integration-token", "/settings/intake/integrations/{integration}/token/", CONFIGURERS, method="POST"),
    Row("web:settings-alert-rules", "/settings/intake/rules/", CONFIGURERS),
    Row("web:settings-alert-rule-new", "/settings/intake/rules/new/", CONFIGURERS),
    Row("web:settings-alert-rule-edit", "/settings/intake/rules/{alert_rule}/", CONFIGURERS),
    Row("web:settings-alert-rule-delete", "/settings/intake/rules/{alert_rule}/delete/", CONFIGURERS, method="POST"),
    Row("web:settings-silences", "/settings/intake/silences/", CONFIGURERS),
    Row("web:settings-silence-new", "/settings/intake/silences/new/", CONFIGURERS),
    Row("web:settings-silence-edit", "/settings/intake/silences/{silence}/", CONFIGURERS),
    Row("web:settings-silence-expire", "/settings/intake/silences/{silence}/expire/", CONFIGURERS, method="POST"),
    Row("web:settings-silence-delete", "/settings/intake/silences/{silence}/delete/", CONFIGURERS, method="POST"),
    Row("web:settings-mailboxes", "/settings/intake/mailboxes/", CONFIGURERS),
    Row("web:settings-mailbox-new", "/settings/intake/mailboxes/new/", CONFIGURERS),
    Row("web:settings-mailbox-edit", "/settings/intake/mailboxes/{mailbox}/", CONFIGURERS),
    Row("web:settings-mailbox-poll", "/settings/intake/mailboxes/{mailbox}/poll/", CONFIGURERS, method="POST"),
    Row("web:settings-mailbox-test", "/settings/intake/mailboxes/{mailbox}/test/", CONFIGURERS, method="POST"),
    Row("web:settings-mail-quarantine", "/settings/intake/mails/", CONFIGURERS),
    Row("web:settings-mail-retry", "/settings/intake/mails/{inbound_mail}/retry/", CONFIGURERS, method="POST"),
    Row("web:settings-mail-release", "/settings/intake/mails/{inbound_mail}/release/", CONFIGURERS, method="POST"),
    Row("web:settings-mail-discard", "/settings/intake/mails/{inbound_mail}/discard/", CONFIGURERS, method="POST"),
    Row("web:settings-mail-original", "/settings/intake/mails/{inbound_mail}/original/", CONFIGURERS),

    # --- single sign-on (opsdesk.sso): pages before signing in. SSO is off in this world, so
    # they are not there (404 for everyone); the OIDC flow itself (state, nonce, PKCE, the ID
    # token's checks) is tested against a real provider in opsdesk/sso/tests.
    Row("sso:login", "/sso/login/", NOBODY, expect={"anon": DENY}, note="SSO off"),
    Row("sso:callback", "/sso/callback/?code=x&state=y", NOBODY, expect={"anon": DENY},
        note="SSO off"),
    Row("sso:logout", "/sso/logout/", NOBODY, expect={r: LOGIN for r in ROLES},
        note="everyone ends on the sign-in page"),
    Row("sso:backchannel_logout", "/sso/backchannel-logout/", NOBODY, method="POST",
        data={"logout_token": "x"}, expect={"anon": DENY},
        note="SSO off; the provider's signed logout token: opsdesk/sso/tests"),

    # --- multi-factor (opsdesk.mfa): one's own authenticator and recovery codes; the policy
    # and resetting someone's MFA are the administrator's ---
    Row("mfa:index", "/mfa/", SIGNED_IN),
    Row("mfa:setup", "/mfa/setup/", SIGNED_IN, method="POST"),
    Row("mfa:verify", "/mfa/verify/", SIGNED_IN, note="nothing to verify: sent home"),
    Row("mfa:recovery", "/mfa/recovery/", SIGNED_IN),
    Row("mfa:recovery-download", "/mfa/recovery/download/", NOBODY,
        note="no fresh codes to download: 404 for everyone"),
    Row("mfa:recovery-done", "/mfa/recovery/done/", SIGNED_IN, method="POST"),
    Row("mfa:recovery-new", "/mfa/recovery/new/", SIGNED_IN, method="POST"),
    Row("mfa:disable", "/mfa/disable/", SIGNED_IN, method="POST"),
    Row("mfa:settings", "/mfa/settings/", ("admin",)),
    Row("mfa:user-reset", "/mfa/settings/users/{requester_pk}/reset/", ("admin",)),
    Row("web:password_change", "/profile/password/", SIGNED_IN),
    Row("web:sessions_end", "/profile/sessions/end/", SIGNED_IN, method="POST",
        note="signs out one's own other sessions"),
    Row("web:session_end", "/profile/sessions/00000000-0000-4000-8000-000000000000/end/",
        NOBODY, method="POST", note="a made-up session id: 404 (one's own: accounts tests)"),

    # --- the audit log (opsdesk.audit): administrators and process owners only ---
    Row("audit:list", "/audit/", CONFIGURERS),
    Row("audit:export", "/audit/export.csv", CONFIGURERS),

    # --- object level (IDOR): the same pages on records the role has no relation to ---
    Row("web:incident", "/incidents/{app_inc}/", SEE_ALL + ("requester",),
        note="APP2's incident: the engineer of NET2 is no member"),
    Row("web:attachment", "/incidents/{app_inc}/attachments/{app_file}/",
        SEE_ALL + ("requester",), note="a file of APP2's incident"),
    Row("web:attachment", "/incidents/{inc}/attachments/{internal_file}/", WORKERS,
        note="an internal attachment: never the requester's (nor the administrator's, who is"
             " no support staff)"),
    Row("web:attachment", "/incidents/{app_inc}/attachments/{public_file}/", NOBODY,
        expect={"anon": LOGIN}, note="a file asked for under another incident's number"),
    Row("web:comment", "/incidents/{app_inc}/comments/", SEE_ALL + ("requester",),
        method="POST", data={"body": "Any news?", "visibility": "public"},
        note="replying on APP2's incident"),
    Row("web:kb_article", "/kb/{published}/", STAFF, bounce=("requester", "other")),
    Row("web:portal_survey", "/portal/surveys/{inc}/", NOBODY,
        note="no survey on an open incident"),
    Row("web:survey_answer", "/survey/forged-token-0123456789/", NOBODY,
        expect={"anon": DENY}, note="a made-up token"),
    Row("web:respond", "/respond/{inc}:forged:signature/", NOBODY, deny_status=(400,),
        expect={"anon": DENY}, note="a made-up token"),
    Row("web:view_delete", "/work/views/{saved_view}/delete/", ("desk",), method="POST",
        note="only its owner deletes a saved view"),
]


def _patterns(patterns, prefix=""):
    """(route, name) of every URL pattern, nested includes flattened."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            for route, name in _patterns(entry.url_patterns, prefix + str(entry.pattern)):
                yield route, (namespace + name if name and namespace and ":" not in name
                              else name)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def _web_patterns():
    """The URL patterns this matrix must cover: all but the admin and the API (its own)."""
    return [(route, name) for route, name in _patterns(get_resolver().url_patterns)
            if not route.startswith(("admin/", "api/"))
            and not route.startswith(tuple(OWNED_ELSEWHERE))]


def test_every_url_pattern_has_a_row():
    """A new page fails here until someone decides who may open it."""
    named = {row.name for row in ROWS}
    missing = sorted(f"{route} ({name})" for route, name in _web_patterns()
                     if name not in named)
    assert not missing, f"URL patterns without a row in the matrix: {missing}"
    unnamed = [route for route, name in _web_patterns() if not name]
    assert not unnamed, f"URL patterns without a name cannot be listed: {unnamed}"


def _cells():
    return [pytest.param(row, role, id=f"{row.name}{'~' + row.note[:20] if row.note else ''}"
                                       f"-{role}")
            for row in ROWS for role in ROLES]


@pytest.mark.parametrize(("row", "role"), _cells())
def test_cell(world, row, role):
    path = row.path.format(**world.fmt)
    assert resolve(path.split("?")[0]).view_name == row.name, path
    data = row.data(world) if callable(row.data) else row.data
    response = send(client_for(session=world.sessions.get(role)), row.method, path, data)
    got = _outcome(response, row)
    assert got == row.expected(role), (
        f"{row.method} {path} as {role}: {response.status_code} "
        f"{response.get('Location', '')} -> {got}, the matrix says {row.expected(role)}")


def _outcome(response, row):
    """cells.outcome, told apart: the sign-in page, and for rows that bounce, the bounce to
    one's landing page."""
    location = response.get("Location", "") if 300 <= response.status_code < 400 else ""
    if location.startswith("/login/"):
        return LOGIN
    if response.status_code in row.deny_status:
        return DENY
    if row.bounce and location.startswith(("/help/", "/portal/")):
        return BOUNCE
    return outcome(response)


# --- the admin, as one block: every registered model's list, for every role ---------------
# Only administrators and process owners get into our AdminSite (role flags, not is_staff);
# people, their API tokens and sign-in records are the administrator's alone.
ADMIN_ONLY_MODELS = {"accounts.user", "accounts.apitoken"}


def _admin_lists():
    from opsdesk.core.admin_site import admin_site

    return sorted(f"{model._meta.app_label}.{model._meta.model_name}"
                  for model in admin_site._registry)


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_administrators(world, role):
    client = client_for(session=world.sessions.get(role))
    wrong = []
    for label in ["index"] + _admin_lists():
        path = "/admin/" if label == "index" else "/admin/{}/{}/".format(*label.split("."))
        response = client.get(path)
        location = response.get("Location", "")
        if role == "admin":
            ok = response.status_code == 200
        elif role == "owner":
            ok = (response.status_code == 403 if label in ADMIN_ONLY_MODELS
                  else response.status_code in (200, 403))
        else:
            ok = response.status_code == 302 and location.startswith("/admin/login/")
        if not ok:
            wrong.append(f"{path}: {response.status_code} {location}")
    assert not wrong, f"admin as {role}: {wrong}"
