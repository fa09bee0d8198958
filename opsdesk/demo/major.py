"""The demo company's major incident: the ERP is down for everyone this morning.

The master was reported by the desk, declared by the incident manager, about twenty employees
reported the same outage (their incidents are the children) and a few more said "affects me
too" in the portal; two status updates went out. Everything goes through opsdesk.major's
services, with notifications muted (the story happened before the demo started). Also the
process owner's default rules (P1 declares, impact 1 proposes, 5 on one service in 15 minutes
proposes, 10 affected people raise the impact). Safe to run again: nothing is added once a
major incident exists. Call `major_seed()` after the people, groups and services exist.
"""

from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.cmdb.models import Service
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.notify import notifications_muted
from opsdesk.incidents.services import incident_create
from opsdesk.major.affected import affected_attach
from opsdesk.major.criteria import criteria_replace
from opsdesk.major.models import MajorCriteria, MajorIncident
from opsdesk.major.services import major_children_link, major_declare, major_update_post
from opsdesk.reference.models import Impact, Priority, Urgency

CHILDREN = 20
UPDATES = [
    (True, "ERP 无法登录，已确认为数据库主库故障，正在切换到备库。下次更新 30 分钟内。"),
    (False, "DBA 已介入，备库同步延迟约 2 分钟，切换前需确认数据一致性。"),
    (True, "备库切换进行中，预计 20 分钟内恢复登录。请勿重复提交单据。"),
]


def major_seed() -> int:
    """The rules and one declared major incident with its children; returns children linked."""
    if MajorIncident.objects.exists():
        return 0
    desk = User.objects.filter(username="desk").first()
    manager = User.objects.filter(username="manager").first()
    owner = User.objects.filter(is_process_owner=True, is_active=True).order_by("pk").first()
    erp = Service.objects.filter(code="ERP").first()
    if desk is None or manager is None:
        return 0
    with notifications_muted(), transaction.atomic():
        master = _report(desk, desk, erp, "ERP 系统无法登录（全员） / ERP login fails for everyone",
                         impact=1, urgency=1)
        major = major_declare(incident=master, by=manager, reason="ERP 全员不可用",
                              stakeholders=[owner] if owner else None,
                              services=[erp] if erp else None)
        reporters = list(User.objects.filter(is_active=True, is_service_desk=False,
                                             is_engineer=False, is_incident_manager=False)
                         .exclude(username__in=["monitoring"]).order_by("username"))
        children = [_report(desk, reporters[n % len(reporters)], erp,
                            "ERP 登录报错 / ERP login error") for n in range(CHILDREN)]
        major_children_link(major=major, by=manager, children=children)
        for is_public, text in UPDATES:
            major_update_post(major=major, by=manager, text=text, is_public=is_public)
        for person in reporters[CHILDREN:CHILDREN + 5]:
            affected_attach(incident=master, user=person)
        if owner is not None and not MajorCriteria.objects.exists():  # after the story
            _rules(owner)
    return len(children)


def _report(desk, requester, service, text, *, impact=3, urgency=2):
    data = {"requester": requester, "short_description": text, "description": text,
            "impact": Impact.objects.get(pk=impact), "urgency": Urgency.objects.get(pk=urgency)}
    if service is not None:
        data["service"] = service
    incident, _created = incident_create(by=desk, data=data, channel=Channel.PHONE)
    return incident


def _rules(owner) -> None:
    criteria_replace(by=owner, rules=[
        {"kind": "priority", "action": "declare", "priority": Priority.objects.get(pk=1),
         "cadence_minutes": 30},
        {"kind": "impact", "action": "propose", "impact": Impact.objects.get(pk=1),
         "cadence_minutes": 30},
        {"kind": "cluster", "action": "propose", "count": 5, "window_minutes": 15,
         "cadence_minutes": 60},
        {"kind": "affected", "action": "propose", "count": 10,
         "impact": Impact.objects.get(pk=2), "cadence_minutes": 60},
    ])
