"""Chart specs (web/charts.py) and their include: the numbers table always renders, with links."""

import json
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy

from opsdesk.web import charts


def render(template_text, **context):
    request = RequestFactory().get("/")
    return Template("{% load i18n %}" + template_text).render(Context({"request": request,
                                                                        **context}))


def spec_of(html, chart_id):
    found = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_bar_chart_renders_table_with_links_and_json_spec():
    spec = charts.bar_chart(
        title="Open incidents by priority", labels=["P1", "P2", "P3"], x_title="Priority",
        series=[{"name": "Open", "values": [2, 0, 5],
                 "links": ["/work/open/?priority=1", None, "/work/open/?priority=3"],
                 "colors": [charts.priority_colour(1), charts.priority_colour(2),
                            charts.priority_colour(3)]}])
    html = render('{% include "web/_chart.html" with chart=spec %}', spec=spec)
    assert "<figure" in html and "Open incidents by priority" in html
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', html)
    assert [label for label, _ in rows] == ["P1", "P2", "P3"]
    assert '<a href="/work/open/?priority=1">2</a>' in rows[0][1]
    assert ">0</td>" in rows[1][1] and "<a " not in rows[1][1]
    data = spec_of(html, spec["id"])
    assert data["series"][0]["values"] == [2, 0, 5]
    assert data["series"][0]["colors"][0] == "#b91c1c"  # P1 is red


def test_scripts_load_once_per_page_with_defer_and_no_inline_code():
    one = charts.pie_chart(title="By channel", labels=["Phone", "Email"], values=[3, 1])
    two = charts.pie_chart(title="By channel again", labels=["Phone"], values=[3])
    html = render('{% include "web/_chart.html" with chart=one %}'
                  '{% include "web/_chart.html" with chart=two %}', one=one, two=two)
    assert html.count("vendor/plotly.min.js") == 1 and html.count("web/charts.js") == 1
    assert '<script src="/static/vendor/plotly.min.js" defer></script>' in html
    scripts = re.findall(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", html, re.S)
    # every script is either a file or a JSON data block: no inline code
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs, _ in scripts)
    assert "http://" not in html and "https://" not in html  # no CDN


def test_pie_table_gives_values_and_shares():
    spec = charts.pie_chart(title="By channel", labels=["Phone", "Email"], values=[3, 1],
                            links=["/work/all/?source=01", "/work/all/?source=02"])
    with translation.override("en"):
        table = charts.chart_rows(spec)
    assert table["rows"][0] == {"label": "Phone", "cells": [
        {"text": "3", "url": "/work/all/?source=01"}, {"text": "75%", "url": None}]}
    assert table["rows"][1]["cells"][1]["text"] == "25%"


def test_line_chart_with_target_shows_target_column():
    spec = charts.line_chart(title="Resolved on time", labels=["2026-01", "2026-02"], unit="%",
                             series=[{"name": "Rate", "values": [91.25, None]}],
                             target=95, target_label="Target")
    table = charts.chart_rows(spec)
    assert table["header"] == ["", "Rate", "Target"]
    assert [cell["text"] for cell in table["rows"][0]["cells"]] == ["91.2%", "95%"]
    assert table["rows"][1]["cells"][0]["text"] == "—"  # nothing counted that month


def test_sankey_rows_name_both_ends():
    spec = charts.sankey_chart(title="Paths", nodes=["Logged", "Assigned", "Resolved"],
                               links=[{"source": 0, "target": 1, "value": 4, "url": "/a"},
                                      {"source": 1, "target": 2, "value": 3, "label": "2.5 h"}])
    rows = charts.chart_rows(spec)["rows"]
    assert rows[0]["label"] == "Logged → Assigned" and rows[0]["cells"][0]["url"] == "/a"
    assert rows[1]["cells"][1]["text"] == "2.5 h"


def test_lazy_labels_follow_the_active_language():
    with translation.override("zh-hans"):
        spec = charts.bar_chart(title=gettext_lazy("Open"), labels=[gettext_lazy("Total")],
                                series=[{"name": gettext_lazy("Open"), "values": [1]}])
    json.dumps(spec)  # plain JSON, no lazy objects
    assert spec["title"] != "Open" and spec["series"][0]["name"] == spec["title"]


def test_wrong_shapes_are_refused():
    with pytest.raises(ValueError):
        charts.bar_chart(title="x", labels=["a", "b"], series=[{"name": "n", "values": [1]}])
    with pytest.raises(ValueError):
        charts.sankey_chart(title="x", nodes=["a"], links=[{"source": 0, "target": 3, "value": 1}])
    with pytest.raises(TypeError):
        charts.pie_chart(title="x", labels=["a"], values=["many"])


def test_empty_chart_says_so():
    spec = charts.bar_chart(title="Nothing", labels=[], series=[{"name": "n", "values": []}])
    with translation.override("en"):
        html = render('{% include "web/_chart.html" with chart=spec %}', spec=spec)
    assert "Nothing to show." in html


def test_labels_are_escaped():
    spec = charts.bar_chart(title="<b>t</b>", labels=["<script>alert(1)</script>"],
                            series=[{"name": "n", "values": [1]}])
    html = render('{% include "web/_chart.html" with chart=spec %}', spec=spec)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_priority_label_names_the_level_once():
    assert charts.priority_label(1, "一级") == "P1 一级"
    assert charts.priority_label(1, "P1 Critical") == "P1 Critical"
