"""Text of a mail for display: HTML bodies made text, and the reply without quoted history.

HTML becomes text through inscriptis, which keeps the layout of blocks, lists and tables. The
reply comes from a compact rule set, not the `mail-parser-reply` library: version 1.36 keeps the
"> " lines of a bottom-posted reply, knows neither "-----原始邮件-----" nor "发自我的iPhone", its
Chinese "写道：" rule never matches, and extending it means patching its module-level tables.
The rules, looking at unquoted lines from the top:

- a forward ("---------- Forwarded message ---------", "Begin forwarded message:", "转发的邮件")
  before any reply marker, or a forwarded subject: the whole text is the report, keep all of it;
- cut at "-----Original Message-----" / "-----原始邮件-----"; at an Outlook header block ("From:"
  then "Sent:" or "Date:" within three lines, "发件人:" then "发送时间:"), with the rule of
  underscores above it; at an attribution ("On … wrote:", "在 … 写道：") that no "> " quote follows;
  at the signature delimiter "-- " (RFC 3676 §4.3) or a mobile footer ("Sent from my iPhone");
- drop "> " quoted lines and the attribution just above them (bottom-posted and inline replies);
- when nothing is left, keep the whole text: an empty reply would hide what the sender wrote.
"""

import html as html_entities
import re

import inscriptis

_FORWARD = re.compile(
    r"-{2,}\s*(forwarded message|转发的邮件|转发邮件信息|转发的消息|轉寄的郵件)\s*-{2,}"
    r"|begin forwarded message:", re.IGNORECASE)
_SEPARATOR = re.compile(r"-{2,}\s*(original message|原始邮件|原邮件|原始郵件)\s*-{2,}",
                        re.IGNORECASE)
_HEADER_FROM = re.compile(r"\*?(from|发件人|寄件者|寄件人)\*?\s*[:：].*", re.IGNORECASE)
_HEADER_SENT = re.compile(r"\*?(sent|date|发送时间|时间|日期|寄件日期|傳送時間)\*?\s*[:：].*",
                          re.IGNORECASE)
_ATTRIBUTION = re.compile(r"(on\s.*\swrote:|.*\d.*[写寫]道\s*[:：])", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"on\s.*", re.IGNORECASE)
_SIGNATURE = re.compile(
    r"--|sent from my .+|get outlook for .+|sent from mail for windows.*"
    r"|发自(我的|网易邮箱|手机|.{0,12}邮箱).*|从我的.+发送|來自我的.+|寄自我的.+", re.IGNORECASE)
_RULE = re.compile(r"[_-]{10,}")
_BLANK_RUNS = re.compile(r"\n{3,}")
_MAX_HTML_DEPTH = 2000
_ANY_TAG = re.compile(r"<[^>]*>")
_OPEN_OR_CLOSE_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)")
# Void elements and those HTML closes by itself: left unclosed, they still do not nest.
_NOT_NESTING = {
    "br", "hr", "img", "input", "meta", "link", "area", "base", "col", "wbr", "source", "o:p",
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "thead", "tbody", "tfoot",
}


def html_text(html: str) -> str:
    """Readable text of HTML laid out by inscriptis, else with its tags removed."""
    text = inscriptis.get_text(html).strip() or tags_removed(html)  # lxml drops deep elements
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def tags_removed(html: str) -> str:
    """The text of HTML by plain tag removal: the fallback when a layout is out of reach."""
    text = html_entities.unescape(_ANY_TAG.sub(" ", html))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def html_too_deep(html: str) -> bool:
    """True when elements nest thousands deep: no mail client writes that, a hostile one may."""
    depth = 0
    for closing, name in _OPEN_OR_CLOSE_TAG.findall(html):
        if name.lower() not in _NOT_NESTING:
            depth = max(depth - 1, 0) if closing else depth + 1
            if depth > _MAX_HTML_DEPTH:
                return True
    return False


def reply_text(text: str, *, forwarded: bool = False) -> str:
    """The new part of a mail's text; all of it for a forward or when nothing would be left."""
    lines = text.replace("\r\n", "\n").replace("\xa0", " ").split("\n")
    cut = _cut_index(lines)
    forward = next((i for i, line in enumerate(lines) if _matches(_FORWARD, line)), None)
    if forwarded or (forward is not None and forward <= cut):
        return text.strip()
    kept = _BLANK_RUNS.sub("\n\n", "\n".join(_unquoted(lines[:cut])).strip())
    return kept or text.strip()


def _cut_index(lines: list[str]) -> int:
    """Where the quoted history or the signature starts, or the end of the text."""
    for index, line in enumerate(lines):
        if _is_quoted(line):
            continue
        if _matches(_SEPARATOR, line) or _matches(_SIGNATURE, line) \
                or _is_header_block(lines, index) or _is_unquoted_attribution(lines, index):
            below_rule = index > 0 and _matches(_RULE, lines[index - 1])
            return index - 1 if below_rule else index
    return len(lines)


def _unquoted(lines: list[str]) -> list[str]:
    """Lines without "> " quotes and without the attribution line(s) introducing them."""
    kept, index = [], 0
    while index < len(lines):
        span = _attribution_span(lines, index)
        if span and _quote_follows(lines, index + span):
            index += span
            continue
        if not _is_quoted(lines[index]):
            kept.append(lines[index].rstrip())
        index += 1
    return kept


def _attribution_span(lines: list[str], index: int) -> int:
    """How many lines an attribution starting here takes (clients wrap "On …" lines), or 0."""
    if _matches(_ATTRIBUTION, lines[index]):
        return 1
    wrapped = index + 1 < len(lines) and _matches(_ATTRIBUTION_START, lines[index])
    if wrapped and lines[index + 1].strip().lower().endswith("wrote:"):
        return 2
    return 0


def _is_unquoted_attribution(lines: list[str], index: int) -> bool:
    """True for an attribution whose quoted text is not "> " quoted (Outlook, Foxmail, QQ)."""
    span = _attribution_span(lines, index)
    return bool(span) and not _quote_follows(lines, index + span)


def _is_header_block(lines: list[str], index: int) -> bool:
    """True where an Outlook-style "From: … Sent: …" block of the quoted mail starts."""
    following = lines[index + 1:index + 4]
    return _matches(_HEADER_FROM, lines[index]) and any(
        _matches(_HEADER_SENT, line) for line in following)


def _quote_follows(lines: list[str], start: int) -> bool:
    """True when the next non-blank line from `start` is a "> " quote."""
    rest = (line for line in lines[start:] if line.strip())
    return _is_quoted(next(rest, ""))


def _is_quoted(line: str) -> bool:
    """True for a "> " quoted line."""
    return line.lstrip().startswith(">")


def _matches(pattern: re.Pattern, line: str) -> bool:
    """True when the whole line, leading and trailing blanks aside, matches the pattern."""
    return pattern.fullmatch(line.strip()) is not None
