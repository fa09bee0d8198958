"""Demo incidents for the process analysis: P2s that bounce between groups and wait in queues.

The demo's stories (demo/incidents.py) hand back, escalate and pend, but no incident goes back
and forth between two groups, and few are P2. These eight P2 incidents give
/analysis/?priority=2 something to find: the network group's queue is slow to accept, ERP
slowness goes back and forth between applications and the DBAs, a VPN fault between the
network and the server group, one waits for the vendor. They were reported 62 to 88 days ago,
before the oldest of the demo's other stories (60 days), so that ids keep following
registration order; /analysis/'s default period (90 days) holds them.

Everything goes through the real services (incident_create, incident_transition) at the moment
each step happened (time-machine), with notifications muted. Safe to run again: nothing is
added once the first of these incidents exists. Call `analysis_seed()` after the demo
company's people and groups exist, and before `demo_incidents_create`.
"""

from datetime import timedelta

import time_machine
from django.db import transaction
from django.utils import timezone

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.cmdb.models import Service
from opsdesk.incidents.choices import Action, Channel, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.notify import notifications_muted
from opsdesk.incidents.services import incident_create, incident_transition
from opsdesk.reference.models import (Category, Impact, PendingReason, ResolutionCode, Source,
                                      Urgency)

# (days ago, short description, category path, service code,
#  steps: (group, minutes in its queue before it accepts, minutes of work, pend reason, minutes pending))
STORIES = [
    (88, "ERP 月结报表查询超时", "SW.BIZAPP", "ERP",
     [("APP", 25, 50, None, 0), ("DBA", 140, 40, None, 0), ("APP", 35, 30, None, 0),
      ("DBA", 20, 95, None, 0)]),
    (81, "VPN 登录后频繁断开", "NET.VPN", "VPN",
     [("NET", 210, 30, None, 0), ("SYS", 40, 55, None, 0), ("NET", 180, 70, None, 0)]),
    (78, "分公司专线丢包严重", "NET", "NETWORK",
     [("NET", 260, 45, "02", 300), ("NET", 0, 40, None, 0)]),
    (74, "ERP 凭证保存报死锁", "SW.BIZAPP", "ERP",
     [("APP", 30, 40, None, 0), ("DBA", 120, 30, None, 0), ("APP", 25, 60, None, 0)]),
    (70, "无线网络大面积无法认证", "NET.LAN", "NETWORK", [("NET", 190, 80, None, 0)]),
    (66, "OA 审批流附件无法上传", "SW.BIZAPP", "OA",
     [("APP", 40, 35, "01", 150), ("APP", 0, 30, None, 0)]),
    (64, "邮件延迟超过一小时", "SW", "EMAIL", [("SYS", 35, 90, None, 0)]),
    (62, "核心交换机端口频繁翻转", "NET", "NETWORK",
     [("NET", 240, 50, None, 0), ("SYS", 30, 40, None, 0), ("NET", 150, 60, None, 0)]),
]
MARK = STORIES[0][1]  # the first story's text: present once the seed has run


def analysis_seed() -> int:
    """Log and work the eight P2 stories; returns how many incidents it logged (0 if done)."""
    desk = User.objects.filter(username="desk").first()
    requester = User.objects.filter(username="user").first()
    if desk is None or requester is None or Incident.objects.filter(
            short_description=MARK).exists():
        return 0
    with notifications_muted(), transaction.atomic():
        for story in STORIES:
            _tell(story, desk=desk, requester=requester)
    return len(STORIES)


def _tell(story, *, desk: User, requester: User) -> None:
    days, text, category, service, steps = story
    clock = timezone.now() - timedelta(days=days)
    with time_machine.travel(clock, tick=False):
        incident, _created = incident_create(by=desk, channel=Channel.PHONE, data={
            "requester": requester, "short_description": text, "description": text,
            "source": Source.objects.get(pk="01"), "impact": Impact.objects.get(pk=2),
            "urgency": Urgency.objects.get(pk=2),
            "category": Category.objects.filter(path=category).first(),
            "service": Service.objects.filter(code=service).first()})
    clock += timedelta(minutes=10)
    worker = desk
    for group_code, queue, work, reason, pending in steps:
        group = SupportGroup.objects.get(code=group_code)
        if incident.assignment_group_id != group.pk:  # a routing rule may have assigned it
            incident = _act(incident, clock, Action.ASSIGN, worker, assignment_group=group)
        if incident.status == Status.ASSIGNED:
            clock += timedelta(minutes=queue)
            worker = group.members.filter(is_active=True).order_by("username").first()
            incident = _act(incident, clock, Action.ACCEPT, worker)
        clock += timedelta(minutes=work)
        if reason:
            incident = _act(incident, clock, Action.PEND, worker,
                            pending_reason=PendingReason.objects.get(pk=reason))
            clock += timedelta(minutes=pending)
            incident = _act(incident, clock, Action.RESUME, worker)
    incident = _act(incident, clock, Action.RESOLVE, worker, resolution="已处理 / fixed",
                    resolution_code=ResolutionCode.objects.get(pk="01"))
    _act(incident, clock + timedelta(hours=2), Action.CONFIRM, desk)


def _act(incident, at, action, by, **params):
    with time_machine.travel(at, tick=False):
        return incident_transition(incident=incident, action=action, by=by,
                                   channel=Channel.WEB, **params)
