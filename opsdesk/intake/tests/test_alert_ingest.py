"""The alert pipeline, from normalised alerts to what the desk sees on incidents."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine

from opsdesk.incidents.choices import Status, Visibility
from opsdesk.incidents.models import Comment, Incident
from opsdesk.intake.models import Alert, AlertEvent, AlertIntegration, AlertRule, Silence
from opsdesk.intake.parsers.types import NormalizedAlert
from opsdesk.intake.services.alerts import alerts_ingest, monitoring_user

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=dt_timezone.utc)


def make_integration(**fields) -> AlertIntegration:
    integration = AlertIntegration(name=fields.pop("name", "prom"),
                                   kind=fields.pop("kind", "alertmanager"), **fields)
    integration.token_new()
    integration.save()
    return integration


def alert(fingerprint="fp1", status="firing", at=T0, **fields) -> NormalizedAlert:
    labels = fields.pop("labels", {"alertname": "HighCPU", "service": "erp"})
    return NormalizedAlert(
        source="alertmanager", fingerprint=fingerprint, status=status,
        summary=fields.pop("summary", f"CPU high on {fingerprint}"), labels=labels,
        severity=fields.pop("severity", "critical"),
        starts_at=at if status == "firing" else at - timedelta(minutes=5),
        ends_at=at if status == "resolved" else None, **fields)


def notes(incident) -> list[str]:
    return list(Comment.objects.filter(incident=incident, visibility=Visibility.INTERNAL)
                .values_list("body", flat=True))


def test_a_firing_alert_opens_one_incident_with_its_text_and_priority():
    integration = make_integration()
    [outcome] = alerts_ingest(integration=integration, alerts=[alert(
        description="CPU above 95 % for 10 minutes", generator_url="http://prom/graph")])
    incident = outcome.opened
    assert incident.short_description == "CPU high on fp1"
    assert "CPU above 95 % for 10 minutes" in incident.description
    assert "http://prom/graph" in incident.description
    assert "alertname=HighCPU" in incident.description
    assert incident.source_id == "04" and incident.channel == "alert"
    assert (incident.impact_id, incident.urgency_id, incident.priority_id) == (2, 1, 1)
    assert incident.requester == monitoring_user()
    row = Alert.objects.get()
    assert row.incident == incident and row.handling == Alert.Handling.INCIDENT
    assert Incident.objects.get(pk=incident.pk).alert_ids == [row.pk]


def test_the_same_delivery_twice_changes_nothing():
    integration = make_integration()
    alerts_ingest(integration=integration, alerts=[alert()])
    alerts_ingest(integration=integration, alerts=[alert()])
    assert Incident.objects.count() == 1
    row = Alert.objects.get()
    assert row.deliveries == 2 and row.group.firing == 1
    assert AlertEvent.objects.count() == 2


def test_alerts_of_one_group_share_an_incident_and_it_resolves_when_all_have():
    integration = make_integration()
    alerts_ingest(integration=integration, alerts=[alert("a"), alert("b")])
    incident = Incident.objects.get()
    assert Alert.objects.filter(incident=incident).count() == 2
    assert any("CPU high on b" in n for n in notes(incident))
    alerts_ingest(integration=integration,
                  alerts=[alert("a", "resolved", T0 + timedelta(minutes=9))])
    incident.refresh_from_db()
    assert incident.status != Status.RESOLVED  # b still fires
    alerts_ingest(integration=integration,
                  alerts=[alert("b", "resolved", T0 + timedelta(minutes=9))])
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert incident.resolution_code_id == "99"
    assert any("Every alert of this incident has resolved" in n or "已恢复" in n
               for n in notes(incident))


def test_flag_for_the_desk_leaves_the_incident_open_with_a_note():
    integration = make_integration(when_resolved=AlertIntegration.WhenResolved.FLAG)
    alerts_ingest(integration=integration, alerts=[alert()])
    alerts_ingest(integration=integration,
                  alerts=[alert(status="resolved", at=T0 + timedelta(minutes=3))])
    incident = Incident.objects.get()
    assert incident.status not in (Status.RESOLVED, Status.CLOSED)
    assert len(notes(incident)) == 1


def test_an_alert_firing_again_within_the_flapping_window_reopens_its_incident():
    integration = make_integration(flap_minutes=15)
    with time_machine.travel(T0, tick=False):
        alerts_ingest(integration=integration, alerts=[alert()])
        alerts_ingest(integration=integration, alerts=[alert(status="resolved", at=T0)])
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        alerts_ingest(integration=integration, alerts=[alert(at=T0 + timedelta(minutes=10))])
    assert Incident.objects.count() == 1
    assert Incident.objects.get().status == Status.IN_PROGRESS


def test_an_alert_firing_again_after_the_window_opens_a_new_incident():
    integration = make_integration(flap_minutes=15)
    with time_machine.travel(T0, tick=False):
        alerts_ingest(integration=integration, alerts=[alert()])
        alerts_ingest(integration=integration, alerts=[alert(status="resolved", at=T0)])
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        alerts_ingest(integration=integration, alerts=[alert(at=T0 + timedelta(hours=2))])
    first, second = Incident.objects.order_by("id")
    assert first.status == Status.RESOLVED and second.status not in (Status.RESOLVED,)
    assert Alert.objects.get().incident == second


def test_a_late_delivery_older_than_the_alerts_state_changes_nothing():
    integration = make_integration()
    alerts_ingest(integration=integration, alerts=[alert(at=T0 + timedelta(minutes=30))])
    # A resolution of an earlier episode arrives after the new firing: ignored.
    alerts_ingest(integration=integration, alerts=[alert(status="resolved", at=T0)])
    assert Alert.objects.get().status == "firing"
    assert Incident.objects.get().status != Status.RESOLVED


def test_filter_rules_drop_and_silences_record_without_an_incident():
    integration = make_integration()
    AlertRule.objects.create(action="drop", matchers=[["severity", "=", "info"]])
    Silence.objects.create(integration=integration, matchers=[["service", "=~", "erp|crm"]],
                           starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=1),
                           comment="ERP upgrade")
    with time_machine.travel(T0, tick=False):
        alerts_ingest(integration=integration, alerts=[
            alert("info", severity="info", labels={"service": "mail"}),
            alert("erp"), alert("mail", labels={"service": "mail", "alertname": "Disk"})])
    handling = dict(Alert.objects.values_list("fingerprint", "handling"))
    assert handling == {"info": "dropped", "erp": "silenced", "mail": "incident"}
    assert Incident.objects.count() == 1


def test_group_by_labels_and_severity_map_are_the_integrations_choice():
    integration = make_integration(group_by="cluster", severity_map={"critical": [3, 3]})
    alerts_ingest(integration=integration, alerts=[
        alert("x", labels={"cluster": "east", "alertname": "A"}),
        alert("y", labels={"cluster": "east", "alertname": "B"}),
        alert("z", labels={"cluster": "west", "alertname": "A"})])
    assert Incident.objects.count() == 2
    assert set(Incident.objects.values_list("priority_id", flat=True)) == {3}


def test_default_group_assigns_the_incident(org):
    integration = make_integration(default_group=org.groups["NET2"])
    [outcome] = alerts_ingest(integration=integration, alerts=[alert()])
    incident = Incident.objects.get(pk=outcome.opened.pk)
    assert incident.assignment_group == org.groups["NET2"]
    assert incident.status == Status.ASSIGNED


def test_the_group_comes_from_a_label_then_the_ci_then_the_integration(org):
    from opsdesk.core.testing.factories import ConfigurationItemFactory, ServiceFactory

    ConfigurationItemFactory(name="db1", owner_group=org.groups["APP2"])
    ServiceFactory(code="erp", owner_group=org.groups["NET3"])
    integration = make_integration(default_group=org.groups["NET2"])
    cases = {
        "label": ({"opsdesk_group": "net3", "host": "db1", "service": "erp"}, "NET3"),
        "ci": ({"host": "db1", "service": "erp"}, "APP2"),
        "integration": ({"host": "web9", "service": "erp"}, "NET2"),
    }
    for name, (labels, group) in cases.items():
        [outcome] = alerts_ingest(integration=integration,
                                  alerts=[alert(name, labels={**labels, "alertname": name})])
        incident = Incident.objects.get(pk=outcome.opened.pk)
        assert incident.assignment_group.code == group, name
    ci_incident = Alert.objects.get(fingerprint="ci").incident
    assert [ci.name for ci in ci_incident.configuration_items.all()] == ["db1"]
    assert ci_incident.service.code == "erp"


def test_without_a_group_the_services_owner_takes_it(org):
    from opsdesk.core.testing.factories import ServiceFactory

    ServiceFactory(code="mail", owner_group=org.groups["APP2"])
    [outcome] = alerts_ingest(integration=make_integration(),
                              alerts=[alert(labels={"service": "mail", "alertname": "Down"})])
    assert Incident.objects.get(pk=outcome.opened.pk).assignment_group == org.groups["APP2"]


def test_a_weekly_maintenance_window_silences_only_within_its_occurrences():
    integration = make_integration()
    sunday_2am = datetime(2026, 11, 1, 18, 0, tzinfo=dt_timezone.utc)  # Mon 02:00 in Shanghai
    Silence.objects.create(kind="maintenance", integration=integration,
                           matchers=[["service", "=", "erp"]], starts_at=sunday_2am,
                           ends_at=sunday_2am + timedelta(hours=2), repeat="weekly",
                           repeat_until=datetime(2026, 11, 30, tzinfo=dt_timezone.utc))
    moments = {
        "in the 4th week's window": (sunday_2am + timedelta(weeks=3, minutes=30), "silenced"),
        "after that window": (sunday_2am + timedelta(weeks=3, hours=3), "incident"),
        "a day later": (sunday_2am + timedelta(weeks=3, days=1, minutes=30), "incident"),
        "after the last repetition": (sunday_2am + timedelta(weeks=5, minutes=30), "incident"),
    }
    for n, (name, (at, handling)) in enumerate(moments.items()):
        with time_machine.travel(at, tick=False):
            alerts_ingest(integration=integration, alerts=[alert(f"fp{n}", at=at)])
        assert Alert.objects.get(fingerprint=f"fp{n}").handling == handling, name


def test_a_repeating_window_must_be_shorter_than_its_period():
    from opsdesk.core.exceptions import InvalidInput
    from opsdesk.intake.services.console import silence_save

    start = datetime(2026, 11, 2, tzinfo=dt_timezone.utc)
    with pytest.raises(InvalidInput) as refused:
        silence_save(silence=None, by=None, data={
            "kind": "maintenance", "integration": make_integration(), "matchers": [],
            "starts_at": start, "ends_at": start + timedelta(hours=25), "repeat": "daily"})
    assert "repeat" in refused.value.errors


def test_ending_a_repeating_window_now_ends_every_later_occurrence():
    from opsdesk.intake.services.console import silence_expire

    start = datetime(2026, 11, 2, 1, 0, tzinfo=dt_timezone.utc)
    silence = Silence.objects.create(matchers=[["host", "=", "db1"]], starts_at=start,
                                     ends_at=start + timedelta(hours=1), repeat="daily")
    during = start + timedelta(days=3, minutes=10)
    assert silence.occurrence_end(during) == start + timedelta(days=3, hours=1)
    with time_machine.travel(during, tick=False):
        assert silence_expire(silence=silence)
    silence.refresh_from_db()
    assert silence.occurrence_end(during + timedelta(minutes=1)) is None
    assert silence.occurrence_end(start + timedelta(days=4, minutes=10)) is None
