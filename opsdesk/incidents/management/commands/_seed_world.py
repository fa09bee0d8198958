"""The organisation seed_incidents works in: people, groups, services and the texts they write.

Everything is created only if missing (by username or code), so seeding twice, or on top of
the demo organisation, reuses what is there. Passwords are unusable: nobody signs in as a
seeded person except through an API token made for the benchmark.
"""

import bisect
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from opsdesk.accounts.models import Location, Organisation, SupportGroup, User
from opsdesk.cmdb.models import Service
from opsdesk.reference import defaults
from opsdesk.reference.models import Category, PriorityMatrixCell

REQUESTERS = 2000
DEPARTMENTS = [("FIN", "财务部", "Finance"), ("HR", "人力资源部", "Human Resources"),
               ("SALES", "销售部", "Sales"), ("MKT", "市场部", "Marketing"),
               ("RND", "研发中心", "R&D Centre"), ("PROD", "生产制造部", "Manufacturing"),
               ("PURCH", "采购部", "Procurement"), ("LEGAL", "法务部", "Legal"),
               ("MGMT", "总经理办公室", "Executive Office"), ("IT", "信息技术部", "IT Operations")]
LOCATIONS = [("BJ-HQ", "北京总部", "Beijing HQ"), ("SH", "上海分公司", "Shanghai branch"),
             ("SZ", "深圳研发中心", "Shenzhen R&D"), ("GZ", "广州办事处", "Guangzhou office"),
             ("CD-DC", "成都数据中心", "Chengdu data centre")]
# code, Chinese, English, line, escalates to, members
GROUPS = [("DESK", "服务台", "Service desk", 1, None, 10),
          ("NET-VENDOR", "网络厂商支持", "Network vendor support", 3, None, 4),
          ("ERP-VENDOR", "ERP厂商支持", "ERP vendor support", 3, None, 4),
          ("DB-EXPERT", "数据库专家组", "Database experts", 3, None, 4),
          ("INFRA-EXPERT", "系统架构专家组", "Infrastructure experts", 3, None, 4),
          ("NET", "网络组", "Network", 2, "NET-VENDOR", 12),
          ("DESKTOP", "桌面支持", "Desktop support", 2, "INFRA-EXPERT", 12),
          ("APP", "应用支持", "Application support", 2, "ERP-VENDOR", 12),
          ("DBA", "数据库", "Database administration", 2, "DB-EXPERT", 12),
          ("SYS", "系统运维", "Servers and storage", 2, "INFRA-EXPERT", 12)]
# code, Chinese, English, owner group
SERVICES = [("EMAIL", "邮件系统", "Email", "SYS"), ("ERP", "金蝶ERP", "ERP", "APP"),
            ("OA", "办公自动化", "Office automation", "APP"), ("CRM", "客户管理", "CRM", "APP"),
            ("HRIS", "人事系统", "HR system", "APP"), ("FINSYS", "财务系统", "Finance", "APP"),
            ("MES", "生产执行系统", "MES", "APP"), ("WEB", "公司官网", "Website", "APP"),
            ("VPN", "远程接入", "VPN", "NET"), ("WIFI", "无线网络", "Wi-Fi", "NET"),
            ("LAN", "办公网络", "Office LAN", "NET"), ("INET", "互联网出口", "Internet", "NET"),
            ("AD", "域账号", "Directory", "SYS"), ("FILES", "文件共享", "File shares", "SYS"),
            ("GIT", "代码仓库", "Git hosting", "SYS"), ("PRINT", "打印服务", "Printing", "DESKTOP"),
            ("PC", "终端桌面", "Desktops", "DESKTOP"), ("VIDEO", "视频会议", "Video", "DESKTOP"),
            ("ORACLE", "Oracle数据库", "Oracle", "DBA"), ("MYSQL", "MySQL数据库", "MySQL", "DBA")]
