"""The demo articles: written through the services, found by real questions."""

from opsdesk.demo.knowledge import ARTICLES, knowledge_seed
from opsdesk.knowledge.models import Article
from opsdesk.knowledge.selectors import ArticleFilters, article_list


def test_demo_articles_are_published_and_found_by_real_questions(org):
    from opsdesk.core.testing.factories import UserFactory

    UserFactory(username="engineer", is_engineer=True)
    assert knowledge_seed() == len(ARTICLES)
    assert knowledge_seed() == 0  # idempotent
    assert Article.objects.filter(status="review").count() == 1
    assert Article.objects.filter(type="known_error").count() >= 2

    def first(q):
        rows, _total = article_list(user=org.requester, filters=ArticleFilters(q=q))
        return rows[0].title if rows else None

    assert first("打印机卡纸了怎么办") == "打印机卡纸怎么处理"
    assert first("电脑蓝屏了") == "电脑蓝屏怎么办"
    assert first("忘记密码") == "忘记密码：如何自助重置域账号密码"
    assert first("vpn connected but intranet does not open") == \
        "VPN connects but internal sites do not open"
    assert first("projector no signal") == "Projector in a meeting room shows no signal"
    assert first("会议室投影没信号") == "会议室投影仪无信号"
    assert first("共享日历卡死") is None  # an internal known error: not for users
