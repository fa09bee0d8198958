"""Chart specifications: small pure functions that describe a chart as a JSON-ready dict.

A view builds a spec and renders it with ``{% include "web/_chart.html" with chart=spec %}``.
The include draws the chart (``static/web/charts.js`` with the locally served plotly.js) and,
always, the same numbers as a table with the same links, so the figures can be read without
JavaScript, by a screen reader and by tests.

Every point may carry a URL: clicking the bar, the line's point, the slice or the flow opens the
records behind it (usually a workspace queue with filters, see ``incidents/filters.py``).

Labels, titles and units arrive translated: build specs while the reader's language is active
(in the view). Lazy strings are turned into text here, so the spec is plain JSON.

Shapes::

    bar_chart(title=..., labels=[...], series=[{"name", "values", "links"?, "color"?, "colors"?}],
              unit="", stacked=False, horizontal=False, x_title="", y_title="")
    line_chart(title=..., labels=[periods], series=[...], unit="", target=None, target_label="")
    pie_chart(title=..., labels=[...], values=[...], links=None, colors=None, unit="")
    sankey_chart(title=..., nodes=[labels], links=[{"source", "target", "value", "label"?, "url"?}])

``color`` colours a whole series, ``colors`` each of its points (e.g. one colour per priority).
Use the palettes below so that a colour means the same thing on every page: P1 is red.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.utils.translation import gettext as _

# Priority 1..4: the colours of the priority badges in opsdesk.css (--p1 .. --p4).
PRIORITY_COLOURS = {1: "#b91c1c", 2: "#ea580c", 3: "#1d4ed8", 4: "#64748b"}
# Meaning colours: good, at risk, bad, neutral, and a calm series colour.
TONE_COLOURS = {"ok": "#047857", "warn": "#d97706", "bad": "#b91c1c", "neutral": "#64748b",
                "brand": "#1d4ed8", "muted": "#94a3b8"}
# A qualitative palette for series with no meaning of their own (groups, channels, services).
PALETTE = ["#1d4ed8", "#0f766e", "#7c3aed", "#b45309", "#be185d", "#0369a1", "#4d7c0f",
           "#9f1239", "#475569", "#a16207"]
# Age buckets from fresh to old: light to dark.
AGE_COLOURS = ["#93c5fd", "#3b82f6", "#1d4ed8", "#1e3a8a", "#0f172a"]

_ids = itertools.count(1)


def priority_colour(level: int | None) -> str:
    """The colour of a priority level (1 is red); grey for an unknown level."""
    return PRIORITY_COLOURS.get(level or 0, TONE_COLOURS["neutral"])


def priority_label(level: int, name: str) -> str:
    """"P1 一级" or "P1 Critical": the level, then the name unless it starts with the level."""
    name = str(name)
    return name if name.upper().startswith(f"P{level}") else f"P{level} {name}".strip()


def palette_colour(index: int) -> str:
    """The index-th colour of the qualitative palette, wrapping around."""
    return PALETTE[index % len(PALETTE)]


def bar_chart(*, title, labels: Sequence, series: Sequence[dict], unit: str = "",
              stacked: bool = False, horizontal: bool = False, x_title="", y_title="",
              chart_id: str | None = None) -> dict:
    """A bar chart: one bar per label and series; stacked or grouped; vertical or horizontal."""
    spec = _base("bar", title, labels, unit, x_title, y_title, chart_id)
    spec.update(series=_series(series, len(spec["labels"])), stacked=bool(stacked),
                horizontal=bool(horizontal))
    return spec


def line_chart(*, title, labels: Sequence, series: Sequence[dict], unit: str = "",
               target: float | None = None, target_label="", x_title="", y_title="",
               chart_id: str | None = None) -> dict:
    """A line chart over periods (labels), with an optional horizontal target line."""
    spec = _base("line", title, labels, unit, x_title, y_title, chart_id)
    spec.update(series=_series(series, len(spec["labels"])), target=_number(target),
                target_label=_text(target_label))
    return spec


def pie_chart(*, title, labels: Sequence, values: Sequence, links: Sequence | None = None,
              colors: Sequence | None = None, unit: str = "", chart_id: str | None = None) -> dict:
    """A pie (donut) chart: one slice per label; each slice may link to its records."""
    spec = _base("pie", title, labels, unit, "", "", chart_id)
    count = len(spec["labels"])
    colors = colors if colors is not None else [palette_colour(i) for i in range(count)]
    spec.update(values=_numbers(values, count, "values"),
                links=_links(links, count), colors=_colors(colors, count))
    return spec


def sankey_chart(*, title, nodes: Sequence, links: Iterable[dict], unit: str = "",
                 chart_id: str | None = None) -> dict:
    """A flow graph: nodes and weighted links between them (source and target are node indexes)."""
    spec = _base("sankey", title, nodes, unit, "", "", chart_id)
    spec["nodes"] = spec.pop("labels")
    spec["links"] = [_flow(link, len(spec["nodes"])) for link in links]
    return spec


def chart_rows(spec: dict) -> dict:
    """The chart's numbers as a table: header cells and rows of {text, url} cells."""
    kind = spec["kind"]
    if kind == "pie":
        return _pie_rows(spec)
    if kind == "sankey":
        return _sankey_rows(spec)
    return _series_rows(spec)


