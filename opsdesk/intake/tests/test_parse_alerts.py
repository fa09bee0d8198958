"""Alert parsers: every public fixture replayed as the desk would see it, and fuzzed input."""

import email
import email.policy
import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from opsdesk.intake.parsers.generic import (
    DATADOG_MAPPING,
    DEFAULT_MAPPING,
    mapping_errors,
    time_parse,
)
from opsdesk.intake.parsers.icinga import parse_icinga_mail
from opsdesk.intake.parsers.registry import PARSERS, alerts_parse
from opsdesk.intake.parsers.types import NormalizedAlert, ParseError

# Public payloads from other projects live outside the repository (../shared/fixtures).
FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "alerts"
OWN = Path(__file__).resolve().parent / "alerts"

PLUS_1 = timezone(timedelta(hours=1))


def public(name: str):
    """A shared fixture; missing fixtures fail the test (they always sit beside the repo in CI)."""
    path = FIXTURES / name
    assert path.is_file(), f"no {name} in {FIXTURES} (the shared fixtures sit beside the repo)"
    return json.loads(path.read_text())


def own(name: str):
    return json.loads((OWN / name).read_text())


def mail(name: str) -> tuple[str, str]:
    """Subject and plain text of a fixture mail, read with the standard library only."""
    message = email.message_from_bytes((FIXTURES / name).read_bytes(),
                                       policy=email.policy.default)
    return str(message["subject"]), message.get_body(("plain",)).get_content()


def icinga(name: str) -> NormalizedAlert:
    alert = parse_icinga_mail(*mail(name))
    assert alert is not None, name
    return alert


def datadog_stream() -> list[NormalizedAlert]:
    lines = (FIXTURES / "datadog_webhook_stream_43_events.jsonl").read_text().splitlines()
    return [alert for line in lines if line.strip()
            for alert in alerts_parse("datadog", json.loads(line))]


def assert_sane(alert: NormalizedAlert) -> None:
    """What intake relies on, whatever came in."""
    assert alert.status in ("firing", "resolved")
    assert 0 < len(alert.fingerprint) <= 128 and len(alert.group_key) <= 255
    assert 0 < len(alert.summary) <= 200 and "\n" not in alert.summary
    assert len(alert.severity) <= 40 and alert.severity == alert.severity.lower()
    assert all(isinstance(k, str) and isinstance(v, str)
               for pairs in (alert.labels, alert.annotations) for k, v in pairs.items())
    assert all(moment is None or moment.tzinfo for moment in (alert.starts_at, alert.ends_at))
    assert alert.generator_url == "" or alert.generator_url.startswith(("http://", "https://"))
    for text in (alert.summary, alert.description, alert.fingerprint, *alert.labels.values()):
        text.encode("utf-8")
        assert "\x00" not in text


# Every public fixture has a replay test below; a new file fails here until it gets one.
REPLAYED = {
    "alertmanager_v4_firing.json", "alertmanager_v4_resolved.json",
    "alertmanager_v4_firing_3_alerts_oncall.json",
    "alertmanager_v4_firing_no_per_alert_status.json",
    "grafana_unified_alerting_webhook_firing.json", "zabbix_grafana_oncall_script_example.json",
    "datadog_webhook_triggered.json", "datadog_webhook_recovered.json",
    "datadog_webhook_stream_43_events.jsonl",
    "icinga2_mail_host_down.eml", "icinga2_mail_host_up.eml",
    "icinga2_mail_service_problem_cpu.eml", "icinga2_mail_service_recovery_cpu.eml",
    "icinga2_mail_service_problem_ping_bracket_format.eml",
    "icinga2_mail_service_recovery_ping_bracket_format.eml",
}


def test_every_public_fixture_is_replayed():
    assert {path.name for path in FIXTURES.iterdir()} - {"README.md"} == REPLAYED


# Alertmanager

