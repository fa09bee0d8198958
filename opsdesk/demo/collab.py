"""The demo company's collaboration: tasks for other groups on open incidents, a work note that
@mentions the desk, and last night's shift handover of the network group.

Everything goes through opsdesk.collab's services, with notifications muted (the demo's
stories happened in the past). Safe to run again: nothing is added once the demo has tasks.
Call `collab_seed()` after the incidents exist (after `demo_incidents_create`).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.collab.models import Handover, IncidentTask
from opsdesk.collab.services import handover_create, task_create, task_transition
from opsdesk.incidents.choices import OPEN_STATUSES, Visibility
from opsdesk.incidents.models import Incident
from opsdesk.incidents.notify import notifications_muted
from opsdesk.incidents.services import comment_create

# (group that works the incident, task title, group asked, hours until due (None: no due time;
#  negative: overdue), mandatory, "start" / "complete" / "")
TASKS = [
    ("NET", "核查防火墙策略变更记录", "SYS", 4, True, "start"),
    ("NET", "联系运营商确认专线质量", "NET-VENDOR", -2, True, ""),
    ("APP", "导出 ERP 应用日志供分析", "DBA", 8, False, "complete"),
    ("DESKTOP", "现场更换故障显示器", "DESKTOP", None, False, ""),
]


def collab_seed() -> int:
    """A few tasks, one work note with a mention and one handover; returns the tasks created."""
    if IncidentTask.objects.exists() or Handover.objects.exists():
        return 0
    manager = User.objects.filter(username="manager").first()
    engineer = User.objects.filter(username="engineer").first()
    if manager is None or engineer is None:
        return 0
    created = 0
    with notifications_muted(), transaction.atomic():
        for group_code, title, asked_code, hours, mandatory, then in TASKS:
            incident = _open_incident(group_code)
            if incident is None:
                continue
            task = task_create(incident=incident, by=manager, data={
                "title": title, "group": SupportGroup.objects.get(code=asked_code),
                "mandatory": mandatory, "description": "",
                "due_at": timezone.now() + timedelta(hours=hours) if hours and hours > 0
                else None})
            if hours is not None and hours < 0:  # an overdue task for the demo's red badge
                IncidentTask.objects.filter(pk=task.pk).update(
                    due_at=timezone.now() + timedelta(hours=hours))
            _work(task, then)
            created += 1
        _mention_and_handover(engineer)
    return created


def _open_incident(group_code: str):
    return (Incident.objects.filter(assignment_group__code=group_code, status__in=OPEN_STATUSES)
            .exclude(tasks__isnull=False).order_by("-registered_at").first())


def _work(task, then: str) -> None:
    member = task.group.members.filter(is_active=True).order_by("pk").first()
    if not then or member is None:
        return
    task_transition(task=task, action="start", by=member)
    if then == "complete":
        task_transition(task=task, action="complete", by=member, note="日志已上传到共享目录")


def _mention_and_handover(engineer) -> None:
    incident = _open_incident("NET")
    if incident is None:
        return
    comment_create(incident=incident, by=engineer, visibility=Visibility.INTERNAL,
                   body="@desk 请回访用户确认断网时间段，@manager 如影响扩大请评估是否升级为重大事件。")
    net = SupportGroup.objects.get(code="NET")
    open_ones = list(Incident.objects.filter(assignment_group=net, status__in=OPEN_STATUSES)
                     .order_by("priority_id", "registered_at")[:5])
    handover_create(by=engineer, data={
        "shift_date": timezone.localdate() - timedelta(days=1), "shift_label": "夜班",
        "from_group": net, "to_group": net, "to_label": "白班",
        "summary": "夜间核心交换机告警两次，已自动恢复；专线抖动仍在跟进，运营商工单见备注。",
        "items": [{"incident": i, "note": "等待运营商回复" if n == 0 else ""}
                  for n, i in enumerate(open_ones)]})
