"""The small world the security tests attack: every role, and one record of every kind.

Everything is made through the real services (as the people who would make it), once per test
module (`world` in conftest.py); each test then runs inside a savepoint on top of it. `World.fmt`
holds what the URL rows of the matrices format their paths with.
"""

import io
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opsdesk.accounts.services import api_token_create
from opsdesk.core.testing.factories import (OrganisationFactory, ServiceFactory,
                                            SupportGroupFactory, UserFactory, VendorFactory)
from opsdesk.core.testing.matrix import action_params, incident_in

# The roles of the matrices, in the order their columns are read. "other" is a plain requester
# of the same department who is NOT the incidents' requester (object-level access, IDOR).
ROLES = ("anon", "requester", "other", "desk", "engineer", "manager", "owner", "admin")
SIGNED_IN = ROLES[1:]


def build_world():
    """Create the people, groups and one record of every kind; return a World."""
    w = World()
    _people(w)
    _incidents(w)
    _knowledge(w)
    _catalog(w)
    _major_and_review(w)
    _problems(w)
    _vendors(w)
    _collab(w)
    _surveys(w)
    _intake(w)
    _settings(w)
    _reports(w)
    w.fmt = _formats(w)
    return w


class World:
    """A bag of records; attributes are set by the builders below."""

    def user(self, role):
        return None if role == "anon" else self.people[role]


class _Org:
    """What incident_in() and action_params() expect of an organisation."""

    def __init__(self, w):
        self.requester, self.desk, self.manager = w.requester, w.desk, w.manager
        self.groups = w.groups


def _people(w):
    dept = OrganisationFactory(code="SECFIN", name_zh="财务部", name_en="Finance")
    people = {
        "requester": UserFactory(username="s_requester", department=dept, language="en"),
        "other": UserFactory(username="s_other", department=dept, language="en"),
        "desk": UserFactory(username="s_desk", is_service_desk=True, language="en"),
        "engineer": UserFactory(username="s_engineer", is_engineer=True, language="en"),
        "manager": UserFactory(username="s_manager", is_incident_manager=True, language="en"),
        "owner": UserFactory(username="s_owner", is_process_owner=True, language="en"),
        "admin": UserFactory(username="s_admin", is_administrator=True, language="en"),
    }
    w.other_engineer = UserFactory(username="s_engineer2", is_engineer=True, language="en")
    net3 = SupportGroupFactory(code="SNET3", line=3)
    w.groups = {
        "DESK": SupportGroupFactory(code="SDESK", line=1, members=[people["desk"]]),
        "NET2": SupportGroupFactory(code="SNET2", line=2, members=[people["engineer"]],
                                    escalation_group=net3),
        "NET3": net3,
        "APP2": SupportGroupFactory(code="SAPP2", line=2, members=[w.other_engineer]),
    }
    w.people = people
    for role, person in people.items():
        setattr(w, role, person)
    w.tokens = {role: api_token_create(user=person, name="security tests")[1]
                for role, person in people.items()}
    w.token_rows = {role: _token_row(person) for role, person in people.items()}
    w.org = _Org(w)
    w.sessions = {role: _session(person) for role, person in people.items()}


def _session(person) -> str:
    """A signed-in session key, made once: the cells reuse it instead of signing in again."""
    from django.test import Client

    client = Client()
    client.force_login(person)
    return client.cookies["sessionid"].value


def _token_row(person):
    from opsdesk.accounts.models import ApiToken

    return ApiToken.objects.filter(user=person).latest("pk")


def upload(name="notes.txt", content=b"hello", kind="text/plain"):
    return SimpleUploadedFile(name, content, content_type=kind)


