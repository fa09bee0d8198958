"""An article's lifecycle, versions, diff and sanitising."""

import pytest
from django.utils import translation

from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.core.testing.matrix import ALLOW, DENY, check_matrix_complete, matrix_cases
from opsdesk.knowledge import selectors, services
from opsdesk.knowledge.models import Article, ArticleVersion

from .conftest import article_make

ROLES = ("requester", "desk", "engineer", "manager", "owner", "admin")


def test_create_gives_a_number_a_first_version_and_safe_html(org):
    article = services.article_create(by=org.desk, data={
        "title": " VPN drops every 10 minutes ", "body": "Update the **client**.",
        "keywords": "vpn, anyconnect"})
    assert article.number == f"KB{article.pk:06d}"
    assert article.status == "draft" and article.author == org.desk and article.owner == org.desk
    assert article.title == "VPN drops every 10 minutes"
    assert "<strong>client</strong>" in article.body_html
    versions = selectors.article_versions(article=article)
    assert [v.number for v in versions] == [1]
    assert article.working_version == versions[0] and article.published_version is None


@pytest.mark.parametrize("source, gone", [
    ("<script>alert(1)</script>Hi", "<script"),
    ("[click](javascript:alert(1))", "javascript:"),
    ('<a href="https://x.example" onclick="steal()">x</a>', "onclick"),
    ('<img src="x" onerror="steal()">', "onerror"),
    ("<style>body{display:none}</style>", "<style"),
    ('<iframe src="https://evil.example"></iframe>', "<iframe"),
])
def test_body_html_is_sanitised(org, source, gone):
    article = services.article_create(by=org.desk, data={"title": "x", "body": source})
    assert gone not in article.body_html
    assert gone not in ArticleVersion.objects.get(article=article).body_html


def test_bad_input_lists_every_field(org):
    with pytest.raises(InvalidInput) as error:
        services.article_create(by=org.desk, data={"title": "", "type": "essay",
                                                   "visibility": "secret", "owner": org.requester})
    assert set(error.value.errors) == {"title", "type", "visibility", "owner"}
    assert not Article.objects.exists()


def test_known_error_needs_a_workaround(org):
    with pytest.raises(InvalidInput) as error:
        services.article_create(by=org.desk, data={"title": "Outlook freezes",
                                                   "type": "known_error"})
    assert "workaround" in error.value.errors
    article = services.article_create(by=org.desk, data={
        "title": "Outlook freezes", "type": "known_error", "workaround": "Start in safe mode",
        "problem_reference": "PRB0001"})
    assert article.is_known_error and article.problem_reference == "PRB0001"


def test_full_lifecycle_with_reject_and_approve(org):
    article = article_make(org, status="draft")
    services.article_submit(article=article, by=org.desk)
    with pytest.raises(InvalidInput):
        services.article_reject(article=article, by=org.owner, reason=" ")
    article = services.article_reject(article=article, by=org.owner, reason="Add screenshots")
    assert article.status == "draft" and article.review_note == "Add screenshots"
    services.article_submit(article=article, by=org.desk)
    article = services.article_approve(article=article, by=org.owner)
    assert article.status == "published" and article.published_at is not None
    assert article.published_version == article.working_version
    article = services.article_retire(article=article, by=org.owner, reason="Printer replaced")
    assert article.status == "retired"
    with pytest.raises(Conflict):
        services.article_update(article=article, by=org.desk, data={"title": "again"})


def test_a_published_article_keeps_its_text_while_a_new_draft_is_reviewed(org, published):
    article = services.article_update(article=published, by=org.engineer,
                                      data={"title": "Printer prints blank pages (HP M404)",
                                            "body": "Replace the toner, then clean the drum."},
                                      note="drum")
    assert article.status == "published" and article.revision_status == "draft"
    assert article.title == "Printer prints blank pages"  # readers still see v1
    assert article.working_version.number == 2 and article.published_version.number == 1
    article = services.article_submit(article=article, by=org.engineer)
    assert article.revision_status == "review" and article.in_review
    assert [a.pk for a in selectors.review_queue(user=org.owner)] == [article.pk]
    article = services.article_approve(article=article, by=org.owner)
    assert article.title == "Printer prints blank pages (HP M404)"
    assert "drum" in article.body_html and article.published_version.number == 2
    assert article.revision_status == ""


def test_changing_only_the_category_makes_no_version(org, published):
    from opsdesk.reference.models import Category

    category = Category.objects.first()
    article = services.article_update(article=published, by=org.desk, data={"category": category})
    assert article.category == category and article.revision_status == ""
    assert ArticleVersion.objects.filter(article=article).count() == 1


def test_named_reviewer_approves_but_not_their_own_revision(org):
    article = article_make(org, status="review", reviewer=org.engineer)
    with pytest.raises(NotPermitted):
        services.article_approve(article=article, by=org.manager)
    assert [a.pk for a in selectors.review_queue(user=org.engineer)] == [article.pk]
    assert selectors.review_queue(user=org.manager) == []
    services.article_approve(article=article, by=org.engineer)
    own = article_make(org, status="draft", by=org.engineer, reviewer=org.engineer)
    services.article_submit(article=own, by=org.engineer)
    with pytest.raises(NotPermitted):
        services.article_approve(article=own, by=org.engineer)


def test_editing_in_review_sends_it_back_to_draft(org):
    article = article_make(org, status="review")
    article = services.article_update(article=article, by=org.desk, data={"body": "More"})
    assert article.status == "draft"


def test_approving_a_draft_is_a_conflict(org):
    with pytest.raises(Conflict):
        services.article_approve(article=article_make(org), by=org.owner)