SURNAMES = [("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
            ("杨", "yang"), ("赵", "zhao"), ("黄", "huang"), ("周", "zhou"), ("吴", "wu"),
            ("徐", "xu"), ("孙", "sun"), ("胡", "hu"), ("朱", "zhu"), ("高", "gao"), ("林", "lin")]
GIVEN = [("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
         ("磊", "lei"), ("强", "qiang"), ("洋", "yang"), ("艳", "yan"), ("勇", "yong"),
         ("军", "jun"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"),
         ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("婷", "ting"), ("浩", "hao")]
# category path: (weight, group, services, [(Chinese, English)]); {x} is filled from FILL.
TOPICS = {
    "HW.PC": (10, "DESKTOP", ["PC"], [
        ("电脑无法开机，指示灯不亮", "Laptop does not power on"),
        ("笔记本蓝屏，错误代码 {code}", "Blue screen on laptop, stop code {code}"),
        ("电脑运行非常缓慢", "PC is very slow")]),
    "HW.PRINTER": (7, "DESKTOP", ["PRINT"], [
        ("{floor}楼打印机卡纸", "Printer on floor {floor} jams"),
        ("无法连接网络打印机 {printer}", "Cannot reach network printer {printer}")]),
    "HW.SERVER": (3, "SYS", ["FILES", "EMAIL", "GIT"], [
        ("服务器 {host} 硬盘告警", "Disk alarm on server {host}"),
        ("服务器 {host} 电源模块故障", "Power supply failure on {host}")]),
    "SW.OFFICE": (8, "DESKTOP", ["PC"], [
        ("Excel 打开文件时崩溃", "Excel crashes opening a file"),
        ("Word 无法保存文档", "Word cannot save the document")]),
    "SW.OS": (4, "DESKTOP", ["PC"], [
        ("Windows 更新失败，错误 {code}", "Windows update fails: {code}")]),
    "SW.BIZAPP": (12, "APP", ["ERP", "OA", "CRM", "HRIS", "FINSYS", "MES", "WEB"], [
        ("{app} 登录报错 500", "{app} returns error 500 at login"),
        ("{app} 报表导出超时", "{app} report export times out"),
        ("{app} 审批流程卡住", "{app} approval workflow is stuck")]),
    "NET.LAN": (6, "NET", ["LAN", "WIFI"], [
        ("{floor}楼无线网络信号差", "Weak Wi-Fi on floor {floor}"),
        ("网口不通，无法上网", "Network port dead, no connection")]),
    "NET.VPN": (7, "NET", ["VPN"], [
        ("VPN 无法连接，提示认证失败", "VPN fails: authentication error"),
        ("VPN 连接后频繁掉线", "VPN drops every few minutes")]),
    "NET.INTERNET": (3, "NET", ["INET"], [
        ("无法访问外网", "Cannot reach the internet"),
        ("访问 {site} 非常慢", "{site} is very slow")]),
    "ACCOUNT.PASSWORD": (10, "DESK", ["AD"], [
        ("域账号被锁定，请求解锁", "Domain account locked"),
        ("重置 {app} 密码", "Reset my {app} password")]),
    "ACCOUNT.PERMISSION": (8, "APP", ["AD", "FILES", "ERP"], [
        ("申请 {app} 访问权限", "Request access to {app}"),
        ("申请共享盘 {share} 读写权限", "Request write access to share {share}")]),
    "EMAIL": (8, "SYS", ["EMAIL"], [
        ("Outlook 无法收发邮件", "Outlook cannot send or receive"),
        ("邮箱空间已满", "Mailbox is full"),
        ("会议室预定失败", "Cannot book a meeting room")]),
    "DB": (3, "DBA", ["ORACLE", "MYSQL"], [
        ("数据库 {db} 连接数过高", "Too many connections on {db}"),
        ("{db} 慢查询告警", "Slow query alert on {db}")]),
    "SECURITY.VIRUS": (2, "SYS", ["PC"], [
        ("终端杀毒软件报毒：{virus}", "Antivirus alert: {virus}")]),
    "SECURITY": (2, "SYS", ["EMAIL"], [
        ("收到可疑钓鱼邮件", "Suspicious phishing email received")]),
    "OTHER": (7, "DESK", ["PC", "OA"], [
        ("咨询：如何申请新员工电脑", "How do I order a laptop?"),
        ("视频会议无法共享屏幕", "Cannot share screen in video calls")]),
}
ALERTS = {
    "HW.SERVER": ("SYS", ["FILES", "EMAIL", "GIT"], [
        ("[告警] {host} CPU使用率超过90%", "[ALERT] {host} CPU above 90%"),
        ("[告警] {host} 磁盘剩余空间不足10%", "[ALERT] {host} disk below 10% free")]),
    "DB": ("DBA", ["ORACLE", "MYSQL"], [
        ("[告警] {db} 主从复制延迟", "[ALERT] {db} replication lag")]),
    "NET.LAN": ("NET", ["LAN"], [
        ("[告警] 交换机 {switch} 端口 down", "[ALERT] switch {switch} port down")]),
}
FILL = {"code": ["0x0000007E", "0x000000D1", "0x80070002", "0x800F0922"],
        "floor": ["2", "3", "5", "7", "12"], "printer": ["PRN-3F-01", "PRN-5F-02", "HP-M607"],
        "host": [f"srv-{n:03d}" for n in range(1, 41)], "site": ["GitHub", "钉钉", "飞书"],
        "app": ["ERP", "OA", "CRM", "HR系统", "财务系统", "MES"], "share": ["\\\\fs01\\finance",
        "\\\\fs02\\rnd"], "db": ["ora-prod-01", "mysql-crm", "mysql-mes"],
        "virus": ["Trojan.Win32.Agent", "Worm.Autorun"], "switch": ["sw-core-1", "sw-3f-2"]}
RESOLUTION_TEXTS = {"01": "调整配置后恢复 / Configuration corrected",
                    "02": "安装补丁 / Patch installed", "03": "更换硬件 / Hardware replaced",
                    "04": "重启服务后恢复 / Service restarted",
                    "05": "已重置账号权限 / Account fixed", "06": "指导用户操作 / User advised",
                    "07": "厂商处理完成 / Vendor fixed it", "08": "修复网络 / Network repaired",
                    "09": "数据已修正 / Data corrected", "99": "已处理 / Handled"}


@dataclass
class Topic:
    """A kind of incident: its category, the group that takes it, its services and texts."""

    category: str
    group: str
    services: list[int]
    texts: list[tuple[str, str]]


@dataclass
class World:
    """Ids of everything an incident points at, looked up once before seeding."""

    monitor: tuple[int, int | None]
    requester_ids: list[tuple[int, int | None]]
    requester_cum: list[float]
    desk: list[int]
    groups: dict[str, tuple[int, list[int]]]
    escalation: dict[str, str]
    usernames: dict[int, str]
    locations: list[int]
    topics: tuple[list[Topic], list[int]]
    alert_topics: list[Topic]
    matrix: dict[tuple[int, int], int]
    categories: dict[str, int]
    pending_reasons: list[str] = field(default_factory=lambda: [c for c, *_ in
                                                                  defaults.PENDING_REASONS])
    resolutions: list[tuple[str, str]] = field(
        default_factory=lambda: list(RESOLUTION_TEXTS.items()))

    def requester(self, u: float) -> tuple[int, int | None]:
        """A requester for a uniform draw u: a few people report far more than the rest."""
        return self.requester_ids[bisect.bisect(self.requester_cum, u * self.requester_cum[-1])]

    @property
    def group_code(self) -> dict[int, str]:
        return self._group_code

    def group_members(self, group_id: int) -> list[int]:
        return self.groups[self._group_code[group_id]][1]

    def __post_init__(self):
        self._group_code = {gid: code for code, (gid, _m) in self.groups.items()}


@transaction.atomic
def world_ensure() -> World:
    """Create the missing organisation and return the ids seeding needs."""
    departments = _ensure_coded(Organisation, DEPARTMENTS)
    locations = _ensure_coded(Location, LOCATIONS)
    groups = _ensure_groups()
    services = _ensure_services(groups)
    staff = _ensure_staff(groups, departments["IT"], locations["BJ-HQ"])
    requesters = _ensure_requesters(list(departments.values()), list(locations.values()))
    monitor = _ensure_users([User(username="monitor", display_name="监控系统 / Monitoring",
                                  department_id=departments["IT"])])["monitor"]
    rng = random.Random(7)  # the texts are the same on every run
    return World(
        monitor=(monitor, departments["IT"]), requester_ids=requesters,
        requester_cum=_cumulative([1 / (rank + 1) ** 0.5 for rank in range(len(requesters))]),
        desk=staff["DESK"], groups={code: (gid, staff.get(code, [])) for code, gid in
                                    groups.items()},
        escalation={code: up for code, _zh, _en, _line, up, _n in GROUPS if up},
        usernames=dict(User.objects.filter(is_active=True, support_groups__isnull=False)
                       .values_list("id", "username")),
        locations=list(locations.values()),
        topics=([_topic(path, group, svc, texts, services, rng) for path, (_w, group, svc, texts)
                 in TOPICS.items()], [w for w, *_rest in TOPICS.values()]),
        alert_topics=[_topic(path, group, svc, texts, services, rng)
                      for path, (group, svc, texts) in ALERTS.items()],
        matrix={(c.impact_id, c.urgency_id): c.priority_id
                for c in PriorityMatrixCell.objects.all()},
        categories=dict(Category.objects.values_list("path", "id")),
    )


def _ensure_coded(model, rows) -> dict[str, int]:
    model.objects.bulk_create([model(code=code, name_zh=zh, name_en=en) for code, zh, en in rows],
                              ignore_conflicts=True)
    return dict(model.objects.filter(code__in=[r[0] for r in rows]).values_list("code", "id"))


def _ensure_groups() -> dict[str, int]:
    ids = {}
    for code, zh, en, line, _up, _n in GROUPS:
        group, _created = SupportGroup.objects.get_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "line": line})
        ids[code] = group.pk
    for code, *_names, up, _n in GROUPS:
        if up:
            SupportGroup.objects.filter(pk=ids[code], escalation_group__isnull=True).update(
                escalation_group_id=ids[up])
    return ids


def _ensure_services(groups: dict[str, int]) -> dict[str, int]:
    Service.objects.bulk_create([Service(code=c, name_zh=zh, name_en=en, owner_group_id=groups[g])
                                 for c, zh, en, g in SERVICES], ignore_conflicts=True)
    return dict(Service.objects.filter(code__in=[s[0] for s in SERVICES])
                .values_list("code", "id"))


def _ensure_staff(groups: dict[str, int], department: int, location: int) -> dict[str, list[int]]:
    """desk01…, net01…, dba01…: the people of each group, desk agents flagged as such."""
    people = {}
    for code, _zh, _en, line, _up, members in GROUPS:
        stem = code.lower().replace("-", "")
        users = [User(username=f"{stem}{n:02d}", display_name=_name(n * 7 + line),
                      department_id=department, location_id=location, is_service_desk=line == 1,
                      is_engineer=line > 1) for n in range(1, members + 1)]
        ids = _ensure_users(users)
        through = SupportGroup.members.through
        through.objects.bulk_create([through(supportgroup_id=groups[code], user_id=uid)
                                     for uid in ids.values()], ignore_conflicts=True)
        people[code] = sorted(ids.values())
    _ensure_users([User(username="im01", display_name="陈静", is_incident_manager=True,
                        department_id=department)])
    return people


def _ensure_requesters(departments: list[int], locations: list[int]):
    users = []
    for i in range(REQUESTERS):
        (sur_zh, sur), (giv_zh, giv) = SURNAMES[i % 16], GIVEN[(i // 16) % 20]
        users.append(User(username=f"{sur}.{giv}{i + 1:04d}", display_name=sur_zh + giv_zh,
                          department_id=departments[i % len(departments)],
                          location_id=locations[i % len(locations)]))
    ids = _ensure_users(users)
    departments_of = dict(User.objects.filter(pk__in=ids.values()).values_list("id",
                                                                              "department_id"))
    return [(ids[u.username], departments_of[ids[u.username]]) for u in users]


def _ensure_users(users: list[User]) -> dict[str, int]:
    for user in users:
        user.password = make_password(None)  # unusable, and costs no hashing
        user.email = f"{user.username}@example.cn"
    User.objects.bulk_create(users, ignore_conflicts=True, batch_size=1000)
    return dict(User.objects.filter(username__in=[u.username for u in users])
                .values_list("username", "id"))


def _name(n: int) -> str:
    return SURNAMES[n % 16][0] + GIVEN[(n // 16) % 20][0]


def _topic(path, group, service_codes, templates, services, rng) -> Topic:
    """A topic with 60 concrete texts, 70 % in Chinese, so seeding only picks from a list."""
    texts = []
    for _ in range(60):
        zh, en = rng.choice(templates)
        values = {key: rng.choice(options) for key, options in FILL.items()}
        if rng.random() < 0.7:
            short = zh.format(**values)
            texts.append((short, f"用户反映：{short}。已尝试重启，问题依旧，请尽快处理。"))
        else:
            short = en.format(**values)
            texts.append((short, (f"User reports: {short}. Restarting did not help and work "
                                  "is blocked; please look into it.")))
    return Topic(path, group, [services[c] for c in service_codes], texts)


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out
