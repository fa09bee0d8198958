"""Smoke tests of the benchmarks: the seeding command's data, and a tiny API run over HTTP.

They run on SQLite and on PostgreSQL, in a few seconds; the real figures come from
bench/run.sh on a million incidents (docs/performance.md).
"""

import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import override_settings
from pytest_django.live_server_helper import LiveServer

from bench.api_bench import format_table, main
from bench.loadgen import Result
from opsdesk.accounts.models import User
from opsdesk.audit.verify import incident_chains_verify
from opsdesk.incidents.choices import EventKind, Status
from opsdesk.incidents.models import DailySerial, Incident, IncidentEvent
from opsdesk.incidents.services import incident_create
from opsdesk.reference.models import Category


def _seed(count: int = 200) -> None:
    call_command("seed_incidents", count=count, batch=64, days=30, workers=1, verbosity=0)


@pytest.mark.django_db
def test_seeded_incidents_are_consistent_and_numbering_continues():
    _seed()
    incidents = list(Incident.objects.order_by("id"))
    assert len(incidents) == 200
    # Ids follow registration order, numbers are prefix + local date + serial in that order.
    assert [i.registered_at for i in incidents] == sorted(i.registered_at for i in incidents)
    assert len({i.number for i in incidents}) == 200
    statuses = Counter(i.status for i in incidents)
    assert statuses[Status.CLOSED] > 100 and len(statuses) >= 4
    assert any(i.short_description.isascii() for i in incidents)
    assert any(not i.short_description.isascii() for i in incidents)
    # Every incident has its created event and one transition per status change.
    events = Counter(IncidentEvent.objects.values_list("incident_id", "kind"))
    for incident in incidents:
        assert events[(incident.pk, EventKind.CREATED)] == 1
        if incident.status == Status.CLOSED:
            assert events[(incident.pk, EventKind.TRANSITION)] >= 3
            assert incident.closed_at >= incident.resolved_at >= incident.registered_at
    # Each incident's history is one intact hash chain, its end anchored on the incident row.
    assert list(incident_chains_verify()) == [
        sum(n for (pk, _kind), n in events.items() if pk == incident.pk) for incident in incidents]
    # DailySerial holds the last serial of each day, so incident_create continues after it.
    for serial in DailySerial.objects.all():
        last = f"{serial.prefix}{serial.day:%Y%m%d}{serial.last_value:04d}"
        assert Incident.objects.filter(number=last).exists()
    desk = User.objects.filter(is_service_desk=True).first()
    created, _ = incident_create(by=desk, data={"short_description": "after seeding",
                                                "category": Category.objects.first()})
    assert created.number not in {i.number for i in incidents}


@pytest.mark.django_db
def test_seeding_twice_reuses_the_organisation():
    _seed(50)
    people = User.objects.count()
    _seed(50)
    assert User.objects.count() == people
    assert Incident.objects.values("number").annotate(n=Count("id")).filter(n__gt=1).count() == 0


def test_percentiles_are_nearest_rank():
    result = Result(name="x", clients=1, elapsed=1.0, latencies=[i / 1000 for i in range(1, 101)])
    assert (result.percentile(50), result.percentile(95), result.rate) == (50.0, 95.0, 100.0)
    assert "p95 ms" in format_table([result]) and "| x |" in format_table([result], markdown=True)


@pytest.fixture
def http_server(transactional_db):
    """A live server on loopback for real HTTP requests.

    settings.MEDIA_URL is None (attachments are only served through a permission check), which
    the live server's media handler cannot parse, so it gets a dummy while it starts.
    """
    with override_settings(MEDIA_URL="/media-not-served/"):
        server = LiveServer("localhost")
    yield server
    server.stop()


def test_tiny_benchmark_prints_figures(http_server, capsys, tmp_path):
    _seed()
    figures = tmp_path / "figures.json"
    main(["--tiny", "--url", http_server.url, "--json", str(figures)])
    out = capsys.readouterr().out
    assert "200 incidents" in out and "p95 ms" in out and "first error" not in out
    results = json.loads(figures.read_text())
    names = {r["name"].split(":")[0] for r in results}
    assert {"create", "get", "list", "queue", "my work", "portal"} <= names
    for result in results:
        assert result["requests"] > 0 and result["errors"] == 0, result
        assert 0 < result["p50_ms"] <= result["p95_ms"]
        assert result["name"] in out


def test_tiny_page_benchmark_opens_every_page_as_its_role(http_server, capsys):
    from bench import web_bench

    _seed()
    web_bench.main(["--tiny", "--url", http_server.url])
    out = capsys.readouterr().out
    assert "first error" not in out, out
    for page in web_bench.PAGES:
        assert page.name in out
    assert not User.objects.filter(username__startswith="bench-").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("grouped", [False, True])
def test_a_small_alert_storm_gives_the_incidents_it_should(client, grouped):
    import random

    from bench import alert_storm
    from opsdesk.intake.services.payloads import payloads_sweep

    firing, resolving, groups, resolved = alert_storm.storm(
        alerts=400, fingerprints=40, per_group=5, grouped=grouped, rng=random.Random(3))
    token = alert_storm.integration_create()
    for body, _count in firing + resolving:
        response = client.post(f"/api/v1/intake/alerts/{token}", body,
                               content_type="application/json")
        assert response.status_code == 202
    payloads_sweep()
    lines = alert_storm.verify(posted=len(firing) + len(resolving),
                               alerts=sum(n for _b, n in firing + resolving), fingerprints=40,
                               groups=groups, resolved_groups=resolved)
    assert (groups, resolved) == (8, 3)
    assert all(line.startswith("ok ") for line in lines), lines