def test_alertmanager_firing_and_resolved_are_one_alert():
    [firing] = alerts_parse("alertmanager", public("alertmanager_v4_firing.json"))
    [resolved] = alerts_parse("alertmanager", public("alertmanager_v4_resolved.json"))
    assert (firing.status, resolved.status) == ("firing", "resolved")
    assert firing.fingerprint == resolved.fingerprint
    assert len(firing.fingerprint) == 32  # no fingerprint sent: our digest of the labels
    assert firing.group_key == resolved.group_key == '{}:{alertname="Fire"}'
    assert firing.summary == resolved.summary == "Something is on fire"
    assert (firing.severity, firing.labels) == ("critical", {"alertname": "Fire",
                                                            "severity": "critical"})
    # Nanoseconds trimmed; a firing alert's endsAt is only a timeout guess.
    assert firing.starts_at == datetime(2018, 11, 4, 22, 43, 58, 283995, PLUS_1)
    assert firing.ends_at is None
    assert resolved.ends_at == datetime(2018, 11, 4, 22, 48, 13, 283995, PLUS_1)
    assert firing.generator_url.startswith("http://localhost:9090/graph?g0.expr=")
    assert firing.source == "alertmanager"


def test_alertmanager_group_of_three_keeps_the_tools_fingerprints():
    alerts = alerts_parse("alertmanager", public("alertmanager_v4_firing_3_alerts_oncall.json"))
    assert [a.fingerprint for a in alerts] == ["f404ecabc8dd5cd7", "f8f08d4e32c61a9d",
                                                "39f38c0611ee7abd"]
    assert [a.summary for a in alerts] == [f"Instance localhost:808{n} down" for n in (1, 2, 3)]
    assert {a.group_key for a in alerts} == {'{}:{alertname="InstanceDown"}'}
    assert {a.status for a in alerts} == {"firing"}
    assert {a.ends_at for a in alerts} == {None}  # endsAt 0001-01-01: not ended
    assert alerts[0].starts_at == datetime(2023, 6, 12, 8, 24, 38, 326000, UTC)
    assert alerts[0].description == ("localhost:8081 of job node has been down for more "
                                      "than 1 minute.")
    assert alerts[0].generator_url == ""


def test_alertmanager_without_per_alert_status_or_fingerprint():
    payload = public("alertmanager_v4_firing_no_per_alert_status.json")
    [alert] = alerts_parse("alertmanager", payload)
    assert alert.status == "firing"
    assert alert.summary == "Server High Memory usage"
    assert alert.description == "10.80.40.11 reported high memory usage with 23.28%."
    assert alert.severity == "warning"
    assert alert.starts_at == datetime(2018, 3, 7, 11, 33, 21, 873077, UTC)
    assert alert.ends_at is None
    # The same labels in a resolved delivery give the same fingerprint.
    payload["status"] = "resolved"
    payload["alerts"][0]["endsAt"] = "2018-03-07T07:00:00.123456789-05:00"
    [resolved] = alerts_parse("alertmanager", payload)
    assert (resolved.status, resolved.fingerprint) == ("resolved", alert.fingerprint)
    assert resolved.ends_at == datetime(2018, 3, 7, 12, 0, 0, 123456, UTC)


def test_alertmanager_summary_falls_back_to_alertname_and_instance():
    payload = {"status": "firing", "groupKey": "{}:{}", "alerts": [
        {"labels": {"alertname": "NodeDown", "instance": "db-1:9100"}, "annotations": {}},
        {"labels": {}, "annotations": {"description": "first line\nsecond line"}},
        {"labels": {}},
    ]}
    summaries = [alert.summary for alert in alerts_parse("alertmanager", payload)]
    assert summaries == ["NodeDown on db-1:9100", "first line", "Untitled alertmanager alert"]


# Grafana