WRITE_MATRIX = {
    "create": {"requester": DENY, "desk": ALLOW, "engineer": ALLOW, "manager": ALLOW,
               "owner": ALLOW, "admin": DENY},
    "approve": {"requester": DENY, "desk": DENY, "engineer": DENY, "manager": DENY,
                "owner": ALLOW, "admin": DENY},
    "retire": {"requester": DENY, "desk": ALLOW, "engineer": DENY, "manager": DENY,
               "owner": ALLOW, "admin": DENY},  # the desk agent owns the article
}


def test_write_matrix_is_complete():
    check_matrix_complete(WRITE_MATRIX, actions=WRITE_MATRIX.keys(), roles=ROLES)


@pytest.mark.parametrize("action, role, expected", matrix_cases(WRITE_MATRIX))
def test_write_permissions(org, action, role, expected):
    person = getattr(org, role)
    article = article_make(org, status="review" if action == "approve" else "published")
    run = {
        "create": lambda: services.article_create(by=person, data={"title": "Wi-Fi guest"}),
        "approve": lambda: services.article_approve(article=article, by=person),
        "retire": lambda: services.article_retire(article=article, by=person),
    }[action]
    if expected == ALLOW:
        run()
    else:
        with pytest.raises(NotPermitted):
            run()


# Who reads what: (status, visibility) -> roles that see it. The desk wrote every article.
READ_MATRIX = {
    ("published", "public"): set(ROLES),
    ("published", "internal"): {"desk", "engineer", "manager", "owner", "admin"},
    ("draft", "public"): {"desk", "owner"},
    ("review", "internal"): {"desk", "owner"},
    ("retired", "public"): {"desk", "engineer", "manager", "owner", "admin"},
}


@pytest.mark.parametrize("state", READ_MATRIX)
def test_read_permissions(org, state):
    status, visibility = state
    article = article_make(org, status=status, visibility=visibility)
    for role in ROLES:
        user = getattr(org, role)
        visible = selectors.articles_visible(user).filter(pk=article.pk).exists()
        assert visible == (role in READ_MATRIX[state]), role
        if not visible:
            with pytest.raises(NotFound):
                selectors.article_get(user=user, number=article.number)


def test_named_reviewer_sees_the_draft(org):
    article = article_make(org, status="review", visibility="internal", reviewer=org.engineer)
    assert selectors.article_get(user=org.engineer, number=article.number.lower()) == article


def test_diff_between_versions_is_escaped(org):
    article = article_make(org, body="line one\nline two")
    services.article_update(article=article, by=org.desk,
                            data={"body": "line one\nline <b>2</b>"})
    diff = selectors.version_diff(article=article, old=1, new=2)
    assert "-line two" in diff.unified and "+line <b>2</b>" in diff.unified
    assert "<b>2</b>" not in diff.table and "&lt;b&gt;2&lt;/b&gt;" in diff.table
    lines = selectors.unified_lines(diff)
    assert ("add", "+line &lt;b&gt;2&lt;/b&gt;") in lines
    with pytest.raises(NotFound):
        selectors.version_diff(article=article, old=1, new=9)
    with translation.override("en"), pytest.raises(InvalidInput):
        selectors.version_diff(article=article, old=1, new=1)


def test_versions_are_immutable(org):
    version = ArticleVersion.objects.get(article=article_make(org))
    version.title = "changed"
    with pytest.raises(PermissionError):
        version.save()
    with pytest.raises(PermissionError):
        ArticleVersion.objects.all().update(title="x")
    with pytest.raises(PermissionError):
        ArticleVersion.objects.all().delete()


def test_list_filters_and_text_fallback(org, published, internal):
    from opsdesk.knowledge.selectors import ArticleFilters, article_list

    rows, total = article_list(user=org.requester, filters=ArticleFilters(q="toner"))
    assert [r.pk for r in rows] == [published.pk] and total is None  # ranked: not counted
    rows, total = article_list(user=org.desk, filters=ArticleFilters(visibility="internal"))
    assert [r.pk for r in rows] == [internal.pk]
    rows, total = article_list(user=org.desk, filters=ArticleFilters(q=internal.number))
    assert [r.pk for r in rows] == [internal.pk]


def test_search_finds_published_articles_in_chinese_and_english_only(org):
    from opsdesk.knowledge.selectors import ArticleFilters, article_list

    jam = article_make(org, status="published", title="打印机卡纸的处理方法",
                       body="1. 关闭打印机电源\n2. 打开后盖，慢慢取出卡住的纸张", keywords="卡纸 打印机")
    vpn = article_make(org, status="published", title="VPN cannot connect from home",
                       body="Check that the **AnyConnect** client is up to date.")
    draft = article_make(org, status="draft", title="打印机卡纸 草稿")

    def found(q, user=org.requester):
        return [r.pk for r in article_list(user=user, filters=ArticleFilters(q=q))[0]]

    assert found("打印机卡纸了怎么办") == [jam.pk]
    assert found("cannot connect to the vpn") == [vpn.pk]
    assert draft.pk not in found("打印机卡纸", user=org.owner)  # drafts are not indexed
    services.article_retire(article=jam, by=org.owner)
    assert found("打印机卡纸") == []
    rows, total = article_list(user=org.owner, filters=ArticleFilters(q="草稿", status="draft"))
    assert [r.pk for r in rows] == [draft.pk] and total == 1


def test_a_new_revision_is_searchable_only_once_approved(org, published):
    from opsdesk.knowledge.selectors import ArticleFilters, article_list

    services.article_update(article=published, by=org.desk, data={"body": "Clean the fuser"})
    assert article_list(user=org.requester, filters=ArticleFilters(q="fuser"))[0] == []
    services.article_submit(article=published, by=org.desk)
    services.article_approve(article=published, by=org.owner)
    assert article_list(user=org.requester, filters=ArticleFilters(q="fuser"))[0] == [published]
