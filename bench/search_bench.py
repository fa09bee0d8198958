"""Time search over incidents and knowledge articles, per query class and role.

    DATABASE_URL=postgres://…/opsdesk_search_bench python bench/search_bench.py
        [--seed-incidents N] [--articles 10000] [--rounds 20] [--only TEXT] [--explain]

Uses the incidents already in the database (seed them with `manage.py seed_incidents --count
1000000`, or --seed-incidents N here) and makes sure there are --articles published knowledge
articles (bulk-created with their search documents, in both languages, 70 % public). Then it
runs realistic queries, in Chinese and English, in classes (common and rare words, 2–4 words,
natural questions, one character or a half-typed word, an incident number) as three people:
a desk agent (sees every incident), the busiest engineer (their groups' incidents) and the
requester with the most incidents (their own). Each query is `search_all`, what the API and
the page call: ranking, the records and the highlighted snippets, incidents and articles.

Prints p50/p95/max per class and role, and the throughput of one client. Latency is measured
in-process (no HTTP), after one warm-up round.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

QUERIES = {
    "zh common (1 word)": ["打印机", "重启", "无线网络", "登录", "邮件"],
    "zh rare (1 word)": ["硒鼓", "电源模块", "主从复制", "钓鱼邮件", "共享屏幕"],
    "zh 2-4 words": ["打印机 卡纸", "VPN 认证失败", "ERP 报表 导出 超时", "服务器 硬盘 告警"],
    "zh question": ["电脑开不了机怎么办", "打印机老是卡纸怎么处理", "outlook收不到邮件怎么办",
                    "为什么VPN连上以后总是掉线"],
    "en common (1 word)": ["printer", "vpn", "outlook", "error", "slow"],
    "en rare (1 word)": ["phishing", "replication", "toner", "trojan", "screen"],
    "en 2-4 words": ["printer jams floor", "vpn authentication error", "excel crashes file",
                     "report export times out"],
    "en question": ["cannot connect to vpn from home", "how do I reset my password",
                    "why is my laptop so slow", "outlook does not receive email"],
    "typing (1 char / prefix)": ["打", "慢", "prin", "vp", "outl"],
}
ARTICLE_TOPICS = [
    ("打印机卡纸的处理方法", "打开前盖，取出卡住的纸张，检查硒鼓和定影器，然后重新打印。", "打印机,卡纸"),
    ("VPN 无法连接或认证失败", "确认域账号密码未过期，重新安装 VPN 客户端，在家时检查家庭网络。", "VPN,远程"),
    ("电脑无法开机怎么办", "检查电源适配器和指示灯，长按电源键 15 秒放电后再开机。", "电脑,开机"),
    ("Outlook 收不到邮件", "检查邮箱空间是否已满，重建 Outlook 配置文件，确认网络连接正常。", "邮件,Outlook"),
    ("如何重置域账号密码", "在自助门户验证手机号后重置密码；账号被锁定时请联系服务台解锁。", "密码,账号"),
    ("无线网络信号差的排查", "靠近无线接入点，忘记网络后重新连接，必要时报告楼层和位置。", "无线,Wi-Fi"),
    ("ERP 报表导出超时", "缩小日期范围分批导出，避开月底高峰时段，或使用后台导出任务。", "ERP,报表"),
    ("蓝屏错误代码的含义", "记录 stop code，更新驱动程序，运行内存诊断，必要时重装系统。", "蓝屏,驱动"),
    ("Printer jams: what to do", "Open the front cover, remove the jammed paper, check the toner and "
     "fuser, then print again.", "printer,jam,toner"),
    ("Cannot connect to the VPN from home", "Check that your password has not expired, reinstall "
     "the VPN client and test your home network first.", "vpn,remote,home"),
    ("Reset your domain password", "Use the self-service portal to reset your password; a locked "
     "account is unlocked by the service desk.", "password,account"),
    ("Laptop is very slow", "Close unused programs, restart, check the disk space and let the "
     "antivirus finish its scan.", "laptop,slow,performance"),
    ("Outlook does not send or receive", "Check the mailbox quota, repair the Outlook profile and "
     "confirm the network connection.", "outlook,email"),
    ("Excel crashes when opening a file", "Start Excel in safe mode, disable add-ins and repair "
     "Office from the control panel.", "excel,office,crash"),
    ("Share your screen in video calls", "Allow screen recording in the system settings and "
     "restart the video client.", "video,screen,share"),
    ("Phishing mail: how to report it", "Do not click links; forward the mail as an attachment "
     "to security and delete it.", "phishing,security"),
]
PLACES = ["北京总部", "上海分公司", "深圳研发中心", "广州办事处", "Beijing HQ", "Shanghai", "floor 3",
          "floor 5", "3楼", "5楼", "HP M607", "Windows 11", "macOS", "iPhone", "Android"]


def articles_ensure(count: int, rng: random.Random) -> int:
    """Make sure `count` published benchmark articles exist (KBB…), with their documents."""
    from django.db import transaction
    from django.utils import timezone
    from django.utils.html import escape

    from opsdesk.accounts.models import User
    from opsdesk.knowledge.models import Article, ArticleDocument
    from opsdesk.search.services import documents_index

    existing = Article.objects.filter(number__startswith="KBB").count()
    author = User.objects.filter(is_service_desk=True).order_by("pk").first()
    now = timezone.now()
    for start in range(existing, count, 1000):
        rows = []
        for n in range(start, min(start + 1000, count)):
            title, body, keywords = rng.choice(ARTICLE_TOPICS)
            place = rng.choice(PLACES)
            title = f"{title}（{place}）" if rng.random() < 0.5 else title
            text = f"{body} {place} 第 {n % 97} 版 / revision {n % 89}."
            rows.append(Article(
                number=f"KBB{n:06d}", title=title, body=text,
                body_html=f"<p>{escape(text)}</p>", keywords=keywords,
                language="en" if title.isascii() else "zh-hans",
                visibility="public" if rng.random() < 0.7 else "internal", status="published",
                author=author, owner=author, published_at=now))
        with transaction.atomic():
            made = Article.objects.bulk_create(rows)
            documents_index(document_model=ArticleDocument, targets=made)
    return Article.objects.filter(number__startswith="KBB").count()


def people():
    """(label, user) for the desk agent, the busiest engineer and the busiest requester."""
    from django.db.models import Count

    from opsdesk.accounts.models import User
    from opsdesk.incidents.choices import Channel, Status
    from opsdesk.incidents.models import Incident

    desk = User.objects.filter(is_service_desk=True, is_active=True).order_by("username").first()

    def busiest(column, **conditions):
        row = (Incident.objects.filter(**conditions).exclude(**{f"{column}__isnull": True})
               .values(column).annotate(n=Count("id")).order_by("-n").first())
        return User.objects.get(pk=row[column])

    engineer = busiest("assignee", status=Status.IN_PROGRESS)
    requester = busiest("requester", requester__is_service_desk=False,
                        requester__is_engineer=False, channel__in=[Channel.WEB, Channel.PHONE])
    counts = sorted(Incident.objects.filter(channel__in=[Channel.WEB, Channel.PHONE],
                                            requester__is_service_desk=False,
                                            requester__is_engineer=False)
                    .values_list("requester").annotate(n=Count("id")).values_list("n", "requester"))
    typical = User.objects.get(pk=counts[len(counts) // 2][1])
    return [("desk", desk), ("engineer", engineer), ("busiest requester", requester),
            ("typical requester", typical)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def measure(user, queries: list[str], rounds: int) -> tuple[list[float], int]:
    """Latencies in ms of `rounds` passes over queries (after one warm-up pass); total hits."""
    from opsdesk.search.selectors import search_all

    for q in queries:
        search_all(user, q, limit=21)
    times, hits = [], 0
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            found = search_all(user, q, limit=21)
            times.append((time.perf_counter() - started) * 1000)
            hits += len(found)
    return times, hits


def explain(user, text: str) -> str:
    """EXPLAIN ANALYZE of the incident ranking queries for one query (PostgreSQL)."""
    from django.db import connection

    from opsdesk.incidents.models import Incident
    from opsdesk.search import backends
    from opsdesk.search.models import IncidentDocument
    from opsdesk.search.selectors import _allowed, _keys_where
    from opsdesk.search.text import parse_query

    captured = []
    queryset = Incident.objects.restrict(user)
    keys = _keys_where(queryset, IncidentDocument)
    allowed = None if keys is not None else _allowed(queryset)
    original = connection.cursor

    class Capture:
        def __init__(self):
            self.inner = original()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.inner.close()

        def execute(self, sql, params=None):
            self.inner.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            captured.append("\n".join(row[0] for row in self.inner.fetchall()))
            self.inner.execute(sql, params)  # the real rows, so the same path is followed

        def fetchall(self):
            return self.inner.fetchall()

        def fetchone(self):
            return self.inner.fetchone()

    connection.cursor = Capture
    try:
        backends.match(IncidentDocument, parse_query(text).parts, allowed=allowed, keys=keys)
    finally:
        connection.cursor = original
    return "\n\n".join(captured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-incidents", type=int, default=0,
                        help="Seed this many incidents first (manage.py seed_incidents).")
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", default="", help="Only query classes containing this text.")
    parser.add_argument("--explain", action="store_true",
                        help="Print the plan of each class's first query, as each role.")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL",
                          "postgres://postgres@127.0.0.1:5432/opsdesk_search_bench")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from opsdesk.incidents.models import Incident
    from opsdesk.search.models import IncidentDocument

    if args.seed_incidents:
        call_command("seed_incidents", count=args.seed_incidents)
    articles = articles_ensure(args.articles, random.Random(1)) if args.articles else 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE knowledge_article")
            cursor.execute("ANALYZE knowledge_articledocument")
    incidents = Incident.objects.count()
    documents = IncidentDocument.objects.count()
    print(f"{connection.vendor}: {incidents:,} incidents ({documents:,} documents), "
          f"{articles:,} benchmark articles; {args.rounds} rounds per query\n")
    roles = people()
    print("| query class | role | queries | p50 ms | p95 ms | max ms | hits/query |")
    print("|---|---|---:|---:|---:|---:|---:|")
    all_times = []
    for name, queries in QUERIES.items():
        if args.only and args.only not in name:
            continue
        for label, user in roles:
            times, hits = measure(user, queries, args.rounds)
            all_times.extend(times)
            print(f"| {name} | {label} | {len(times)} | {percentile(times, 50):.1f} | "
                  f"{percentile(times, 95):.1f} | {max(times):.1f} | {hits / len(times):.1f} |",
                  flush=True)
            if args.explain and connection.vendor == "postgresql":
                print(explain(user, queries[0]))
    total = sum(all_times) / 1000
    print(f"\nall: {len(all_times)} queries, p50 {percentile(all_times, 50):.1f} ms, "
          f"p95 {percentile(all_times, 95):.1f} ms; one client: {len(all_times) / total:.0f} "
          f"queries/s")


if __name__ == "__main__":
    main()