def test_grafana_two_alerts_with_their_extras():
    alerts = alerts_parse("grafana", public("grafana_unified_alerting_webhook_firing.json"))
    assert [a.summary for a in alerts] == ["This alert was triggered for zone us-1",
                                           "This alert was triggered for zone eu-1"]
    assert [a.fingerprint for a in alerts] == ["c6eadffa33fcdf37", "bc97ff14869b13e3"]
    assert {a.group_key for a in alerts} == {"{}:{}"}
    assert {a.status for a in alerts} == {"firing"}
    assert {a.source for a in alerts} == {"grafana"}
    first = alerts[0]
    assert first.description == "The system has high memory usage"
    assert first.annotations["values"] == "B=44.23943737541908, C=1"
    assert first.annotations["org_id"] == "1"
    assert first.annotations["silence_url"].startswith("https://play.grafana.org/alerting/")
    assert "dashboard_url" not in first.annotations  # sent empty
    assert first.generator_url == "https://play.grafana.org/alerting/1afz29v7z/edit"
    assert first.ends_at is None


# Zabbix

def test_zabbix_oncall_script_shape():
    payload = public("zabbix_grafana_oncall_script_example.json")
    [alert] = alerts_parse("zabbix", payload)
    uid = "08d6891a-835c-e661-39fa-96b6a9e26552"
    assert (alert.fingerprint, alert.group_key, alert.status) == (uid, uid, "firing")
    assert alert.summary == "TestAlert: The whole system is down"
    assert alert.description.startswith("This alert was sent by user")
    assert alert.generator_url == "https://en.wikipedia.org/wiki/Downtime"
    assert alert.annotations == {"image_url": payload["image_url"]}
    [ok] = alerts_parse("zabbix", {**payload, "state": "OK"})  # OnCall resolves on state OK
    assert (ok.status, ok.fingerprint) == ("resolved", uid)


def test_zabbix_event_shape_problem_and_resolution():
    [problem] = alerts_parse("zabbix", own("zabbix_event_problem.json"))
    [resolved] = alerts_parse("zabbix", own("zabbix_event_resolved.json"))
    assert (problem.status, resolved.status) == ("firing", "resolved")
    assert problem.fingerprint == resolved.fingerprint == problem.group_key == "1573"
    assert problem.summary == "High CPU utilization (over 90% for 5m) on web-01"
    assert problem.severity == "high"
    assert problem.labels == {"service": "shop", "component": "cpu", "host": "web-01"}
    assert problem.starts_at == datetime(2024, 3, 5, 10, 15, 2, tzinfo=UTC)
    assert resolved.ends_at == datetime(2024, 3, 5, 10, 31, 44, tzinfo=UTC)
    assert problem.generator_url.startswith("https://zabbix.example.com/tr_events.php")


def test_zabbix_nested_objects_and_numeric_values():
    [alert] = alerts_parse("zabbix", own("zabbix_nested_ok.json"))
    assert (alert.fingerprint, alert.status, alert.severity) == ("88", "resolved", "high")
    assert alert.summary == "Free disk space is less than 5% on /var on db-02"
    assert alert.labels == {"host": "db-02"}


def test_zabbix_without_id_uses_host_and_trigger():
    problem = {"trigger_name": "Ping loss", "host": "sw-3", "status": "PROBLEM"}
    [firing] = alerts_parse("zabbix", problem)
    [ok] = alerts_parse("zabbix", {**problem, "status": "OK"})
    assert firing.fingerprint == ok.fingerprint and len(firing.fingerprint) == 32
    assert (firing.status, ok.status, firing.group_key) == ("firing", "resolved", "")


# Datadog and generic JSON

def test_datadog_triggered_then_recovered_is_one_alert():
    [triggered] = alerts_parse("datadog", public("datadog_webhook_triggered.json"))
    [recovered] = alerts_parse("datadog", public("datadog_webhook_recovered.json"))
    key = "160076582/service:keep-api-feature-unique-id"
    assert triggered.fingerprint == recovered.fingerprint == key
    assert (triggered.status, recovered.status) == ("firing", "resolved")
    assert triggered.summary == "[Triggered on {service:keep-api-feature-unique-id}] Error monitor"
    assert triggered.starts_at == datetime(2024, 12, 11, 15, 24, 34, tzinfo=UTC)
    assert (recovered.starts_at, recovered.ends_at) == (
        None, datetime(2024, 12, 11, 15, 8, 32, tzinfo=UTC))
    assert triggered.labels == {"service": "keep-api-feature-unique-id",
                                "monitor_id": "160076582", "event_type": "log_alert"}
    assert triggered.description.startswith("trace_id:")  # the %%% markers are gone
    assert triggered.annotations["alert_type"] == "error"
    assert triggered.source == "datadog" and triggered.group_key == ""


