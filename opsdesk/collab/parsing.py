"""Finding @mentions in text (pure functions: no database).

Forms: `@username`, `@显示名` (a display name, also inside Chinese text without spaces:
"请@张三看一下"), and a quoted display name `@"Li Lei"` / `@“李 雷”`. An @ right after an ASCII
letter, digit or one of `._%+-/` is part of an email address or a URL, not a mention.

Chinese has no spaces, so a mention's end is not known from the text alone: every prefix of
the word after @ is a candidate, and the caller keeps the longest that names a person
(`mention_match`). A match must end at a word boundary for Latin text ("@engineering" never
names "engineer"), while a CJK character may follow it directly.
"""

import re
from dataclasses import dataclass

MAX_MENTIONS = 20  # per text: more is a mailing list, not a mention
MAX_NAME = 40

_QUOTED = re.compile(r"@[\"“]([^\"”\n]{1,150})[\"”]")
_BARE = re.compile(r"@([\w.+\-]{1,%d})" % MAX_NAME)
_NOT_BEFORE = re.compile(r"[A-Za-z0-9._%+\-/]")
_LATIN_WORD = re.compile(r"[A-Za-z0-9_]")


@dataclass(frozen=True)
class Candidate:
    """One @ in the text: where it is, and the names it may stand for (longest first)."""

    start: int
    end: int  # end of the longest form; the matched name may be shorter
    names: tuple[str, ...]
    quoted: bool = False


def mention_candidates(text: str, *, limit: int = MAX_MENTIONS) -> list[Candidate]:
    """Every @ that may be a mention, in order (at most `limit`)."""
    text = text or ""
    found: list[Candidate] = []
    taken: set[int] = set()
    for m in _QUOTED.finditer(text):
        if _is_address(text, m.start()):
            continue
        name = " ".join(m.group(1).split())
        if name:
            found.append(Candidate(m.start(), m.end(), (name,), quoted=True))
            taken.add(m.start())
    for m in _BARE.finditer(text):
        if m.start() in taken or _is_address(text, m.start()):
            continue
        word = m.group(1)
        names = tuple(_prefixes(word))
        if names:
            found.append(Candidate(m.start(), m.end(), names))
    found.sort(key=lambda c: c.start)
    return found[:limit]


def _is_address(text: str, at: int) -> bool:
    return at > 0 and bool(_NOT_BEFORE.match(text[at - 1]))


def _prefixes(word: str):
    """Prefixes of word that end on a boundary, longest first, without trailing punctuation."""
    for end in range(len(word), 0, -1):
        name = word[:end]
        if name[-1] in ".+-":
            continue  # "@engineer." ends a sentence
        following = word[end] if end < len(word) else ""
        if following and _LATIN_WORD.match(following) and _LATIN_WORD.match(name[-1]):
            continue  # "@engineering" is not "@engineer"
        yield name


def candidate_names(candidates: list[Candidate]) -> set[str]:
    """Every name worth looking up for these candidates."""
    return {name for c in candidates for name in c.names}


def mention_match(candidate: Candidate, known: dict[str, object]):
    """The person the candidate names: its longest name found in `known` (name → person)."""
    for name in candidate.names:
        person = known.get(name)
        if person is not None:
            return name, person
    return None, None
