"""The demo company's scheduled reports, kept by the process owner (刘洋, `owner`):

- the monthly service report (PDF, Chinese) for the incident manager and the CIO, on the 1st at
  08:00;
- the KPI table (Excel, English) every Monday at 08:00 for the process owner;
- the open P1 and P2 incidents (CSV, Chinese) every day at 07:00 for the incident manager.

Each counts from its creation, so nothing is mailed for periods before the demo was made. Safe
to run again: a schedule of the same name is left as it is. Call `reports_seed()` after the
role accounts exist.
"""

from opsdesk.accounts.models import User
from opsdesk.reporting.models import ReportSchedule
from opsdesk.reporting.schedules import schedule_create

SCHEDULES = [
    {"name": "月度服务报告（管理层）", "kind": "monthly_report", "frequency": "monthly",
     "day_of_month": 1, "hour": 8, "language": "zh-hans", "format": "pdf",
     "recipients": ["manager", "cio@example.cn"]},
    {"name": "Weekly KPI table", "kind": "kpi_table", "frequency": "weekly", "weekday": 0,
     "hour": 8, "language": "en", "format": "xlsx", "recipients": ["owner"]},
    {"name": "每日未关闭的 P1/P2 事件", "kind": "incident_list", "frequency": "daily", "hour": 7,
     "language": "zh-hans", "format": "csv", "params": "status=open&priority=1&priority=2",
     "recipients": ["manager"]},
]


def reports_seed() -> int:
    """The schedules above for the demo's process owner; returns how many were created."""
    owner = User.objects.filter(username="owner", is_active=True).first()
    if owner is None:
        return 0
    created = 0
    for data in SCHEDULES:
        if not ReportSchedule.objects.filter(name=data["name"]).exists():
            schedule_create(by=owner, data=data)
            created += 1
    return created
