"""@mentions as links in the timeline: escaped text, known people linked, one query a page."""

from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from opsdesk.web.timeline import Entry

TEMPLATE = Template("{% load collab_tags %}{% for e in timeline %}"
                    "<p>{% mention_links e.body %}</p>{% endfor %}")


def entry(body):
    from django.utils import timezone

    return Entry(at=timezone.now(), actor=None, kind="comment", title="", body=body)


def test_known_people_become_links_and_the_rest_is_escaped(org):
    org.manager.display_name = "王经理"
    org.manager.save(update_fields=["display_name"])
    timeline = [entry("<b>@desk</b> call back, mail desk@example.com"),
                entry("请@王经理确认 and @nobody"), entry("no mention here")]
    with CaptureQueriesContext(connection) as queries:
        html = TEMPLATE.render(Context({"timeline": timeline}))
    assert len(queries) == 1
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert '<a class="mention" href="/work/?assignee=desk"' in html
    assert ">@desk</a>" in html and "desk@example.com" in html
    assert ">@王经理</a>确认" in html and "@nobody" in html
    assert html.count('class="mention"') == 2
