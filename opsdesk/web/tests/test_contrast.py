"""Colour contrast of our stylesheet meets WCAG 2.1 AA (4.5:1 for text) wherever text is drawn.

The pairs are read from opsdesk.css itself (its :root variables and badge backgrounds), so a
colour change that makes text hard to read fails here.
"""

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[1] / "static" / "web" / "opsdesk.css").read_text()
AA_TEXT = 4.5


HEX = r"(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3})\b"


def full(colour: str) -> str:
    """#abc → #aabbcc."""
    return colour if len(colour) == 7 else "#" + "".join(c * 2 for c in colour[1:])


def variables() -> dict[str, str]:
    root = re.search(r":root\s*{(.*?)}", CSS, re.S).group(1)
    return {name: full(value) for name, value in re.findall(r"--([\w-]+):\s*" + HEX, root)}


def badge_backgrounds() -> dict[str, str]:
    found = re.findall(r"\.badge\.(s\d+)\s*{\s*background:\s*" + HEX, CSS)
    return {key: full(value) for key, value in found}


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


V = variables()
TOPBAR = full(re.search(r"\.topbar\s*{[^}]*background:\s*" + HEX, CSS).group(1))
# A badge draws in the page's ink unless its rule sets another colour (cancelled: muted).
BADGE_INK = {"s90": V["muted"]}
PAIRS = [
    ("text on the page", V["ink"], V["bg"]), ("text on a card", V["ink"], V["card"]),
    ("muted text on the page", V["muted"], V["bg"]), ("muted text on a card", V["muted"], V["card"]),
    ("links on the page", V["brand"], V["bg"]), ("links on a card", V["brand"], V["card"]),
    ("button text", V["brand-ink"], V["brand"]), ("danger button text", "#ffffff", V["bad"]),
    ("top bar", "#ffffff", TOPBAR),
    *[(f"priority P{n}", V[f"p{n}"], V["card"]) for n in range(1, 5)],
    *[(f"status badge {key}", BADGE_INK.get(key, V["ink"]), colour)
      for key, colour in badge_backgrounds().items()],
]


@pytest.mark.parametrize("what, foreground, background", PAIRS, ids=[p[0] for p in PAIRS])
def test_text_contrast_meets_wcag_aa(what, foreground, background):
    assert contrast(foreground, background) >= AA_TEXT, (
        f"{what}: {foreground} on {background} is {contrast(foreground, background):.2f}:1")


def test_every_status_has_a_badge_colour():
    assert set(badge_backgrounds()) == {"s10", "s20", "s30", "s35", "s40", "s50", "s90"}
    assert "color: var(--muted)" in re.search(r"\.badge\.s90\s*{[^}]*}", CSS).group(0)