def test_datadog_stream_of_43_events():
    alerts = datadog_stream()
    assert len(alerts) == 43
    assert len({a.fingerprint for a in alerts}) == 21  # (monitor, scope) pairs
    assert len({a.labels["monitor_id"] for a in alerts}) == 4
    assert Counter(a.status for a in alerts) == {"firing": 25, "resolved": 18}  # 1 is Warn
    assert Counter(a.severity for a in alerts) == {"": 40, "p2": 3}
    at = [a.starts_at or a.ends_at for a in alerts]
    assert at != sorted(at)  # delivered out of order
    assert max(at) - min(at) == timedelta(minutes=21, seconds=40)
    last = {a.fingerprint: a.status for a in sorted(alerts, key=lambda a: a.starts_at or a.ends_at)}
    assert Counter(last.values()) == {"firing": 12, "resolved": 9}


def test_datadog_mapping_can_be_overridden():
    payload = public("datadog_webhook_triggered.json")
    [alert] = alerts_parse("datadog", payload, mapping={"group_key": "monitor_id"})
    assert alert.group_key == "160076582"


def test_generic_default_mapping_reads_a_simple_body():
    [firing] = alerts_parse("generic", own("generic_simple_firing.json"))
    [resolved] = alerts_parse("generic", own("generic_simple_resolved.json"))
    assert (firing.fingerprint, resolved.fingerprint) == ("disk-42", "disk-42")
    assert (firing.status, resolved.status) == ("firing", "resolved")  # "OK" means resolved
    assert (firing.summary, firing.severity) == ("Disk /var 95% full on db-01", "critical")
    assert firing.source == "generic"


def test_generic_mapping_with_an_alerts_list_and_top_level_fallback():
    mapping = {"alerts": "data.events", "fingerprint": ["host", "check"], "status": "state",
               "summary": "msg", "group_key": "team", "event_at": "at",
               "labels": {"host": "host", "check": "check"}}
    first, second = alerts_parse("generic", own("generic_nested_list.json"), mapping=mapping)
    assert (first.fingerprint, first.status, first.group_key) == ("web-01/http", "firing", "shop")
    assert (second.fingerprint, second.status) == ("web-02/http", "resolved")
    assert first.labels == {"host": "web-01", "check": "http"}
    assert first.summary == "HTTP 500 on /checkout"
    assert first.starts_at == datetime(2024, 5, 2, 8, 0, 0, 123456, UTC)
    assert (second.starts_at, second.ends_at) == (None, datetime(2024, 5, 2, 8, 0, tzinfo=UTC))


def test_generic_fingerprint_digest_is_stable_across_states():
    body = {"title": "Queue backlog", "labels": {"queue": "mail"}, "id": None}
    [firing] = alerts_parse("generic", {**body, "status": "firing"})
    [resolved] = alerts_parse("generic", {**body, "status": "closed"})
    assert firing.fingerprint == resolved.fingerprint and len(firing.fingerprint) == 32
    assert resolved.status == "resolved"
    [other] = alerts_parse("generic", {**body, "labels": {"queue": "sms"}})
    assert other.fingerprint != firing.fingerprint


def test_generic_list_body_tags_string_and_custom_resolved_values():
    body = [{"id": 1, "status": "CLEARED", "tags": "env:prod,team:db,urgent"},
            {"id": 2, "status": "ok"}]
    mapping = {"labels": "tags", "resolved_values": ["cleared"]}
    one, two = alerts_parse("generic", body, mapping=mapping)
    assert (one.fingerprint, one.status, two.status) == ("1", "resolved", "firing")
    assert one.labels == {"env": "prod", "team": "db", "urgent": ""}
    assert one.summary == "Untitled generic alert"