def _incidents(w):
    """inc: the requester's, NET2, in progress, with public and internal comments and files;
    app_inc: the requester's too, but APP2's (the engineer is no member); resolved: resolved."""
    from opsdesk.incidents.services import attachment_create, comment_create

    w.inc = incident_in(30, w.org, short_description="VPN drops every ten minutes")
    w.public_comment = comment_create(incident=w.inc, by=w.desk, body="We are on it")
    w.work_note = comment_create(incident=w.inc, by=w.engineer, visibility="internal",
                                 body="SECRET-WORK-NOTE root password is in the vault")
    w.public_file = attachment_create(incident=w.inc, by=w.requester, upload=upload())
    w.internal_file = attachment_create(incident=w.inc, by=w.engineer, visibility="internal",
                                        upload=upload("internal.txt", b"internal"))
    w.app_inc = incident_in(20, w.org, short_description="ERP report is empty",
                            assignment_group=None)
    from opsdesk.incidents.services import incident_transition

    w.app_inc = incident_transition(incident=w.app_inc, action="assign", by=w.manager,
                                    assignment_group=w.groups["APP2"])
    w.app_file = attachment_create(incident=w.app_inc, by=w.requester, upload=upload())
    w.resolved = incident_in(40, w.org, short_description="Printer jams")


def _knowledge(w):
    from opsdesk.knowledge import services

    w.draft = services.article_create(by=w.desk, data={
        "title": "Draft: reset the VPN token", "body": "Step **one**", "visibility": "public"})
    w.draft_file = services.article_attachment_add(article=w.draft, by=w.desk, upload=upload())
    published = services.article_create(by=w.desk, data={
        "title": "Printer prints blank pages", "body": "Replace the toner.",
        "visibility": "public"})
    services.article_submit(article=published, by=w.desk)
    w.published = services.article_approve(article=published, by=w.owner)
    w.published_file = services.article_attachment_add(article=w.published, by=w.owner,
                                                       upload=upload())


def _catalog(w):
    from opsdesk.catalog.models import FieldKind, RequestField, RequestType
    from opsdesk.catalog.services import request_order

    w.requester.manager = w.manager
    w.requester.save(update_fields=["manager"])
    w.request_type = RequestType.objects.create(
        code="s-software", name_zh="软件安装", name_en="New software", needs_approval=True,
        fulfilment_group=w.groups["APP2"])
    w.request_field = RequestField.objects.create(
        request_type=w.request_type, key="why", kind=FieldKind.TEXT, label_zh="理由",
        label_en="Why", required=True)
    w.service_request, _new = request_order(by=w.requester, request_type=w.request_type,
                                            answers={"why": "Need it"})


def _major_and_review(w):
    from opsdesk.incidents.services import incident_transition
    from opsdesk.major.services import major_children_link, major_declare, major_propose
    from opsdesk.reviews.services import review_action_add, review_create, timeline_entry_add

    w.master = incident_in(30, w.org, short_description="ERP down for everyone")
    w.major = major_declare(incident=w.master, by=w.manager, reason="ERP down")
    w.child = incident_in(10, w.org, short_description="ERP will not open")
    major_children_link(major=w.major, by=w.manager, children=[w.child])
    w.candidate_inc = incident_in(30, w.org, short_description="Mail is slow")
    w.proposed_inc = incident_in(30, w.org, short_description="Intranet is slow")
    major_propose(incident=w.proposed_inc, by=w.desk, reason="Many calls")
    w.master = incident_transition(incident=w.master, action="resolve", by=w.manager,
                                   **action_params("resolve", w.org))
    w.review = review_create(incident=w.master, by=w.manager)
    w.review_line = timeline_entry_add(review=w.review, by=w.manager,
                                       at=timezone.now() - timedelta(hours=1),
                                       text="Database restarted")
    w.review_action = review_action_add(review=w.review, by=w.manager,
                                        text="Add a connection-pool alarm", owner=w.engineer,
                                        due_on=date.today() + timedelta(days=7))


def _problems(w):
    from opsdesk.problems.models import ProblemCandidate
    from opsdesk.problems.services import problem_raise

    w.problem = problem_raise(by=w.manager, incidents=[w.inc], data={
        "owner_group": w.groups["NET2"], "title": "VPN concentrator drops sessions"})
    now = timezone.now()
    w.problem_candidate = ProblemCandidate.objects.create(
        kind="category", key="NET.VPN", label="VPN", incident_ids=[w.inc.pk], count=3,
        first_seen=now - timedelta(days=3), last_seen=now, open_key="category:NET.VPN")


