"""Small static SVG charts for the printed monthly report (a PDF runs no JavaScript).

Two shapes: a line over months with an optional dashed target line, and horizontal bars. Every
text is escaped; the numbers are also in the tables beside each chart, so the charts add the
picture, never information of their own.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = ("'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', "
        "sans-serif")
LINE_COLOUR = "#1d4ed8"
TARGET_COLOUR = "#047857"
BAR_COLOUR = "#1d4ed8"
AXIS_COLOUR = "#94a3b8"
TEXT_COLOUR = "#334155"


def _number(value: float, unit: str = "") -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"
    return f"{text}{' %' if unit == '%' else ''}"


def line_svg(*, title: str, labels: list[str], values: list[float | None],
             target: float | None = None, unit: str = "", width: int = 330,
             height: int = 150) -> SafeString:
    """A line over the labels (months); gaps where a value is None; the target dashed."""
    left, right, top, bottom = 34, 20, 22, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [v for v in values if v is not None] + ([target] if target is not None else [])
    high = max(known, default=1.0)
    low = min(known + [0.0])
    if unit == "%":
        low, high = min(low, 0.0), max(high, 100.0)
    span = (high - low) or 1.0

    def x(i: int) -> float:
        return left + (plot_w * i / max(len(labels) - 1, 1))

    def y(v: float) -> float:
        return top + plot_h - (v - low) / span * plot_h

    parts = [_open(width, height, title),
             (f'<text x="{left}" y="14" font-size="10" font-weight="bold" '
              f'fill="{TEXT_COLOUR}">{escape(title)}</text>'),
             (f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
              f'stroke="{AXIS_COLOUR}" stroke-width="0.8"/>'),
             _y_label(left, y(high), _number(high, unit)),
             _y_label(left, y(low), _number(low, unit))]
    if target is not None:
        parts.append(f'<line x1="{left}" y1="{y(target):.1f}" x2="{left + plot_w}" '
                     f'y2="{y(target):.1f}" stroke="{TARGET_COLOUR}" stroke-width="1" '
                     f'stroke-dasharray="4 3"/>')
    for segment in _segments(values):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in segment)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{LINE_COLOUR}" '
                     f'stroke-width="1.6"/>')
        parts += [f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2" fill="{LINE_COLOUR}"/>'
                  for i, v in segment]
    for i, label in enumerate(labels):
        if i % 2 == (len(labels) - 1) % 2:  # every other month, the last one always
            parts.append(f'<text x="{x(i):.1f}" y="{height - 8}" font-size="7.5" '
                         f'text-anchor="middle" fill="{TEXT_COLOUR}">{escape(label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bar_svg(*, title: str, labels: list[str], values: list[float], unit: str = "",
            width: int = 330, bar_height: int = 14) -> SafeString:
    """Horizontal bars, one per label, longest scale at the largest value."""
    label_w, right, top = 120, 40, 22
    height = top + len(labels) * (bar_height + 5) + 6
    plot_w = width - label_w - right
    high = max([v for v in values if v is not None] + [0.0]) or 1.0
    parts = [_open(width, height, title),
             (f'<text x="0" y="14" font-size="10" font-weight="bold" '
              f'fill="{TEXT_COLOUR}">{escape(title)}</text>')]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        row_y = top + i * (bar_height + 5)
        length = 0 if value is None else plot_w * value / high
        parts.append(f'<text x="{label_w - 4}" y="{row_y + bar_height - 3}" font-size="8" '
                     f'text-anchor="end" fill="{TEXT_COLOUR}">{escape(_cut(label))}</text>')
        parts.append(f'<rect x="{label_w}" y="{row_y}" width="{length:.1f}" '
                     f'height="{bar_height}" fill="{BAR_COLOUR}"/>')
        shown = "—" if value is None else _number(value, unit)
        parts.append(f'<text x="{label_w + length + 3:.1f}" y="{row_y + bar_height - 3}" '
                     f'font-size="8" fill="{TEXT_COLOUR}">{escape(shown)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}" font-family="{FONT}">')


def _y_label(left: int, y: float, text: str) -> str:
    return (f'<text x="{left - 3}" y="{y + 3:.1f}" font-size="7.5" text-anchor="end" '
            f'fill="{TEXT_COLOUR}">{escape(text)}</text>')


def _segments(values: list[float | None]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive known values (a month with nothing to count breaks the line)."""
    runs, current = [], []
    for i, v in enumerate(values):
        if v is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((i, v))
    if current:
        runs.append(current)
    return runs


def _cut(label: str, limit: int = 18) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"