def test_values_are_made_to_fit_the_desk():
    body = {"id": "x" * 300, "title": "  long\n" + "y" * 500, "severity": " Sev 1 ",
            "url": "javascript:alert(1)", "group_key": "g" * 300}
    [alert] = alerts_parse("generic", body)
    assert alert.summary == "long"
    assert len(alert.fingerprint) == 32 and len(alert.group_key) == 32  # digests of the keys
    assert alert.severity == "sev 1" and alert.generator_url == ""
    [long_title] = alerts_parse("generic", {"title": "z" * 500})
    assert len(long_title.summary) == 200 and long_title.summary.endswith("…")


def test_default_and_datadog_mappings_are_valid():
    assert mapping_errors(DEFAULT_MAPPING) == [] and mapping_errors(DATADOG_MAPPING) == []


@pytest.mark.parametrize(("mapping", "message"), [
    ({"sumary": "title"}, "unknown field 'sumary'"),
    ({"labels": 3}, "'labels' must be a path, an object of name to path"),
    ({"resolved_values": "ok"}, "'resolved_values' must be a list of strings"),
    ({"alerts": ["a"]}, "'alerts' must be a dotted path"),
    ([1], "the field mapping must be a JSON object"),
])
def test_a_wrong_mapping_is_a_parse_error(mapping, message):
    with pytest.raises(ParseError, match=message):
        alerts_parse("generic", {"id": 1}, mapping=mapping)


# Registry: what each kind refuses

@pytest.mark.parametrize(("kind", "payload", "message"), [
    ("alertmanager", [], "Alertmanager sends a JSON object, this is a list"),
    ("alertmanager", {"status": "firing"}, "no 'alerts' list"),
    ("alertmanager", {"alerts": {"a": 1}}, r"no 'alerts' list \(an object instead\)"),
    ("grafana", {"alerts": [{}, 3]}, "Grafana alert #2 is a number"),
    ("zabbix", "PROBLEM", "Zabbix webhook sends a JSON object"),
    ("zabbix", {"foo": 1}, "no Zabbix fields"),
    ("generic", 42, "expected a JSON object or a list of them, got a number"),
    ("generic", [{"id": 1}, None], "alert #2 is null"),
    ("datadog", None, "got null"),
    ("nagios", {}, "unknown alert source 'nagios'"),
    ("icinga", {}, "notification mails"),
])
def test_payload_a_kind_never_sends_is_a_parse_error(kind, payload, message):
    with pytest.raises(ParseError, match=message):
        alerts_parse(kind, payload)


def test_empty_alerts_list_is_no_alerts():
    assert alerts_parse("alertmanager", {"alerts": []}) == []
    assert alerts_parse("generic", []) == []


# Icinga / Nagios mail

@pytest.mark.parametrize(("name", "fingerprint", "status", "summary"), [
    ("icinga2_mail_service_problem_cpu.eml", "host.internal.loc!CPU Load", "firing",
     "CPU Load on host.internal.loc is WARNING"),
    # Subject still says "PROBLEM … is WARNING": the body's type and state decide.
    ("icinga2_mail_service_recovery_cpu.eml", "host.internal.loc!CPU Load", "resolved",
     "CPU Load on host.internal.loc is OK"),
    ("icinga2_mail_host_down.eml", "apn4711.dc.example.com", "firing",
     "apn4711.dc.example.com is DOWN"),
    ("icinga2_mail_host_up.eml", "apn4711.dc.example.com", "resolved",
     "apn4711.dc.example.com is UP"),
    ("icinga2_mail_service_problem_ping_bracket_format.eml", "apn4711.dc.example.com!Ping IPv4",
     "firing", "Ping IPv4 on apn4711.dc.example.com is WARNING"),
    ("icinga2_mail_service_recovery_ping_bracket_format.eml",
     "apn4711.dc.example.com!Ping IPv4", "resolved", "Ping IPv4 on apn4711.dc.example.com is OK"),
])
def test_icinga_mail(name, fingerprint, status, summary):
    alert = icinga(name)
    assert (alert.fingerprint, alert.group_key) == (fingerprint, fingerprint)
    assert (alert.status, alert.summary, alert.source) == (status, summary, "icinga")
    assert_sane(alert)