def _vendors(w):
    from opsdesk.vendors.models import VendorContact, VendorContract
    from opsdesk.vendors.services import vendor_engagement_create

    w.vendor = VendorFactory(name="Huawei", email="support@huawei.example.cn")
    w.vendor_contact = VendorContact.objects.create(vendor=w.vendor, name="Hotline",
                                                    role="TAC", phone="400")
    w.vendor_contract = VendorContract.objects.create(
        vendor=w.vendor, number="HW-1", title="Maintenance", starts_on=date(2026, 1, 1),
        calendar_id="7x24", response_seconds=3600, resolution_seconds=4 * 3600)
    w.engagement = vendor_engagement_create(incident=w.inc, by=w.engineer, vendor=w.vendor,
                                            data={"reference": "HW-CASE-1"})


def _collab(w):
    from opsdesk.collab.services import handover_create, task_create
    from opsdesk.web.services import queue_choices, saved_view_create

    w.task = task_create(incident=w.inc, by=w.engineer, data={
        "title": "Check the core switch", "group": w.groups["NET3"]})
    w.handover = handover_create(by=w.engineer, data={
        "shift_date": date.today(), "shift_label": "Night", "from_group": w.groups["NET2"],
        "to_group": w.groups["NET3"], "summary": "Quiet night", "items": []})
    queue = queue_choices()
    w.queue = next(iter(queue)) if isinstance(queue, dict) else "all"
    from opsdesk.web.services import queues_for

    desk_queue = queues_for(w.desk)[0]
    w.queue = desk_queue.slug
    w.saved_view = saved_view_create(owner=w.desk, name="Mine", queue=desk_queue, params={})


def _surveys(w):
    from opsdesk.incidents.services import incident_transition
    from opsdesk.surveys.services import (follow_up_create, question_create, survey_invite,
                                          survey_schedule, survey_settings_get)

    row = survey_settings_get()
    row.is_enabled, row.sample_percent, row.delay_minutes = True, 100, 0
    row.save()
    w.closed = incident_in(40, w.org, short_description="Scanner offline")
    w.closed = incident_transition(incident=w.closed, action="confirm", by=w.requester)
    from opsdesk.surveys.models import Survey

    w.survey = Survey.objects.get(incident=w.closed)
    w.survey_token = survey_invite(survey_id=w.survey.pk, now=w.survey.send_after)
    w.follow_up = follow_up_create(survey=w.survey)
    w.question = question_create(by=w.owner, data={
        "text_zh": "还满意吗", "text_en": "Happy?", "kind": "yes_no"})
    from opsdesk.incidents.respond import respond_token

    w.respond_token = respond_token(incident=w.resolved)


def _intake(w):
    from opsdesk.intake.models import AlertIntegration, AlertRule, Mailbox, Silence
    from opsdesk.intake.parsers.types import NormalizedAlert
    from opsdesk.intake.services.alerts import alerts_ingest
    from opsdesk.intake.services.mail import inbound_mail_store
    from opsdesk.intake.services.payloads import payload_accept

    w.integration = AlertIntegration(name="s-prom", kind="alertmanager")
    w.integration_token = w.integration.token_new()
    w.integration.save()
    alerts_ingest(integration=w.integration, alerts=[NormalizedAlert(
        source="alertmanager", fingerprint="fp-sec", status="firing",
        labels={"alertname": "HighCPU", "host": "db1"}, summary="CPU high on db1",
        severity="critical", starts_at=timezone.now())])
    w.alert = w.integration.alerts.get(fingerprint="fp-sec")
    w.payload = payload_accept(integration=w.integration, body=b'{"alerts": "not a list"}')
    w.payload.state, w.payload.error = "failed", "alerts is not a list"
    w.payload.save(update_fields=["state", "error"])
    w.alert_rule = AlertRule.objects.create(action="drop", matchers=[["alertname", "=", "Noise"]])
    w.silence = Silence.objects.create(matchers=[["host", "=", "db9"]],
                                       ends_at=timezone.now() + timedelta(hours=2))
    w.mailbox = Mailbox.objects.create(name="s-desk", address="desk@opsdesk.example",
                                       host="127.0.0.1", port=1, username="desk",
                                       password="x", is_active=False)
    w.inbound_mail, _new = inbound_mail_store(mailbox=w.mailbox, raw=(
        b"From: someone@example.com\r\nTo: desk@opsdesk.example\r\n"
        b"Subject: quarantined\r\nMessage-ID: <q1@example.com>\r\n\r\nbody\r\n"))


