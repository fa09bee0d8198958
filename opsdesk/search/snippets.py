"""Highlighted snippets from the original text: the best window, escaped, hits in <mark>."""

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SNIPPET_CHARS = 160


def _fold(text: str) -> str:
    """NFKC + casefold per character, keeping positions (so hits map back to the original)."""
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch).casefold()
        out.append(folded if len(folded) == 1 else ch.lower()[:1] or ch)
    return "".join(out)


def _pattern(words: list[str]) -> re.Pattern | None:
    words = [w for w in words if w]
    if not words:
        return None
    alternatives = []
    for word in sorted(set(words), key=len, reverse=True):
        escaped = re.escape(word)
        # A Latin word matches at a word start (print → printer), a Chinese run anywhere.
        alternatives.append(rf"\b{escaped}" if word[:1].isascii() and word[:1].isalnum()
                            else escaped)
    return re.compile("|".join(alternatives))


def _hits(text: str, pattern: re.Pattern | None) -> list[tuple[int, int]]:
    if pattern is None or not text:
        return []
    return [m.span() for m in pattern.finditer(_fold(text))]


def _best_window(text: str, hits: list[tuple[int, int]], size: int) -> tuple[int, int]:
    """The window of `size` characters holding the most hits (then the earliest)."""
    if len(text) <= size or not hits:
        return 0, min(len(text), size)
    best_start, best_count = hits[0][0], 0
    for start, _end in hits:
        count = sum(1 for s, e in hits if s >= start and e <= start + size)
        if count > best_count:
            best_start, best_count = start, count
    start = max(0, min(best_start - size // 4, len(text) - size))
    return start, start + size


def highlight(text: str, words: list[str], *, size: int | None = None) -> SafeString:
    """text (or its best window of `size` characters) escaped, with each hit in <mark>."""
    text = " ".join((text or "").split())
    pattern = _pattern(words)
    hits = _hits(text, pattern)
    start, end = (0, len(text)) if size is None else _best_window(text, hits, size)
    parts, position = [], start
    for s, e in hits:
        if s < start or e > end:
            continue
        parts.append(escape(text[position:s]))
        parts.append(f"<mark>{escape(text[s:e])}</mark>")
        position = e
    parts.append(escape(text[position:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(parts) + suffix)


def snippet(texts: list[str], words: list[str], *, size: int = SNIPPET_CHARS) -> SafeString:
    """The best window among texts (the one with the most hits, else the first non-empty)."""
    pattern = _pattern(words)
    candidates = [" ".join((t or "").split()) for t in texts]
    candidates = [t for t in candidates if t]
    if not candidates:
        return mark_safe("")
    best = max(candidates, key=lambda t: len(_hits(t, pattern)))
    return highlight(best, words, size=size)
