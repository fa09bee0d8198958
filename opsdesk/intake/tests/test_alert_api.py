"""Posting alerts as the monitoring tools do, replaying their published payloads."""

import json
from pathlib import Path

import pytest
from django.core.cache import cache

from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.intake.models import Alert, AlertIntegration, AlertPayload
from opsdesk.intake.services.payloads import payloads_sweep

pytestmark = pytest.mark.django_db
ALERTS = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "alerts"


@pytest.fixture(autouse=True)
def _fresh_rate_windows():
    cache.clear()


def integration_with_url(kind="alertmanager", **fields) -> tuple[AlertIntegration, str]:
    integration = AlertIntegration(name=fields.pop("name", kind), kind=kind, **fields)
    token = integration.token_new()
    integration.save()
    return integration, f"/api/v1/intake/alerts/{token}"


def post(client, url, body, **extra):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **extra)


def replay(client, url, *names) -> None:
    for name in names:
        response = post(client, url, (ALERTS / name).read_bytes())
        assert response.status_code == 202, response.content
        assert response.json()["payload"]
        payloads_sweep()


def test_alertmanager_firing_then_resolved_opens_and_resolves_one_incident(client):
    _, url = integration_with_url()
    replay(client, url, "alertmanager_v4_firing.json")
    incident = Incident.objects.get()
    assert incident.status not in (Status.RESOLVED, Status.CLOSED)
    assert incident.channel == "alert" and incident.source_id == "04"
    replay(client, url, "alertmanager_v4_resolved.json")
    incident = Incident.objects.get()
    assert incident.status == Status.RESOLVED
    assert AlertPayload.objects.filter(state="processed").count() == 2


def test_one_alertmanager_group_of_three_alerts_is_one_incident(client):
    _, url = integration_with_url()
    replay(client, url, "alertmanager_v4_firing_3_alerts_oncall.json")
    assert Incident.objects.count() == 1
    assert Alert.objects.filter(incident=Incident.objects.get()).count() == 3


def test_alerts_without_status_or_fingerprint_still_make_incidents(client):
    _, url = integration_with_url()
    replay(client, url, "alertmanager_v4_firing_no_per_alert_status.json")
    body = json.loads((ALERTS / "alertmanager_v4_firing_no_per_alert_status.json").read_text())
    assert Alert.objects.count() == len(body["alerts"])
    assert Incident.objects.count() == 1  # one groupKey


def test_grafana_alerts_of_one_notification_share_an_incident(client):
    _, url = integration_with_url("grafana")
    replay(client, url, "grafana_unified_alerting_webhook_firing.json")
    assert Alert.objects.count() == 2
    assert Incident.objects.count() == 1


def test_zabbix_script_payload_opens_an_incident(client):
    _, url = integration_with_url("zabbix")
    replay(client, url, "zabbix_grafana_oncall_script_example.json")
    incident = Incident.objects.get()
    payload = json.loads((ALERTS / "zabbix_grafana_oncall_script_example.json").read_text())
    assert payload["title"][:50] in incident.short_description + incident.description


def test_datadog_recovery_resolves_and_an_older_one_is_ignored(client):
    _, url = integration_with_url("datadog")
    replay(client, url, "datadog_webhook_recovered.json", "datadog_webhook_triggered.json")
    incident = Incident.objects.get()
    assert incident.status not in (Status.RESOLVED,)
    # The recovered file is dated 15:08:32, the triggered one 15:24:34: posted after the
    # trigger, that recovery describes an earlier moment and must not resolve the incident.
    replay(client, url, "datadog_webhook_recovered.json")
    assert Incident.objects.get().status not in (Status.RESOLVED,)
    assert Alert.objects.get().events.last().outcome.startswith("Older than")
    newer = json.loads((ALERTS / "datadog_webhook_recovered.json").read_text())
    newer["date"] = newer["last_updated"] = "1733931000000"  # 15:30, after the trigger
    replay_body(client, url, newer)
    assert Incident.objects.get().status == Status.RESOLVED


def replay_body(client, url, body) -> None:
    assert post(client, url, body).status_code == 202
    payloads_sweep()


def test_datadog_stream_out_of_order_ends_in_each_alerts_latest_state(client):
    _, url = integration_with_url("datadog")
    lines = [json.loads(line) for line in
             (ALERTS / "datadog_webhook_stream_43_events.jsonl").read_text().splitlines()
             if line.strip()]
    for body in lines:
        assert post(client, url, body).status_code == 202
    payloads_sweep()
    assert AlertPayload.objects.filter(state="processed").count() == 43
    assert sum(Alert.objects.values_list("deliveries", flat=True)) == 43
    latest = {}
    for body in lines:  # by hand: the newest event of each monitor and scope decides
        key, at = f"{body['monitor_id']}/{body['scopes']}", int(body["date"])
        state = "resolved" if body["alert_transition"] == "Recovered" else "firing"
        if key not in latest or at > latest[key][0]:
            latest[key] = (at, state)
    assert Alert.objects.count() == len(latest) == 21
    assert {a.fingerprint: a.status for a in Alert.objects.all()} == {
        k: state for k, (_, state) in latest.items()}


def test_the_same_payload_posted_twice_changes_nothing(client):
    _, url = integration_with_url()
    replay(client, url, "alertmanager_v4_firing_3_alerts_oncall.json",
           "alertmanager_v4_firing_3_alerts_oncall.json")
    assert Incident.objects.count() == 1 and Alert.objects.count() == 3


