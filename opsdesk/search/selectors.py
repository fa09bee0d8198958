"""Search reads: ranked, permission-filtered hits with highlighted snippets.

`search(queryset, document_model, text)` serves any searchable model: the queryset says what
the person may see (Incident.objects.restrict(user), articles_visible(user)), and it is applied
inside the ranking query, so the page holds that person's best matches, never a global top-K
filtered afterwards.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.safestring import SafeString

from . import backends
from .snippets import highlight, snippet
from .text import ParsedQuery, QueryPart, highlight_words, parse_query

MAX_LIMIT = 100
KINDS = ("incidents", "articles")


@dataclass
class Hit:
    """One result: the record, its rank (higher is better) and its highlighted texts."""

    object: Any
    rank: float
    title: SafeString
    snippet: SafeString
    kind: str = ""
    url: str = ""
    label: str = ""  # the plain title

    @property
    def number(self) -> str | None:
        return getattr(self.object, "number", None)


def _allowed(queryset: QuerySet) -> tuple[str, list] | None:
    """The queryset's pks as a subquery, or None when it is the whole table (staff)."""
    if not queryset.query.where and not queryset.query.combinator:
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return sql, list(params)


def _or_parts(parsed: ParsedQuery) -> list[QueryPart]:
    """The fallback's parts: every term on its own (prefixes stay prefixes)."""
    parts = []
    for part in parsed.parts:
        for term in part.terms:
            single = QueryPart((term,), prefix=part.prefix)
            if single not in parts:
                parts.append(single)
    return parts


def _may_fall_back(parsed: ParsedQuery) -> bool:
    """Several words, or a long Chinese run (a question typed without spaces), may be OR-ed;
    one word (电源模块, printer) found nowhere stays not found rather than matching its pieces."""
    return len(parsed.parts) > 1 or (parsed.parts[0].is_phrase and
                                     len(parsed.parts[0].terms) >= 4)


def ranked_ids(queryset: QuerySet, document_model, text: str, *, limit: int = 20,
               offset: int = 0, prefix_last: bool = True) -> list[tuple[int, float]]:
    """[(pk, rank)] best first: every word must match; if none matches so, any word may.

    The fallback (OR, ranked by how many and how telling the matching terms are) lets a
    natural question ("电脑开不了机怎么办", "cannot connect to vpn from home") find the article
    that shares only some of its words.
    """
    parsed = parse_query(text, prefix_last=prefix_last)
    if not parsed or queryset.query.is_empty() or limit < 1:
        return []
    allowed = _allowed(queryset)
    rows = backends.match(document_model, parsed.parts, allowed=allowed, limit=limit,
                          offset=offset)
    if rows or not _may_fall_back(parsed):
        return rows
    or_parts = _or_parts(parsed)
    if offset and backends.match(document_model, parsed.parts, allowed=allowed, limit=1):
        return []  # past the last page of the AND results
    return backends.match(document_model, or_parts, any_part=True, allowed=allowed,
                          limit=limit, offset=offset)


def matching_q(document_model, text: str, *, dense_q=None) -> Q | None:
    """`pk IN (documents having every word of text)`, to filter any list; None if no words.

    dense_q: a condition to use instead when text is one word that a big share of the newest
    documents contain (PostgreSQL), e.g. icontains walking the list in its own order.
    """
    parsed = parse_query(text)
    if not parsed:
        return None
    if dense_q is not None and len(parsed.parts) == 1 and backends.dense(document_model,
                                                                       parsed.parts):
        return dense_q
    return Q(pk__in=RawSQL(*backends.matching_sql(document_model, parsed.parts)))


def matching_ids(queryset: QuerySet, document_model, text: str, *, limit: int = 10) -> list[int]:
    """The best `limit` pks for a suggestion widget (no snippets, no objects)."""
    return [pk for pk, _rank in ranked_ids(queryset, document_model, text,
                                           limit=min(limit, MAX_LIMIT))]


def search(queryset: QuerySet, document_model, text: str, *, limit: int = 20,
           offset: int = 0) -> list[Hit]:
    """Hits for text among queryset's records, best first, with highlighted title and snippet.

    Two queries for the hits (ranking, then the records) plus texts_for's few for snippets.
    """
    rows = ranked_ids(queryset, document_model, text, limit=min(limit, MAX_LIMIT + 1),
                      offset=offset)
    if not rows:
        return []
    objects = queryset.in_bulk([pk for pk, _rank in rows])
    found = [objects[pk] for pk, _rank in rows if pk in objects]
    texts = document_model.texts_for(found)
    words = highlight_words(text)
    hits = []
    for pk, rank in rows:
        if pk not in objects:
            continue  # deleted between the two queries
        title, body, extra = texts[pk]
        hits.append(Hit(object=objects[pk], rank=rank, title=highlight(title, words),
                        snippet=snippet([body, extra], words), label=title))
    return hits


def incident_search(*, user, text: str, limit: int = 20, offset: int = 0) -> list[Hit]:
    """Incidents user may see, matching text (an incident number finds that incident)."""
    from opsdesk.incidents.models import Incident
    from opsdesk.incidents.selectors import NUMBER_RE

    from .models import IncidentDocument

    queryset = Incident.objects.restrict(user)
    if NUMBER_RE.match(text.strip().upper()):
        incident = queryset.filter(number=text.strip().upper()).first()
        hits = [] if incident is None or offset else [Hit(
            object=incident, rank=1000.0, title=highlight(incident.short_description, []),
            snippet=snippet([incident.description], []), label=incident.short_description)]
    else:
        hits = search(queryset, IncidentDocument, text, limit=limit, offset=offset)
    for hit in hits:
        hit.kind = "incidents"
        hit.url = reverse("web:incident", args=[hit.object.number])
    return hits


def article_search(*, user, text: str, limit: int = 20, offset: int = 0) -> list[Hit]:
    """Articles user may see, matching text; [] until the knowledge app provides its parts.

    The hook: opsdesk.knowledge.selectors.articles_visible(user) and
    opsdesk.knowledge.models.ArticleDocument (a SearchDocument subclass).
    """
    try:
        from opsdesk.knowledge.models import ArticleDocument
        from opsdesk.knowledge.selectors import articles_visible
    except ImportError:
        return []
    hits = search(articles_visible(user), ArticleDocument, text, limit=limit, offset=offset)
    for hit in hits:
        hit.kind = "articles"
        hit.url = _article_url(hit.object, user)
    return hits


def _article_url(article, user) -> str:
    url = getattr(article, "get_absolute_url", None)
    return url() if callable(url) else ""


def search_all(user, text: str, kinds=KINDS, *, limit: int = 20,
               offset: int = 0) -> list[Hit]:
    """Hits of the asked kinds, merged by rank; `limit + 1` asked tells whether more follow."""
    searchers = {"incidents": incident_search, "articles": article_search}
    hits: list[Hit] = []
    for kind in kinds:
        if kind in searchers:
            hits.extend(searchers[kind](user=user, text=text, limit=limit + offset, offset=0)
                        if len(kinds) > 1 else
                        searchers[kind](user=user, text=text, limit=limit, offset=offset))
    if len([k for k in kinds if k in searchers]) > 1:
        hits.sort(key=lambda h: -h.rank)
        hits = hits[offset:offset + limit]
    return hits
