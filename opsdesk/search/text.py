"""Text to search terms, without a dictionary: Chinese as character bigrams, English stemmed.

Documents and queries go through the same steps, so a term in a query is spelt exactly as in the
index:

- NFKC (full-width letters and digits become ASCII) and casefold;
- a run of CJK characters becomes its overlapping bigrams (电脑开机 → 电脑 脑开 开机) plus its
  last character alone (机), so every character of a run starts a term and a one-character
  query can match as a prefix (慢 → 慢*). Very common function phrases (怎么办, 无法, 不了 …)
  are taken out of a run first and the two sides joined, so "电脑开不了机" and "电脑无法开机"
  both give 电脑 脑开 开机;
- other letters and digits form words: lowercased, English words stemmed with Snowball
  (printers → printer, connecting → connect), very common English words dropped; a word with
  digits in it (INC202611250001, 0x0000007e, srv-001's 001) is kept whole.

A term is only letters and digits, so it never needs quoting in FTS5, tsquery or LIKE beyond
the quotes the backends put around every term anyway.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_RUN_RE = re.compile(rf"[{CJK}]+|[^\W{CJK}_]+")
_CJK_RE = re.compile(rf"[{CJK}]")
# Function phrases that say nothing about the problem; taken out of CJK runs (longest first).
CJK_STOP_PHRASES = (
    "为什么", "怎么办", "怎么样", "是不是", "有没有", "请问", "怎么", "如何", "什么", "怎样",
    "无法", "不能", "不了", "没法", "一直", "一下", "总是", "可以", "需要", "我们", "我的",
    "你好", "您好", "谢谢", "麻烦", "帮忙", "出现", "问题", "不会", "老是", "了吗",
)
_CJK_STOP_RE = re.compile("|".join(CJK_STOP_PHRASES))
ENGLISH_STOP_WORDS = frozenset("""
a an the and or but if of to in on at by for with from into onto over under about as than then
is are was were be been being am do does did done doing have has had having can cannot could
would should will shall may might must not no nor don doesn didn isn aren wasn weren won cant
t s ll ve re d m i me my mine we us our you your he him his she her it its they them their
this that these those there here what which who whom whose when where why how all any some
each every so too very just also again still please hi hello thanks thank anyone help get got
""".split())
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=20000)
def _word_term(word: str) -> str:
    """A Latin/digit word as a term ("" if it is a stop word)."""
    if word in ENGLISH_STOP_WORDS:
        return ""
    if not word.isalpha() or not word.isascii():
        return word  # numbers, codes and incident numbers stay whole
    return _stemmer.stemWord(word)


def normalise(text: str) -> str:
    """NFKC + casefold: the form every other step works on."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def _cjk_clean(run: str) -> str:
    return _CJK_STOP_RE.sub("", run)


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


def document_terms(text: str) -> list[str]:
    """The terms of a document's text, in order (positions matter for phrases)."""
    terms: list[str] = []
    for run in _RUN_RE.findall(normalise(text)):
        if _CJK_RE.match(run):
            run = _cjk_clean(run)
            if run:
                terms.extend(_bigrams(run))
                terms.append(run[-1])
        elif term := _word_term(run):
            terms.append(term)
    return terms


def document_text(text: str) -> str:
    """Terms joined by spaces, with a space at each end (so `LIKE '% term %'` finds every one)."""
    terms = document_terms(text)
    return f" {' '.join(terms)} " if terms else ""


@dataclass(frozen=True)
class QueryPart:
    """One thing the query asks for: a phrase of terms (adjacent, in order) or one term.

    `prefix` is set for a lone CJK character and for the last word while the person types:
    it matches any term starting with it.
    """

    terms: tuple[str, ...]
    prefix: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.terms) > 1


@dataclass
class ParsedQuery:
    """The parts of a query (AND-ed, or OR-ed as a fallback) and the words to highlight."""

    parts: list[QueryPart] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)  # normalised source words, for snippets

    def __bool__(self) -> bool:
        return bool(self.parts)

    @property
    def terms(self) -> list[str]:
        """Every distinct term of the query (the OR fallback asks for any of them)."""
        return list(dict.fromkeys(t for part in self.parts for t in part.terms))


def parse_query(text: str, *, prefix_last: bool = True) -> ParsedQuery:
    """The query's parts: each CJK run a phrase of its bigrams, each word a term.

    With prefix_last, the last Latin word (still being typed) matches as a prefix. A CJK run of
    one character is always a prefix (it is a bigram's first character or a run's last one).
    """
    query = ParsedQuery()
    runs = _RUN_RE.findall(normalise(text))
    for i, run in enumerate(runs):
        if _CJK_RE.match(run):
            cleaned = _cjk_clean(run)
            if not cleaned:
                continue  # only function words (怎么办): nothing to look for
            query.highlights.append(run)
            part = (QueryPart((cleaned,), prefix=True) if len(cleaned) == 1
                    else QueryPart(tuple(_bigrams(cleaned))))
        else:
            term = _word_term(run)
            if not term:
                continue
            query.highlights.append(run)
            last = i == len(runs) - 1
            part = QueryPart((term,), prefix=prefix_last and last and len(term) >= 2
                             and not _is_code(term))
        if part not in query.parts:
            query.parts.append(part)
    return query


def _is_code(term: str) -> bool:
    return any(ch.isdigit() for ch in term) and len(term) >= 8


def highlight_words(text: str) -> list[str]:
    """Words to mark in a snippet: the query's CJK runs (and their bigrams) and Latin words."""
    words = []
    for run in _RUN_RE.findall(normalise(text)):
        if _CJK_RE.match(run):
            cleaned = _cjk_clean(run) or run
            words.append(run)
            words.append(cleaned)
            words.extend(_bigrams(cleaned) if len(cleaned) > 2 else [])
        elif _word_term(run):
            words.append(run)
            stem = _word_term(run)
            if stem != run and len(stem) >= 3:
                words.append(stem)
    return sorted(dict.fromkeys(words), key=len, reverse=True)
