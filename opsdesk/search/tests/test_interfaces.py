"""The search API, the search page, the reindex command and the queue's q= filter."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.selectors import IncidentFilters, incident_list
from opsdesk.search.models import IncidentDocument
from opsdesk.search.selectors import incident_search, search_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(org):
    return [
        incident_factory(by=org.desk, requester=org.requester, short_description="3楼打印机卡纸",
                         description="打印机一直卡纸 <script>alert(1)</script>"),
        incident_factory(by=org.desk, requester=org.colleague,
                         short_description="VPN cannot connect from home",
                         description="The VPN client says authentication failed."),
        incident_factory(by=org.desk, requester=org.outsider, short_description="打印机没有墨粉",
                         description="需要更换硒鼓"),
    ]


def test_api_returns_ranked_escaped_hits(api, incidents):
    found = api.desk.get("/search", q="打印机", kind="incidents").json()
    assert [h["title"] for h in found["items"]] == ["打印机没有墨粉", "3楼打印机卡纸"] or \
        sorted(h["title"] for h in found["items"]) == ["3楼打印机卡纸", "打印机没有墨粉"]
    hit = next(h for h in found["items"] if h["title"] == "3楼打印机卡纸")
    assert hit["kind"] == "incidents" and hit["number"].startswith("INC")
    assert hit["url"] == f"/incidents/{hit['number']}/"
    assert "<mark>打印机</mark>" in hit["title_html"]
    assert "&lt;script&gt;" in hit["snippet"] and "<script>" not in hit["snippet"]
    assert found["next_offset"] is None


def test_api_respects_permissions(api, incidents):
    assert [h["title"] for h in api.requester.get("/search", q="打印机").json()["items"]] == [
        "3楼打印机卡纸"]
    assert api.outsider.get("/search", q="vpn").json()["items"] == []
    assert Client().get("/api/v1/search", {"q": "vpn"}).status_code == 401


def test_api_pages_with_next_offset(api, org):
    for n in range(3):
        incident_factory(by=org.desk, short_description=f"Outlook crash {n}")
    first = api.desk.get("/search", q="outlook", limit=2).json()
    assert len(first["items"]) == 2 and first["next_offset"] == 2
    second = api.desk.get("/search", q="outlook", limit=2, offset=2).json()
    assert len(second["items"]) == 1 and second["next_offset"] is None


def test_api_bad_input_is_422_with_field_errors(api, incidents):
    response = api.desk.get("/search", q="", kind="incidents")
    assert response.status_code == 422 and "q" in response.json()["errors"]
    response = api.desk.get("/search", q="vpn", kind="problems")
    assert response.status_code == 422 and "kind" in response.json()["errors"]
    assert api.desk.get("/search", q="vpn", limit=1000).status_code == 422


def test_page_shows_hits_with_snippets(client, org, incidents):
    client.force_login(org.desk)
    response = client.get(reverse("web:search"), {"q": "卡纸"}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>卡纸</mark>" in html and "&lt;script&gt;" in html and "<script>alert" not in html
    assert f'href="/incidents/{incidents[0].number}/"' in html


def test_page_htmx_returns_only_results(client, org, incidents):
    client.force_login(org.requester)
    response = client.get(reverse("web:search"), {"q": "打印机"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<!doctype" not in html and "卡纸" in html and "墨粉" not in html


def test_page_requires_sign_in_and_survives_odd_input(client, org, incidents):
    assert client.get(reverse("web:search"), {"q": "vpn"}).status_code == 302
    client.force_login(org.desk)
    for params in ({"q": "\"'*:<->!"}, {"q": "vpn", "page": "x"}, {"q": "vpn", "kind": "zzz"},
                   {"q": "x" * 5000}, {"q": "vpn", "page": "999999"}):
        assert client.get(reverse("web:search"), params).status_code == 200


def test_queue_filter_uses_the_index(org, incidents):
    rows, _cursor = incident_list(user=org.desk, filters=IncidentFilters(text="打印机"))
    assert {i.short_description for i in rows} == {"3楼打印机卡纸", "打印机没有墨粉"}
    rows, _cursor = incident_list(user=org.requester,
                                  filters=IncidentFilters(text="打印机"))
    assert [i.short_description for i in rows] == ["3楼打印机卡纸"]


def test_reindex_rebuilds_missing_and_changed_documents(org, incidents):
    IncidentDocument.objects.all().delete()
    assert incident_search(user=org.desk, text="vpn") == []
    call_command("search_reindex", "--kind", "incidents", "--batch", "2", verbosity=0)
    assert IncidentDocument.objects.count() == 3
    assert [h.object for h in incident_search(user=org.desk, text="vpn")] == [incidents[1]]


def test_search_query_count_does_not_grow_with_hits(org, django_assert_max_num_queries):
    for n in range(15):
        incident_factory(by=org.desk, short_description=f"打印机故障 {n}")
    # rank, records, public replies for snippets (+ PostgreSQL: the newest document's pk)
    with django_assert_max_num_queries(4):
        hits = incident_search(user=org.desk, text="打印机", limit=15)
    assert len(hits) == 15


def test_index_exists_in_the_database():
    tables = connection.introspection.table_names()
    if connection.vendor == "sqlite":
        assert "search_incidentdocument_fts" in tables
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = "
                           "'search_incidentdocument'")
            assert any("gin" in row[0] for row in cursor.fetchall())


def _article(org, number, title, body, visibility):
    from django.utils import timezone

    from opsdesk.knowledge.models import Article, ArticleDocument
    from opsdesk.search.services import documents_index

    article = Article.objects.create(number=number, title=title, body=body,
                                     body_html=f"<p>{body}</p>", visibility=visibility,
                                     status="published", published_at=timezone.now(),
                                     author=org.desk, owner=org.desk)
    documents_index(document_model=ArticleDocument, targets=[article])
    return article


def test_search_all_merges_articles_the_person_may_read(api, org, incidents):
    _article(org, "KB000901", "打印机卡纸的处理方法", "打开前盖取出卡纸。", "public")
    _article(org, "KB000902", "打印机驱动内部安装说明", "仅限 IT 内部使用。", "internal")
    desk = api.desk.get("/search", q="打印机").json()["items"]
    assert {h["number"] for h in desk if h["kind"] == "articles"} == {"KB000901", "KB000902"}
    assert {h["kind"] for h in desk} == {"incidents", "articles"}
    mine = api.requester.get("/search", q="打印机").json()["items"]
    assert sorted((h["kind"], h["number"] or "") for h in mine)[0] == ("articles", "KB000901")
    assert "KB000902" not in {h["number"] for h in mine}
    only = api.requester.get("/search", q="电脑开不了机怎么办", kind="articles").json()["items"]
    assert only == []


ARTICLES = [
    ("电脑无法开机的排查", "检查电源适配器和指示灯。长按电源键十五秒放电后再开机；仍然不亮请报修。"),
    ("打印机卡纸怎么处理", "打开前盖，取出卡住的纸张，检查硒鼓后重新打印。"),
    ("VPN 连接失败或频繁掉线", "确认密码未过期，重新安装 VPN 客户端；在家时先检查家庭宽带。"),
    ("Outlook 收不到邮件", "检查邮箱空间是否已满，重建 Outlook 配置文件。"),
    ("如何重置域账号密码", "在自助门户验证手机号后重置密码；账号被锁定请联系服务台。"),
    ("Cannot connect to the VPN from home", "Check that your password has not expired and "
     "reinstall the VPN client. Test your home internet connection first."),
    ("Printer shows paper jam", "Open the front cover, remove the jammed paper and print again."),
    ("My laptop is very slow", "Close unused programs, restart, and check free disk space."),
    ("Reset your Windows password", "Use the self-service portal; the desk unlocks accounts."),
]


@pytest.mark.parametrize(("question", "expected"), [
    ("电脑开不了机怎么办", "电脑无法开机的排查"),
    ("打印机老是卡纸", "打印机卡纸怎么处理"),
    ("vpn 总是掉线", "VPN 连接失败或频繁掉线"),
    ("outlook收不到邮件怎么办", "Outlook 收不到邮件"),
    ("忘记密码了怎么重置", "如何重置域账号密码"),
    ("cannot connect to vpn from home", "Cannot connect to the VPN from home"),
    ("the printer says paper is jammed", "Printer shows paper jam"),
    ("why is my laptop so slow?", "My laptop is very slow"),
])
def test_natural_questions_find_the_right_article(org, question, expected):
    for n, (title, body) in enumerate(ARTICLES):
        _article(org, f"KB0009{n:02d}", title, body, "public")
    hits = search_all(org.requester, question, ("articles",), limit=3)
    assert hits and hits[0].label == expected
