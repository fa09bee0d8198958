"""Bytes and headers of mail read the way mail clients really write them.

Labels in the wild lie: GBK text sent as "gb2312", UTF-8 bytes under "gb2312" or "iso-8859-1",
8-bit headers with no label at all. Nothing here raises: each function returns the most readable
text it can and tells the caller which codec it finally used, so mislabels become defects.
Addresses, Message-IDs and dates are read here too, as tolerant of sloppy senders.
"""

import binascii
import codecs
import re
from datetime import UTC, datetime
from email import quoprimime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

import charset_normalizer

# Labels decoded as the superset that senders really mean (the WHATWG Encoding Standard does the
# same): GBK-only characters under a "gb2312" label, HKSCS characters under "big5", and so on.
_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "euc-cn": "gb18030", "csgb2312": "gb18030", "gb_2312-80": "gb18030", "chinese": "gb18030",
    "big5": "big5hkscs", "x-big5": "big5hkscs", "cp950": "big5hkscs", "big5-hkscs": "big5hkscs",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "shift_jis": "cp932", "x-sjis": "cp932",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
}
# Single-byte codecs decode (nearly) any byte string, so a strict decode cannot reveal a mislabel.
_SINGLE_BYTE = re.compile(r"cp125\d|iso8859-\d+|koi8-[ru]|mac-[a-z]+")
# What charset-normalizer may choose among: our users' languages first, few lookalikes.
_DETECTABLE = ["gb18030", "big5hkscs", "cp1252", "cp1250", "cp1251", "cp932", "cp949"]
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([\x21-\x3e\x40-\x7e]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_BRACKETED = re.compile(r"<([^<>]*)>")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def codec_for(label: str | None) -> str | None:
    """The Python codec name for a MIME charset label, or None when the label is unknown."""
    name = (label or "").strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name if name else None
    except (LookupError, ValueError):  # ValueError: a NUL inside a damaged label
        return None


def decode_bytes(data: bytes, label: str | None, hints: tuple[str, ...] = ()) -> tuple[str, str]:
    """Text of `data` and the codec used: declared label, UTF-8, hints, detection, then replace.

    `hints` are other charsets the same mail declares; a mislabelled part is most often in one
    of them. Single-byte labels read every byte string, so valid UTF-8 under them wins.
    """
    declared = codec_for(label)
    if declared and not (_SINGLE_BYTE.fullmatch(declared) and _is_utf8_text(data)):
        text = _strict(data, declared)
        if text is not None:
            return text, declared
    for codec in ("utf-8", *(hint for hint in hints if not _SINGLE_BYTE.fullmatch(hint))):
        text = _strict(data, codec)
        if text is not None:
            return text, codec
    if declared and _SINGLE_BYTE.fullmatch(declared):  # "latin-1" text with a byte cp1252 lacks
        return data.decode(declared, errors="replace"), declared
    return _guess(data, declared)


def decode_header_text(value: str) -> str:
    """The readable text of a raw header value: folding undone, RFC 2047 encoded words decoded.

    Whitespace between two encoded words is dropped (RFC 2047 §6.2), and adjacent words in one
    charset are joined before decoding, because some clients split a character across words.
    """
    text = _FOLD.sub("", value)
    pieces: list[str | tuple[str, bytes]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[position:match.start()]
        if between.strip() or not pieces or isinstance(pieces[-1], str):
            pieces.append(between)
        pieces.append(_encoded_word(match))
        position = match.end()
    pieces.append(text[position:])
    return "".join(_render(piece) for piece in _joined(pieces))


def one_line(value: str) -> str:
    """A raw header value decoded and on one line, runs of whitespace made single spaces."""
    return " ".join(decode_header_text(value).split())


def parameter_text(value: str | tuple) -> str:
    """Text of a MIME parameter: RFC 2231 ones arrive as (charset, language, byte-per-char).

    RFC 2047 words inside a quoted parameter are decoded too: Outlook and many Chinese clients
    send file names that way although RFC 2047 §5 does not allow it.
    """
    if not isinstance(value, tuple):
        return decode_header_text(value)
    charset, _language, text = value
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:  # already text: raw 8-bit bytes decoded by the header policy
        return text
    return decode_bytes(data, charset or None)[0]


def meta_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in a <meta> tag, if any."""
    found = _META_CHARSET.search(data[:4096])
    return found.group(1).decode("ascii") if found else None


def charset_hints(message: Message) -> tuple[str, ...]:
    """Codecs a mail declares anywhere: where a mislabelled part of it most likely belongs."""
    declared = [codec_for(part.get_content_charset()) for part in message.walk()]
    for name in ("subject", "from"):
        declared.extend(encoded_word_charsets(message.get(name) or ""))
    return tuple(dict.fromkeys(codec for codec in declared if codec))


def addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """(decoded display name, lower-case address) for every address in the `name` headers."""
    pairs = getaddresses(message.get_all(name, []))
    return [(one_line(display).strip("'\" "), address.strip().lower())
            for display, address in pairs if address.strip()]


def author(message: Message) -> tuple[str, str]:
    """(name, address) of the author: From, else Sender, else empty."""
    for name in ("from", "sender"):
        found = addresses(message, name)
        if found:
            return found[0]
    return "", ""


def address_list(message: Message, name: str) -> tuple[str, ...]:
    """The distinct lower-case addresses of the `name` headers, in order."""
    return tuple(dict.fromkeys(address for _, address in addresses(message, name)))


def message_ids(value: str) -> tuple[str, ...]:
    """Message-IDs of a header without <> or whitespace; bare ids when nothing is bracketed."""
    ids = ["".join(found.split()) for found in _BRACKETED.findall(value)]
    if not ids:
        ids = [token for token in value.split() if "@" in token]
    return tuple(dict.fromkeys(found for found in ids if found))


def mail_date(value: str) -> datetime | None:
    """The Date header as an aware datetime (UTC when it names no zone); None if unreadable."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def header_return_path(message: Message) -> str | None:
    """The Return-Path address, lower-case; "" for the null path <>; None without the header."""
    value = message.get("return-path")
    if value is None:
        return None
    found = _BRACKETED.search(value)
    return (found.group(1) if found else value).strip().lower()


def decode_8bit_header(value: str) -> str:
    """Text of a header that arrived as raw 8-bit bytes (held as surrogate escapes)."""
    data = value.encode("ascii", "surrogateescape")
    return decode_bytes(data, None, hints=("gb18030", "big5hkscs"))[0]


def encoded_word_charsets(value: str) -> tuple[str, ...]:
    """The codecs that RFC 2047 encoded words in a header value are labelled with."""
    found = (codec_for(match.group(1).split("*")[0]) for match in _ENCODED_WORD.finditer(value))
    return tuple(codec for codec in found if codec)


def _strict(data: bytes, codec: str) -> str | None:
    """`data` decoded strictly, or None when it is not valid in that codec."""
    try:
        return data.decode(codec)
    except (LookupError, UnicodeError, ValueError):
        return None


def _is_utf8_text(data: bytes) -> bool:
    """True for non-ASCII bytes that are valid UTF-8, which legacy text almost never is."""
    return not data.isascii() and _strict(data, "utf-8") is not None


def _guess(data: bytes, declared: str | None) -> tuple[str, str]:
    """Last resorts for undecodable bytes: detection, else the label (or Latin-1) with U+FFFD."""
    best = charset_normalizer.from_bytes(data, cp_isolation=_DETECTABLE).best()
    if best is not None and best.encoding:
        return str(best), codecs.lookup(best.encoding).name
    codec = declared or "latin-1"
    return data.decode(codec, errors="replace"), codec


def _encoded_word(match: re.Match) -> tuple[str, bytes] | str:
    """(codec, bytes) of one encoded word, or its literal text when it cannot be decoded."""
    codec = codec_for(match.group(1).split("*")[0]) or "utf-8"  # "*lang" suffix: RFC 2231 §5
    payload = match.group(3)
    try:
        if match.group(2) in "bB":
            return codec, binascii.a2b_base64(payload + "=" * (-len(payload) % 4))
        return codec, quoprimime.header_decode(payload).encode("latin-1")
    except ValueError:  # binascii.Error and UnicodeEncodeError are ValueErrors
        return match.group(0)


def _joined(pieces: list) -> list:
    """Pieces with adjacent encoded words of one codec merged into one byte string."""
    merged: list = []
    for piece in pieces:
        if merged and isinstance(piece, tuple) and isinstance(merged[-1], tuple) \
                and merged[-1][0] == piece[0]:
            merged[-1] = (piece[0], merged[-1][1] + piece[1])
        else:
            merged.append(piece)
    return merged


def _render(piece: str | tuple[str, bytes]) -> str:
    """Literal text as it is, an encoded word's bytes through the fallback chain."""
    if isinstance(piece, str):
        return piece
    return decode_bytes(piece[1], piece[0])[0]
