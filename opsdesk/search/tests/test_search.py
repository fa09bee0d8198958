"""Search over incidents: Chinese and English, ranking, permissions, freshness, fallbacks."""

import pytest

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Action, Visibility
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import comment_create, incident_transition, incident_update
from opsdesk.reference.models import ResolutionCode
from opsdesk.search.models import IncidentDocument
from opsdesk.search.selectors import incident_search, matching_ids, search

pytestmark = pytest.mark.django_db


def numbers(hits):
    return [hit.object.short_description for hit in hits]


@pytest.fixture
def incidents(org):
    texts = [
        ("3楼打印机卡纸", "打印机一直卡纸，换了纸也不行。"),
        ("电脑无法开机，指示灯不亮", "早上来按电源键没反应，笔记本指示灯不亮。"),
        ("VPN 无法连接，提示认证失败", "在家连接公司 VPN 时提示认证失败，密码刚改过。"),
        ("Outlook cannot send or receive", "Since this morning Outlook shows disconnected."),
        ("Printers on floor 5 are offline", "Nobody on floor 5 can print to the network printers."),
        ("ERP 报表导出非常慢", "月底导出财务报表要等十分钟。"),
    ]
    return {short: incident_factory(by=org.desk, requester=org.requester, short_description=short,
                                    description=description) for short, description in texts}


def desk_search(org, text, **kwargs):
    return numbers(incident_search(user=org.desk, text=text, **kwargs))


def test_chinese_words_find_incidents(org, incidents):
    assert desk_search(org, "打印机") == ["3楼打印机卡纸"]
    assert desk_search(org, "卡纸") == ["3楼打印机卡纸"]
    assert desk_search(org, "认证失败") == ["VPN 无法连接，提示认证失败"]
    assert desk_search(org, "报表 导出") == ["ERP 报表导出非常慢"]


def test_one_chinese_character_matches_as_prefix(org, incidents):
    assert desk_search(org, "慢") == ["ERP 报表导出非常慢"]


def test_chinese_phrase_must_be_adjacent(org, incidents):
    # 印机 and 打印 both occur, but "机打" is not a run of any text.
    assert desk_search(org, "机打") == []


def test_english_stems_and_prefix_while_typing(org, incidents):
    assert desk_search(org, "printer") == ["Printers on floor 5 are offline"]
    assert desk_search(org, "print") == ["Printers on floor 5 are offline"]
    assert desk_search(org, "outl") == ["Outlook cannot send or receive"]
    assert desk_search(org, "OUTLOOK receiving") == ["Outlook cannot send or receive"]


def test_full_width_text_is_normalised(org, incidents):
    assert desk_search(org, "ｖｐｎ") == ["VPN 无法连接，提示认证失败"]


def test_natural_question_falls_back_to_best_partial_match(org, incidents):
    assert desk_search(org, "电脑开不了机怎么办")[0] == "电脑无法开机，指示灯不亮"
    assert desk_search(org, "cannot connect to vpn from home")[0] == "VPN 无法连接，提示认证失败"


def test_title_match_ranks_above_body_match(org):
    body = incident_factory(by=org.desk, short_description="邮件系统很慢",
                            description="同事说打印机也坏了")
    title = incident_factory(by=org.desk, short_description="打印机坏了",
                             description="请尽快处理")
    assert [h.object for h in incident_search(user=org.desk, text="打印机")] == [title, body]


def test_requester_sees_only_own_matches(org, incidents):
    other = incident_factory(by=org.colleague, short_description="打印机没有墨粉了")
    assert sorted(desk_search(org, "打印机")) == ["3楼打印机卡纸", "打印机没有墨粉了"]
    assert numbers(incident_search(user=org.colleague, text="打印机")) == ["打印机没有墨粉了"]
    assert numbers(incident_search(user=org.requester, text="打印机")) == ["3楼打印机卡纸"]
    assert numbers(incident_search(user=org.outsider, text="打印机")) == []
    assert other.pk not in matching_ids(Incident.objects.restrict(org.requester),
                                        IncidentDocument, "打印机")


def test_restricted_results_are_not_a_filtered_global_top_k(org):
    mine = incident_factory(by=org.requester, short_description="打印机坏了")
    for n in range(30):
        incident_factory(by=org.colleague, short_description=f"打印机坏了 {n}")
    assert [h.object for h in incident_search(user=org.requester, text="打印机", limit=5)] == [mine]


def test_index_follows_update_resolution_and_public_replies(org, incidents):
    incident = incidents["3楼打印机卡纸"]
    incident_update(incident=incident, by=org.desk, data={"description": "硒鼓漏粉"})
    assert desk_search(org, "硒鼓") == ["3楼打印机卡纸"]
    assert desk_search(org, "换了纸") == []
    comment_create(incident=incident, by=org.desk, body="请把型号发给我们 toner", visibility=Visibility.PUBLIC)
    comment_create(incident=incident, by=org.desk, body="内部备注 secretword",
                   visibility=Visibility.INTERNAL)
    assert desk_search(org, "toner") == ["3楼打印机卡纸"]
    assert desk_search(org, "secretword") == []
    incident_transition(incident=incident, action=Action.RESOLVE, by=org.desk,
                        resolution="更换了定影器 fuser", resolution_code=ResolutionCode.objects.first())
    assert desk_search(org, "定影器") == ["3楼打印机卡纸"]
    assert desk_search(org, "fuser") == ["3楼打印机卡纸"]
    assert desk_search(org, "toner") == ["3楼打印机卡纸"]


def test_number_finds_the_incident(org, incidents):
    incident = incidents["3楼打印机卡纸"]
    incident.refresh_from_db()
    assert desk_search(org, incident.number.lower()) == ["3楼打印机卡纸"]
    assert numbers(incident_search(user=org.outsider, text=incident.number)) == []


def test_snippets_mark_hits_and_escape_html(org):
    incident_factory(by=org.desk, short_description="<script>alert(1)</script> 打印机",
                     description="前面很多字。" * 40 + "这台打印机<b>卡纸</b>了。" + "后面很多字。" * 40)
    hit = incident_search(user=org.desk, text="打印机")[0]
    assert "<script>" not in hit.title and "&lt;script&gt;" in hit.title
    assert "<mark>打印机</mark>" in hit.title
    assert "<mark>打印机</mark>&lt;b&gt;" in hit.snippet
    assert len(hit.snippet) < 400


def test_paging(org):
    made = [incident_factory(by=org.desk, short_description=f"VPN slow {n}") for n in range(5)]
    first = incident_search(user=org.desk, text="vpn", limit=3)
    second = incident_search(user=org.desk, text="vpn", limit=3, offset=3)
    assert len(first) == 3 and len(second) == 2
    assert {h.object for h in first + second} == set(made)


def test_empty_and_punctuation_queries_find_nothing(org, incidents):
    assert desk_search(org, "") == []
    assert desk_search(org, "\"' * OR AND ( ) : <-> !") == []
    assert desk_search(org, "怎么办") == []


def test_generic_search_takes_any_queryset(org, incidents):
    qs = Incident.objects.filter(short_description__startswith="3楼")
    assert [h.object.short_description for h in search(qs, IncidentDocument, "打印机 OR")] == [
        "3楼打印机卡纸"]