def _settings(w):
    from opsdesk.reference.models import Category, RoutingRule
    from opsdesk.sla.models import BusinessCalendar, SlaPolicy
    from opsdesk.sla.policies import policies_load_defaults
    from opsdesk.sla.services import calendar_day_set, calendars_load_defaults

    calendars_load_defaults()
    policies_load_defaults()
    w.calendar = BusinessCalendar.objects.order_by("code").first()
    w.calendar_day = calendar_day_set(calendar=w.calendar, day=date(2026, 12, 24),
                                      kind="holiday", name_zh="平安夜", name_en="Christmas Eve")
    w.sla_policy = SlaPolicy.objects.order_by("code").first()
    w.category = Category.objects.order_by("pk").first()
    w.routing_rule = RoutingRule.objects.create(
        name_zh="网络", name_en="Network", category=w.category,
        group=w.groups["NET2"])
    w.service = ServiceFactory(code="SSVC", name_en="Sec service", name_zh="服务")


def _reports(w):
    from opsdesk.reporting.models import ReportSchedule

    w.schedule = ReportSchedule.objects.create(name="Weekly", kind="incident_list",
                                               frequency="weekly", format="csv",
                                               owner=w.owner)
    w.schedule.recipients.add(w.manager)


def _formats(w) -> dict:
    """The values the matrix rows put into their paths."""
    return {
        "inc": w.inc.number, "app_inc": w.app_inc.number, "resolved": w.resolved.number,
        "closed": w.closed.number, "child": w.child.number, "master": w.master.number,
        "candidate_inc": w.candidate_inc.number, "proposed": w.proposed_inc.number,
        "public_file": w.public_file.pk, "internal_file": w.internal_file.pk,
        "app_file": w.app_file.pk,
        "draft": w.draft.number, "published": w.published.number,
        "draft_file": w.draft_file.pk, "published_file": w.published_file.pk,
        "request_type": w.request_type.code, "request_field": w.request_field.pk,
        "sr": w.service_request.number,
        "major": w.major.incident.number if hasattr(w.major, "incident") else w.master.number,
        "review": w.master.number, "review_line": w.review_line.pk,
        "review_action": w.review_action.pk,
        "problem": w.problem.number, "problem_candidate": w.problem_candidate.pk,
        "vendor": w.vendor.pk, "vendor_contact": w.vendor_contact.pk,
        "vendor_contract": w.vendor_contract.pk, "engagement": w.engagement.pk,
        "task": w.task.pk, "handover": w.handover.pk, "queue": w.queue,
        "saved_view": w.saved_view.pk,
        "survey_token": w.survey_token, "follow_up": w.follow_up.pk, "question": w.question.pk,
        "respond_token": w.respond_token,
        "alert": w.alert.pk, "payload": w.payload.pk, "alert_rule": w.alert_rule.pk,
        "silence": w.silence.pk, "integration": w.integration.pk,
        "integration_token": w.integration_token, "mailbox": w.mailbox.pk,
        "inbound_mail": w.inbound_mail.pk,
        "calendar": w.calendar.code, "calendar_day": w.calendar_day.date.isoformat(),
        "sla_policy": w.sla_policy.code, "category": w.category.pk,
        "routing_rule": w.routing_rule.pk, "group": w.groups["NET2"].pk,
        "group_code": w.groups["NET2"].code, "schedule": w.schedule.pk,
        "month": timezone.localdate().strftime("%Y-%m"),
        "token_id": w.token_rows["desk"].pk, "requester_pk": w.requester.pk,
    }