def test_icinga_pairs_and_separate_services():
    cpu = [icinga(f"icinga2_mail_service_{kind}_cpu.eml") for kind in ("problem", "recovery")]
    host = [icinga(f"icinga2_mail_host_{kind}.eml") for kind in ("down", "up")]
    ping = [icinga(f"icinga2_mail_service_{kind}_ping_bracket_format.eml")
            for kind in ("problem", "recovery")]
    for problem, recovery in (cpu, host, ping):
        assert problem.fingerprint == recovery.fingerprint
        assert (problem.status, recovery.status) == ("firing", "resolved")
    # Same host apn4711: its host check and its Ping service are different alerts.
    assert host[0].fingerprint != ping[0].fingerprint
    assert ping[0].labels == {"host": "apn4711.dc.example.com", "service": "Ping IPv4"}


def test_icinga_mail_details():
    problem = icinga("icinga2_mail_service_problem_cpu.eml")
    assert problem.severity == "warning"
    assert problem.description == "WARNING - load average: 3.44, 0.99, 0.35"
    assert problem.starts_at == datetime(2016, 1, 31, 10, 46, 20, tzinfo=PLUS_1)
    assert "address" not in problem.annotations  # "Address:" is empty in this mail
    recovery = icinga("icinga2_mail_service_recovery_cpu.eml")
    assert recovery.ends_at == datetime(2016, 1, 31, 10, 48, 2, tzinfo=PLUS_1)
    assert recovery.annotations["notification_type"] == "RECOVERY"
    ping = icinga("icinga2_mail_service_problem_ping_bracket_format.eml")
    # Sent without MIME headers: the stray quoted-printable "=3D" is decoded.
    assert ping.description == "PING WARNING - Packet loss = 0%, RTA = 160.57 ms"
    assert ping.annotations["ipv4"] == "127.0.0.1"


@pytest.mark.parametrize(("subject", "body"), [
    ("Printer broken", "Hello, the printer on floor 2 is DOWN and nobody cares."),
    ("[URGENT] web on web-01 is CRITICAL!", "please call me"),
    ("PROBLEM - is it?", "Notification Type: PROBLEM\n"),  # no host
    ("", ""),
    (None, None),
])
def test_mail_that_is_not_an_icinga_notification(subject, body):
    assert parse_icinga_mail(subject, body) is None


def test_nagios_subject_fills_what_the_body_lacks():
    alert = parse_icinga_mail("** RECOVERY Service Alert: db-1/MySQL is OK **",
                              "Notification Type: RECOVERY\nAdditional Info:\n")
    assert (alert.fingerprint, alert.status, alert.summary) == ("db-1!MySQL", "resolved",
                                                                "MySQL on db-1 is OK")


# Times

@pytest.mark.parametrize(("value", "expected"), [
    ("2018-11-04T22:43:58.283995108+01:00", datetime(2018, 11, 4, 22, 43, 58, 283995, PLUS_1)),
    ("2023-06-12T08:24:38.326Z", datetime(2023, 6, 12, 8, 24, 38, 326000, UTC)),
    ("2017-01-14 11:33:02 +0100", datetime(2017, 1, 14, 11, 33, 2, tzinfo=PLUS_1)),
    ("2024-01-01T00:00:00", datetime(2024, 1, 1, tzinfo=UTC)),
    ("0001-01-01T00:00:00Z", None),
    ("1733929712000", datetime(2024, 12, 11, 15, 8, 32, tzinfo=UTC)),
    (1733929712, datetime(2024, 12, 11, 15, 8, 32, tzinfo=UTC)),
    (1733929712000.0, datetime(2024, 12, 11, 15, 8, 32, tzinfo=UTC)),
    (0, None), ("0", None), (None, None), (True, None), ("soon", None), ([1], None),
    (float("nan"), None), (float("inf"), None), (10**30, None), ("9" * 400, None),
    (" " * 100_000 + "x", None),
])
def test_time_parse(value, expected):
    assert time_parse(value) == expected