def test_malformed_json_is_refused_and_nothing_is_stored(client):
    _, url = integration_with_url()
    response = post(client, url, b'{"alerts": [')
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]
    assert AlertPayload.objects.count() == 0


def test_an_unknown_token_is_a_404(client):
    integration_with_url()
    response = post(client, "/api/v1/intake/alerts/not-a-token", {"alerts": []})
    assert response.status_code == 404
    assert "URL" in response.json()["detail"]
    assert AlertPayload.objects.count() == 0


def test_a_disabled_integration_accepts_nothing(client):
    _, url = integration_with_url(is_active=False)
    assert post(client, url, {"alerts": []}).status_code == 404


def test_a_payload_over_the_size_limit_is_refused(client):
    _, url = integration_with_url(max_payload_kib=1)
    response = post(client, url, {"alerts": [], "pad": "x" * 2000})
    assert response.status_code == 413
    assert "1 KiB" in response.json()["detail"]
    assert AlertPayload.objects.count() == 0


def test_over_the_rate_limit_the_answer_says_when_to_retry(client):
    _, url = integration_with_url(rate_limit_per_minute=3)
    codes = [post(client, url, {"alerts": []}).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    response = post(client, url, {"alerts": []})
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Retry in" in response.json()["detail"]
    assert AlertPayload.objects.count() == 3


def test_a_payload_of_the_wrong_shape_is_kept_as_failed_with_the_reason(client):
    integration, url = integration_with_url()
    assert post(client, url, [1, 2, 3]).status_code == 202
    payloads_sweep()
    payload = AlertPayload.objects.get()
    assert payload.state == "failed" and payload.error
    assert Incident.objects.count() == 0


def test_the_api_document_lists_the_intake_endpoint(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/intake/alerts/{token}" in paths


def test_a_payload_that_breaks_processing_holds_up_no_other(client, monkeypatch):
    from opsdesk.intake.services import alerts

    _, url = integration_with_url()
    bodies = [json.loads((ALERTS / name).read_text()) for name in (
        "alertmanager_v4_firing.json", "alertmanager_v4_firing_3_alerts_oncall.json",
        "grafana_unified_alerting_webhook_firing.json")]
    for body in bodies:
        assert post(client, url, body).status_code == 202
    real = alerts.alerts_ingest

    def faulty(*, alerts, **kwargs):  # a fault of ours, injected for the 3-alert payload
        if len(alerts) == 3:
            raise RuntimeError("injected fault")
        return real(alerts=alerts, **kwargs)

    monkeypatch.setattr(alerts, "alerts_ingest", faulty)
    payloads_sweep()
    states = list(AlertPayload.objects.order_by("id").values_list("state", "attempts"))
    assert states == [("processed", 1), ("failed", 5), ("processed", 1)]
    assert "injected fault" in AlertPayload.objects.get(state="failed").error
    assert Incident.objects.count() == 2
    monkeypatch.setattr(alerts, "alerts_ingest", real)
    from opsdesk.intake.services.payloads import payload_retry

    retried = payload_retry(payload=AlertPayload.objects.get(state="failed"))
    assert retried.state == "processed" and Incident.objects.count() == 3


def test_refusals_are_explained_in_chinese(client):
    _, url = integration_with_url(rate_limit_per_minute=1)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    assert post(client, url, {"alerts": []}, **zh).status_code == 202
    limited = post(client, url, {"alerts": []}, **zh)
    assert limited.status_code == 429 and "请在" in limited.json()["detail"]
    unknown = post(client, "/api/v1/intake/alerts/nope", {"alerts": []}, **zh)
    assert unknown.status_code == 404 and "集成" in unknown.json()["detail"]


def test_a_new_token_or_disabling_stops_the_old_url(client):
    from opsdesk.intake.services.console import integration_token_renew, integration_update

    integration, url = integration_with_url()
    assert post(client, url, {"alerts": []}).status_code == 202
    token = integration_token_renew(integration=integration)
    assert post(client, url, {"alerts": []}).status_code == 404
    new_url = f"/api/v1/intake/alerts/{token}"
    assert post(client, new_url, {"alerts": []}).status_code == 202
    integration_update(integration=integration, data={"is_active": False})
    assert post(client, new_url, {"alerts": []}).status_code == 404


def test_a_payload_accepted_while_the_drain_settles_is_still_processed(client, monkeypatch):
    """Its enqueue is skipped (the mark is set), so the queued drain's last look must see it."""
    from opsdesk.intake.services import payloads

    integration, url = integration_with_url()
    late = (ALERTS / "alertmanager_v4_firing.json").read_bytes()

    arrivals = [late]

    def a_payload_arrives(seconds):  # what happens while the drain waits (the first time)
        assert seconds == payloads.QUEUED_MARK_SECONDS
        if arrivals:
            assert post(client, url, arrivals.pop()).status_code == 202

    monkeypatch.setattr(payloads.time, "sleep", a_payload_arrives)
    done = payloads.integration_drain(integration_id=integration.pk,
                                      settle=payloads.QUEUED_MARK_SECONDS)
    assert done == 1
    assert AlertPayload.objects.get().state == "processed"
    assert Incident.objects.count() == 1
