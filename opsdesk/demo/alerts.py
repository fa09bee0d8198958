"""The demo's monitoring: a Prometheus integration whose alerts went through the real pipeline."""

from datetime import timedelta

from django.utils import timezone

from opsdesk.incidents.notify import notifications_muted
from opsdesk.intake.models import AlertIntegration, Silence
from opsdesk.intake.parsers.types import NormalizedAlert
from opsdesk.intake.services.alerts import alerts_ingest

INTEGRATION_NAME = "Prometheus (demo)"
# (fingerprint, alertname, host, service, severity, summary, resolved after minutes or None)
ALERTS = [
    ("demo-erp-db01-disk", "DiskAlmostFull", "erp-db01", "ERP", "critical",
     "erp-db01 数据盘使用率 95%", None),
    ("demo-erp-db01-latency", "SlowQueries", "erp-db01", "ERP", "warning",
     "erp-db01 查询延迟 p95 超过 2 s", None),
    ("demo-exch-mbx02-queue", "MailQueueHigh", "exch-mbx02", "EMAIL", "warning",
     "exch-mbx02 邮件队列积压 1,200 封", 25),
]


def demo_alerts_create() -> int:
    """Once: the integration, a maintenance window, and three alerts; returns incidents opened."""
    if AlertIntegration.objects.filter(name=INTEGRATION_NAME).exists():
        return 0
    integration = AlertIntegration(name=INTEGRATION_NAME, kind=AlertIntegration.Kind.ALERTMANAGER,
                                   group_by="service")
    integration.token_new()  # the administrator shows a usable URL with "New token"
    integration.save()
    now = timezone.now()
    Silence.objects.create(
        kind=Silence.Kind.MAINTENANCE, integration=integration,
        matchers=[["service", "=", "OA"]], starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=4), comment="OA 升级维护窗口 / OA upgrade")
    opened = 0
    with notifications_muted():
        for alert in _alerts(now):
            opened += sum(1 for o in alerts_ingest(integration=integration, alerts=[alert])
                          if o.opened)
    return opened


def _alerts(now) -> list[NormalizedAlert]:
    started = now - timedelta(hours=1)
    alerts = []
    for fingerprint, name, host, service, severity, summary, resolved_after in ALERTS:
        labels = {"alertname": name, "host": host, "service": service, "severity": severity}
        common = dict(source="alertmanager", fingerprint=fingerprint, summary=summary,
                      severity=severity, labels=labels, starts_at=started,
                      generator_url=f"http://prometheus.example.internal/graph?g0.expr={name}")
        alerts.append(NormalizedAlert(status="firing", **common))
        if resolved_after:
            alerts.append(NormalizedAlert(status="resolved",
                                          ends_at=started + timedelta(minutes=resolved_after),
                                          **common))
    return alerts
