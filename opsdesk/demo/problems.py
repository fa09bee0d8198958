"""The demo company's problems: the VPN keeps dropping (under investigation, raised from the
VPN incidents) and the 3rd-floor printer jams (a known error whose workaround is a published
known-error article), plus one candidate scan so the manager finds candidates waiting.

Everything goes through opsdesk.problems' services, with notifications muted. Safe to run
again: nothing is added once a problem exists. Call `problems_seed()` after the incidents and
the knowledge base exist (the articles' process owner approves the known error).
"""

from django.db import transaction

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.incidents.models import Incident
from opsdesk.incidents.notify import notifications_muted
from opsdesk.problems import services
from opsdesk.problems.models import Problem

LINKED = 4  # incidents linked to each demo problem


def problems_seed() -> int:
    """Raise the demo problems and run one candidate scan; returns how many problems."""
    if Problem.objects.exists():
        return 0
    manager = User.objects.filter(username="manager").first()
    owner = User.objects.filter(username="owner").first()
    engineer = User.objects.filter(username="engineer").first()
    if manager is None or owner is None or engineer is None:
        return 0
    with notifications_muted(), transaction.atomic():
        created = _vpn(manager=manager, engineer=engineer) + _printer(manager=manager,
                                                                       owner=owner)
    services.candidates_scan(force=True)
    return created


def _incidents(service_code: str) -> list[Incident]:
    return list(Incident.objects.filter(service__code=service_code, nature_id="01")
                .order_by("-registered_at")[:LINKED])


def _vpn(*, manager, engineer) -> int:
    incidents = _incidents("VPN")
    problem = services.problem_raise(by=manager, incidents=incidents, data={
        "short_description": "VPN 连接频繁断开 / VPN drops every hour",
        "description": "多名远程办公用户反馈 VPN 约每小时断开一次，需重新登录。\n"
                       "Remote users lose the VPN tunnel about once an hour.",
        "owner_group": SupportGroup.objects.filter(code="NET").first(),
        "assignee": engineer})
    services.problem_transition(problem=problem, action="investigate", by=engineer)
    services.problem_update(problem=problem, by=engineer, data={
        "root_cause": "疑似防火墙 fw01 的 UDP 会话超时（3600 秒）短于 VPN 隧道保活间隔。"})
    return 1


def _printer(*, manager, owner) -> int:
    incidents = _incidents("PRINT")
    problem = services.problem_raise(by=manager, incidents=incidents, data={
        "short_description": "3 楼彩色打印机反复卡纸 / The 3rd-floor colour printer keeps jamming",
        "owner_group": SupportGroup.objects.filter(code="DESKTOP").first()})
    services.problem_transition(
        problem=problem, action="known_error", by=owner,
        root_cause="定影组件的搓纸轮磨损，厂商备件预计两周到货。",
        workaround="使用纸盒 2（手动进纸），每次不超过 50 张；打印厚纸请改用 2 楼打印机。")
    return 1