def format_value(value, unit: str = "") -> str:
    """A number as the table shows it: whole numbers as they are, others to one decimal."""
    if value is None:
        return "—"
    text = str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


# -- building blocks ------------------------------------------------------------------------------

def _base(kind, title, labels, unit, x_title, y_title, chart_id) -> dict:
    return {"kind": kind, "id": chart_id or f"chart-{next(_ids)}", "title": _text(title),
            "labels": [_text(label) for label in labels], "unit": _text(unit),
            "x_title": _text(x_title), "y_title": _text(y_title),
            "empty_text": _("Nothing to show.")}


def _series(series: Sequence[dict], count: int) -> list[dict]:
    result = []
    for index, item in enumerate(series):
        result.append({
            "name": _text(item.get("name", "")),
            "values": _numbers(item["values"], count, "values"),
            "links": _links(item.get("links"), count),
            "color": item.get("color") or palette_colour(index),
            "colors": _colors(item.get("colors"), count),
        })
    return result


def _flow(link: dict, node_count: int) -> dict:
    source, target = int(link["source"]), int(link["target"])
    if not (0 <= source < node_count and 0 <= target < node_count):
        raise ValueError(f"sankey link {source} → {target} names a node that does not exist")
    return {"source": source, "target": target, "value": _number(link["value"]),
            "label": _text(link.get("label", "")), "url": link.get("url") or None}


def _numbers(values, count: int, what: str) -> list:
    values = [_number(value) for value in values]
    if len(values) != count:
        raise ValueError(f"{what} has {len(values)} items for {count} labels")
    return values


def _number(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | float):
        return round(float(value), 4)
    raise TypeError(f"a chart value must be a number or None, not {type(value).__name__}")


def _links(links, count: int) -> list:
    if links is None:
        return [None] * count
    links = [link or None for link in links]
    if len(links) != count:
        raise ValueError(f"links has {len(links)} items for {count} labels")
    return [str(link) if link else None for link in links]


def _colors(colors, count: int) -> list | None:
    if colors is None:
        return None
    colors = list(colors)
    if len(colors) != count:
        raise ValueError(f"colors has {len(colors)} items for {count} labels")
    return colors


def _text(value) -> str:
    return "" if value is None else str(value)


# -- the table ------------------------------------------------------------------------------------

def _cell(value, unit="", url=None) -> dict:
    return {"text": format_value(value, unit), "url": url}


def _series_rows(spec: dict) -> dict:
    header = [spec["x_title"]] + [item["name"] for item in spec["series"]]
    has_target = spec.get("target") is not None
    if has_target:
        header.append(spec.get("target_label") or "")
    rows = []
    for index, label in enumerate(spec["labels"]):
        cells = [_cell(item["values"][index], spec["unit"], item["links"][index])
                 for item in spec["series"]]
        if has_target:
            cells.append(_cell(spec["target"], spec["unit"]))
        rows.append({"label": label, "cells": cells})
    return {"header": header, "rows": rows}


def _pie_rows(spec: dict) -> dict:
    total = sum(value or 0 for value in spec["values"])
    rows = []
    for label, value, url in zip(spec["labels"], spec["values"], spec["links"], strict=True):
        share = (value or 0) * 100 / total if total else None
        rows.append({"label": label, "cells": [_cell(value, spec["unit"], url), _cell(share, "%")]})
    return {"header": [spec["x_title"], spec["y_title"] or _("Value"), _("Share")], "rows": rows}


def _sankey_rows(spec: dict) -> dict:
    nodes = spec["nodes"]
    rows = [{"label": f"{nodes[link['source']]} → {nodes[link['target']]}",
             "cells": [_cell(link["value"], spec["unit"], link["url"]),
                       {"text": link["label"], "url": None}]}
            for link in spec["links"]]
    return {"header": [_("From → to"), spec["y_title"] or _("Value"), _("Note")], "rows": rows}
