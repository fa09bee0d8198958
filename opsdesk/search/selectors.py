"""Search reads: ranked, permission-filtered hits with highlighted snippets.

`search(queryset, document_model, text)` serves any searchable model: the queryset says what
the person may see (Incident.objects.restrict(user), articles_visible(user)), and it is applied
inside the ranking query, so the page holds that person's best matches, never a global top-K
filtered afterwards.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.expressions import Col, RawSQL
from django.db.models.lookups import Exact, In
from django.db.models.sql import Query
from django.db.models.sql.where import WhereNode
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


def _keys_where(queryset: QuerySet, document_model) -> "backends.Keys | None":
    """The queryset's condition on the document table's own columns, or None.

    A document model that copies its record's visibility columns (KEY_OF_FIELD: record field ->
    document column, e.g. IncidentDocument) is searched without the record table when the
    queryset's WHERE is an OR of `column = value` / `column IN (values)` on those columns and
    the pk, and `pk IN (subquery)` (what Incident.objects.restrict(user) is for everyone who
    does not see all).
    Anything else (AND, NOT, a join, another column, a subquery) returns None, and the pk
    subquery is used instead. The records are still read through the queryset afterwards
    (search()), so a stale key could only shorten a page, never show a record the person may
    not see.
    """
    columns = dict(getattr(document_model, "KEY_OF_FIELD", None) or {})
    query = queryset.query
    if not columns or not query.where or query.combinator:
        return None
    target = queryset.model
    if document_model._meta.pk.remote_field is None or \
            document_model._meta.pk.remote_field.model is not target:
        return None
    columns[target._meta.pk.attname] = document_model._meta.pk.column
    node = query.where
    while isinstance(node, WhereNode) and not node.negated and len(node.children) == 1:
        node = node.children[0]
    top = node.children if isinstance(node, WhereNode) and not node.negated and \
        node.connector == "OR" else [node]
    values: dict[str, list[int]] = {}
    subqueries = []
    compiler = query.get_compiler(using=queryset.db)
    for child in top:
        if not isinstance(child, (Exact, In)) or not isinstance(child.lhs, Col):
            return None
        field = child.lhs.target
        if child.lhs.alias != query.base_table or field.attname not in columns:
            return None  # only the record's own row
        if isinstance(child, In) and isinstance(child.rhs, Query) and \
                field.attname == target._meta.pk.attname:
            sql, params = child.process_rhs(compiler, compiler.connection)  # "(SELECT …)"
            subqueries.append((sql, tuple(params)))
            continue
        rhs = [child.rhs] if isinstance(child, Exact) else child.rhs
        if not isinstance(rhs, (list, tuple, set, frozenset)) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in rhs):
            return None  # a model instance, None, an expression
        values.setdefault(columns[field.attname], []).extend(sorted(rhs))
    return backends.Keys(values=values, subqueries=tuple(subqueries))


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
    keys = _keys_where(queryset, document_model)
    allowed = None if keys is not None else _allowed(queryset)
    rows = backends.match(document_model, parsed.parts, allowed=allowed, keys=keys, limit=limit,
                          offset=offset)
    if rows or not _may_fall_back(parsed):
        return rows
    or_parts = _or_parts(parsed)
    if offset and backends.match(document_model, parsed.parts, allowed=allowed, keys=keys,
                                 limit=1):
        return []  # past the last page of the AND results
    return backends.match(document_model, or_parts, any_part=True, allowed=allowed, keys=keys,
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