# Fuzz: any JSON value gives alerts or a ParseError, never another exception.

KEYS = ["alerts", "status", "labels", "annotations", "startsAt", "endsAt", "fingerprint",
        "groupKey", "generatorURL", "title", "state", "alert_uid", "event_id", "host",
        "trigger", "name", "id", "monitor_id", "scopes", "date", "alert_transition", "values",
        "orgId", "severity", "tags", "event", "message", "summary", "description", "url"]
LEAVES = [None, True, False, 0, -1, 2**70, 1.5, float("nan"), float("inf"), "", "x" * 100_000,
          "\ud800", "a\x00b", "0001-01-01T00:00:00Z", "2024-02-30T25:00:00Z", "1733929712000",
          "resolved", "OK", "firing", "Recovered", "javascript:alert(1)", "http://x/y",
          "k:v,k2", "日本語", " \n ", "=3D", [], {}]


def random_json(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth > 4 or roll < 0.45:
        return rng.choice(LEAVES)
    if roll < 0.7:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(KEYS): random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))}


def mutated(rng: random.Random, data):
    """The data with a few of its values swapped for random ones."""
    if isinstance(data, dict) and data:
        key = rng.choice(list(data))
        return {**data, key: mutated(rng, data[key]) if rng.random() < 0.6 else random_json(rng)}
    if isinstance(data, list) and data:
        index = rng.randrange(len(data))
        return [*data[:index], mutated(rng, data[index]), *data[index + 1:]]
    return random_json(rng)


def parse_or_refuse(kind: str, payload, mapping=None) -> None:
    try:
        alerts = alerts_parse(kind, payload, mapping=mapping)
    except ParseError as error:
        assert str(error)
        return
    for alert in alerts:
        assert_sane(alert)


@pytest.mark.parametrize("seed", range(5))
def test_random_json_never_breaks_a_parser(seed):
    rng = random.Random(seed)
    for _ in range(150):
        payload = random_json(rng)
        wrapped = {"alerts": [random_json(rng) for _ in range(3)], "status": random_json(rng)}
        for kind in PARSERS:
            parse_or_refuse(kind, payload)
            parse_or_refuse(kind, wrapped)
        parse_or_refuse("generic", payload, mapping={"alerts": "alerts", "labels": ["tags", {
            "h": "host"}], "fingerprint": ["id", "name"], "event_at": "date"})


@pytest.mark.parametrize("seed", range(5))
def test_mutated_fixtures_never_break_a_parser(seed):
    rng = random.Random(seed)
    samples = [(kind, public(name)) for kind, name in [
        ("alertmanager", "alertmanager_v4_firing_3_alerts_oncall.json"),
        ("alertmanager", "alertmanager_v4_firing_no_per_alert_status.json"),
        ("grafana", "grafana_unified_alerting_webhook_firing.json"),
        ("zabbix", "zabbix_grafana_oncall_script_example.json"),
        ("datadog", "datadog_webhook_triggered.json")]]
    for _ in range(100):
        for kind, payload in samples:
            parse_or_refuse(kind, mutated(rng, mutated(rng, payload)))


@pytest.mark.parametrize("seed", range(3))
def test_random_mail_text_never_breaks_the_icinga_parser(seed):
    rng = random.Random(seed)
    lines = ["Notification Type: PROBLEM", "Notification Type: RECOVERY", "Host: h1",
             "Service: disk on /var", "State: OK", "State:", "When: 2017-09-28 09:41:03 +0200",
             "Date/Time: garbage", "x on h2 is DOWN!", "=3D=20", "Info: " + "y" * 50_000,
             "Address:" + " " * 50_000 + "z", "\ud800\x00", "***** Icinga *****", ""]
    subjects = ["[PROBLEM] a on b is WARNING!", "PROBLEM - b - a is CRITICAL", "Re: hi", ""]
    for _ in range(200):
        body = "\n".join(rng.choice(lines) for _ in range(rng.randint(0, 8)))
        alert = parse_icinga_mail(rng.choice(subjects), body)
        if alert is not None:
            assert_sane(alert)
