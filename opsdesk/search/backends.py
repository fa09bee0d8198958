"""The per-database half of search: turn parsed query parts into SQL, and rank.

Every function takes a SearchDocument subclass and query parts (opsdesk.search.text), and an
optional "allowed" subquery (SQL, params) of the target's primary keys the person may see. User
text never reaches SQL: terms are letters and digits only, and they travel as parameters
(inside a tsquery / FTS5 expression string, or as LIKE patterns) besides.

- PostgreSQL: `search_vector @@ to_tsquery('simple', …)` on the GIN index, ts_rank with the
  weights of title (A), extra (C) and body (B), normalised by the document's length.
- SQLite: FTS5 MATCH, bm25() with column weights.
- MySQL/MariaDB: LIKE '% term %' on the space-padded term columns (no full-text index: InnoDB's
  FULLTEXT sees only committed rows and drops two-character terms), scored in Python.

Big tables (document_model.search_candidates) rank only their newest N matches: the match
itself is cheap on the index, ranking a hundred thousand matches of a common word is not.

A restricted person's search comes with `keys` instead of `allowed` when their visibility is
expressible on the document's own columns (selectors._keys_where): PostgreSQL then reads
their matches from one GIN over (vector, visibility tags), see _pg_keys_source.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from .operations import VECTOR_COLUMN, VISIBILITY_COLUMN, fts_table, visibility_tags
from .text import QueryPart

# ts_rank weights in the order {D, C, B, A}; normalisation 1 divides by 1 + log(length).
PG_WEIGHTS = "{0.05, 0.4, 0.3, 1.0}"
BM25_WEIGHTS = (10.0, 2.0, 5.0)  # title, body, extra
LIKE_WEIGHTS = (("title", 3.0), ("body", 1.0), ("extra", 2.0))
MYSQL_MAX_CANDIDATES = 5000
# PostgreSQL, big tables: the newest windows of documents searched before the whole table, and
# how many matches a window must hold to be ranked alone.
PG_WINDOWS = (20_000, 200_000)
MIN_CANDIDATES = 100
# A person who may see at most this many records (a requester) is searched record by record,
# completely; one who sees more searches the newest windows, up to the last one.
FEW_IDS = 5000
RESTRICTED_WINDOWS = (20_000, 100_000)
# Restricted searches on the document's own key columns: the newest documents read first.
KEYS_WINDOW = 20_000
BIG_SET_SECONDS = 60
DENSE_SHARE = 0.005


def match(document_model, parts: list[QueryPart], *, any_part: bool = False,
          allowed: tuple[str, list] | None = None, keys: "Keys | None" = None,
          limit: int = 20, offset: int = 0) -> list[tuple[int, float]]:
    """[(target pk, rank)] best first: documents with every part (any part if any_part).

    allowed: SQL of the target pks the person may see; keys: instead, the same as conditions
    on the document table's own key columns and pk (selectors._keys_where).
    """
    vendor = connection.vendor
    if keys is not None:
        if vendor == "postgresql":
            return _pg_match_keys(document_model, parts, any_part, keys, limit, offset)
        if vendor == "sqlite":  # FTS5 is its own table: the keys select its rowids
            table, pk = _names(document_model)
            keys_sql, keys_params = _keys_sql(document_model, keys)
            allowed = (f"SELECT {pk} FROM {table} WHERE {keys_sql}", keys_params)
        else:
            return _like_match(document_model, parts, any_part, None, limit, offset, keys=keys)
    if vendor == "postgresql":
        return _pg_match(document_model, parts, any_part, allowed, limit, offset)
    if vendor == "sqlite":
        return _sqlite_match(document_model, parts, any_part, allowed, limit, offset)
    return _like_match(document_model, parts, any_part, allowed, limit, offset)


def matching_sql(document_model, parts: list[QueryPart]) -> tuple[str, list]:
    """SQL selecting the target pks whose documents have every part (for `pk IN (…)` filters)."""
    table, pk = _names(document_model)
    vendor = connection.vendor
    if vendor == "postgresql":
        return (f"SELECT {pk} FROM {table} WHERE {VECTOR_COLUMN} @@ to_tsquery('simple', %s)",
                [tsquery(parts, any_part=False)])
    if vendor == "sqlite":
        fts = connection.ops.quote_name(fts_table(document_model._meta.db_table))
        return f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [fts_expression(parts, False)]
    where, params = _like_where(parts, any_part=False)
    return f"SELECT {pk} FROM {table} WHERE {where}", params


def dense(document_model, parts: list[QueryPart]) -> bool:
    """Whether the parts match at least DENSE_SHARE of the newest documents (PostgreSQL; big
    tables). A list filtered by such a word is best read in its own order, checking each row:
    the GIN index would read every one of the tens of thousands of matches first."""
    if connection.vendor != "postgresql" or not document_model.search_candidates:
        return False
    table, pk = _names(document_model)
    top = _pg_top(document_model)
    if top is None or top <= PG_WINDOWS[0]:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {pk} > %s AND "
                       f"coalesce({VECTOR_COLUMN}, ''::tsvector) @@ to_tsquery('simple', %s)",
                       [top - PG_WINDOWS[0], tsquery(parts, any_part=False)])
        return cursor.fetchone()[0] >= PG_WINDOWS[0] * DENSE_SHARE


def _names(document_model) -> tuple[str, str]:
    quote = connection.ops.quote_name
    return quote(document_model._meta.db_table), quote(document_model._meta.pk.column)


@dataclass(frozen=True)
class Keys:
    """Who may see a document, on the document table's own columns: the OR of
    `column IN (values)` for each of `values` and of `pk IN (subquery)` for each subquery
    (SQL in parentheses, params), e.g. the incidents of a group's open tasks."""

    values: dict[str, list[int]]
    subqueries: tuple[tuple[str, tuple], ...] = ()


def _keys_sql(model, keys: Keys) -> tuple[str, list]:
    """The keys as one SQL condition."""
    quote = connection.ops.quote_name
    clauses, params = [], []
    for column, values in keys.values.items():
        if values:
            clauses.append(f"{quote(column)} IN ({', '.join(['%s'] * len(values))})")
            params.extend(values)
    for sql, sub_params in keys.subqueries:
        clauses.append(f"{quote(model._meta.pk.column)} IN {sql}")
        params.extend(sub_params)
    return "(" + (" OR ".join(clauses) or "1 = 0") + ")", params


def _allowed_clause(column: str, allowed) -> tuple[str, list]:
    if allowed is None:
        return "", []
    sql, params = allowed
    return f" AND {column} IN ({sql})", list(params)


# --- PostgreSQL ------------------------------------------------------------------------------

def _pg_quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(parts: list[QueryPart], *, any_part: bool) -> str:
    """The to_tsquery text: a phrase as `'a' <-> 'b'`, a prefix as `'a':*`, AND-ed or OR-ed."""
    spelt = []
    for part in parts:
        terms = [_pg_quote(t) + (":*" if part.prefix else "") for t in part.terms]
        spelt.append("(" + " <-> ".join(terms) + ")")
    return (" | " if any_part else " & ").join(spelt)


def _pg_match(model, parts, any_part, allowed, limit, offset):
    """Rank the matches; on a big table, in the newest window that holds enough of them.

    A common word matches tens of thousands of incidents: reading all of them to rank them
    costs hundreds of milliseconds. So the newest WINDOWS[0] documents are searched first
    (the planner ANDs the GIN bitmap with the primary key's range), then a wider window, then
    all, until the window holds at least MIN_CANDIDATES (and this page's) matches. The count
    comes with the page (count(*) OVER ()), so a common word costs one query.
    """
    if not model.search_candidates:
        return _pg_rank(model, parts, any_part, allowed, limit, offset, lower=None)[0]
    if allowed is not None:
        ids = _pg_few_ids(model, allowed)
        if ids is not None:
            return _pg_rank_ids(model, parts, any_part, ids, limit, offset)
    # Everyone's results rank MIN_CANDIDATES matches at least; a restricted person's are
    # sparse in any window (their own among everybody's), so their page is enough.
    need = max(MIN_CANDIDATES if allowed is None else 0, limit + offset)
    top = _pg_top(model)
    # A person who sees many records but not all (an engineer: their groups' 170,000) reaches
    # the newest RESTRICTED_WINDOWS[-1] documents only: proving that none of 70,000 older matches
    # of a common word is theirs would take seconds.
    windows = (*PG_WINDOWS, None) if allowed is None else RESTRICTED_WINDOWS
    for i, window in enumerate(windows):
        lower = None if window is None or top is None or top <= window else top - window
        rows, found = _pg_rank(model, parts, any_part, allowed, limit, offset, lower=lower,
                               scan=i == 0 or allowed is not None)
        if lower is None or found >= need:
            return rows
    return rows  # the widest window a restricted person reaches


def _pg_match_keys(model, parts, any_part, keys, limit, offset):
    """Rank a restricted person's matches, found on the document table alone.

    All their matches come from one scan of the GIN over (vector, visibility tags)
    (_pg_keys_source): only their matching rows are read, however old; no reach limit.
    A person whose keys may select a big share of the table (model.wide_keys: an engineer's
    groups, a department) may match thousands of rows with a common word, and reading them all
    to keep the newest search_candidates costs hundreds of milliseconds: for them the newest
    KEYS_WINDOW documents are read first, in key order (the cheap key test first, then the
    words), and when that window holds this page, it is ranked alone, as for the desk.
    """
    wide = any(keys.values.get(column) for column in model.wide_keys)
    top = _pg_top(model) if wide and KEYS_WINDOW else None
    if top is not None and top > KEYS_WINDOW:
        rows, found = _pg_rank(model, parts, any_part, None, limit, offset,
                               lower=top - KEYS_WINDOW, scan=True, keys=keys)
        if found >= limit + offset:
            return rows
    return _pg_rank(model, parts, any_part, None, limit, offset, lower=None, keys=keys)[0]


def _pg_few_ids(model, allowed) -> list[int] | None:
    """The allowed pks if there are at most FEW_IDS of them (a requester's own), else None.

    A set found big is remembered for a minute (per model and subquery), so an engineer's
    searches skip reading 5,000 of their 170,000 ids each time; a set that grows past the
    limit meanwhile is only searched record by record a little longer.
    """
    sql, params = allowed
    key = "search:big:" + hashlib.sha256(
        f"{model._meta.label}|{sql}|{params!r}".encode()).hexdigest()
    if cache.get(key):
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) AS allowed LIMIT {FEW_IDS + 1}", params)
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) > FEW_IDS:
        cache.set(key, True, BIG_SET_SECONDS)
        return None
    return ids


def _pg_rank_ids(model, parts, any_part, ids, limit, offset):
    """Rank among a few known pks: one index lookup each (LATERAL … OFFSET 0 keeps the planner
    from starting at the GIN index, whose estimate for a common Chinese word is far too low)."""
    if not ids:
        return []
    table, pk = _names(model)
    query = tsquery(parts, any_part=any_part)
    sql = (f"SELECT d.{pk}, ts_rank(%s, d.{VECTOR_COLUMN}, to_tsquery('simple', %s), 1) AS rank "
           f"FROM unnest(%s::bigint[]) AS allowed(id) CROSS JOIN LATERAL ("
           f"SELECT {pk}, {VECTOR_COLUMN} FROM {table} WHERE {pk} = allowed.id "
           f"AND {VECTOR_COLUMN} @@ to_tsquery('simple', %s) OFFSET 0) AS d "
           f"ORDER BY rank DESC, d.{pk} DESC LIMIT %s OFFSET %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [PG_WEIGHTS, query, ids, query, limit, offset])
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


def _pg_top(model) -> int | None:
    table, pk = _names(model)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max({pk}) FROM {table}")
        return cursor.fetchone()[0]


def _pg_rank(model, parts, any_part, allowed, limit, offset, *, lower, scan=False, keys=None):
    """([(pk, rank)], how many matched): one page of the matches with pk > lower.

    scan=True reads the window's documents one by one instead of asking the GIN index: the
    planner multiplies the frequencies of a phrase's bigrams (打印 <-> 印机), which always come
    together, so it may expect 20 matches where there are 30,000 and read them all.
    """
    table, pk = _names(model)
    where, allowed_params = _allowed_clause(pk, allowed)
    query = tsquery(parts, any_part=any_part)
    window = f" AND {pk} > {int(lower)}" if lower is not None else ""
    vector = VECTOR_COLUMN if not (scan and lower is not None) else \
        f"coalesce({VECTOR_COLUMN}, ''::tsvector)"  # not the indexed expression
    if keys is not None and not scan:
        source, source_params = _pg_keys_source(model, keys, query, window)
    else:
        matched, matched_params = f"{vector} @@ to_tsquery('simple', %s)", [query]
        if keys is not None:  # read in key order: test the keys, then (CASE) the words
            keys_sql, keys_params = _keys_sql(model, keys)
            matched = f"CASE WHEN {keys_sql} THEN {matched} ELSE false END"
            matched_params = [*keys_params, query]
        source = (f"SELECT {pk}, {VECTOR_COLUMN} FROM {table} "
                  f"WHERE {matched}{window}{where}")
        source_params = [*matched_params, *allowed_params]
    # The newest N matches: by "pk + 0" when the keys select them, so that the planner cannot
    # walk the primary key backwards hoping to meet N of a person's rare matches soon.
    order = f"{pk} + 0" if keys is not None and not scan else pk
    cap = f"ORDER BY {order} DESC LIMIT {int(model.search_candidates)}" \
        if model.search_candidates else ""
    sql = (f"SELECT {pk}, ts_rank(%s, {VECTOR_COLUMN}, to_tsquery('simple', %s), 1) AS rank, "
           f"count(*) OVER () "
           f"FROM (SELECT {pk}, {VECTOR_COLUMN} FROM ({source}) AS source {cap}) AS matches "
           f"ORDER BY rank DESC, {pk} DESC LIMIT %s OFFSET %s")
    params = [PG_WEIGHTS, query, *source_params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows and offset:  # past the end: still say how many there were
        return [], _pg_count(source, source_params)
    return [(row[0], float(row[1])) for row in rows], (rows[0][2] if rows else 0)


def _pg_keys_source(model, keys: Keys, query, window) -> tuple[str, list]:
    """SQL of (pk, vector) of a person's matches, read through the visibility GIN.

    The key values become tags of the document's `visibility` column (operations.
    CreateVisibilityIndex), and `search_vector @@ q AND visibility && tags` is one scan of the
    GIN over both: the OR of the person's groups, "I requested", "assigned to me"…, ANDed with
    the words inside the index, so only their matching rows are read, however old. The few
    incidents they see by id (watched, collaborated on) and by subquery (their groups' tasks)
    are further branches on the primary key. The branches exclude each other's rows (UNION ALL
    needs no sorting out); written as one OR, PostgreSQL would read every match of the words.
    """
    table, pk = _names(model)
    pk_column = model._meta.pk.column
    tags = visibility_tags(list(model.key_fields),
                           {k: v for k, v in keys.values.items() if k != pk_column})
    ids = keys.values.get(pk_column, [])
    words = f"{VECTOR_COLUMN} @@ to_tsquery('simple', %s)"
    select = f"SELECT {pk}, {VECTOR_COLUMN} FROM {table} WHERE"
    branches, params = [], []
    seen, seen_params = "", []  # the branches so far, excluded from the next ones
    if tags:
        branches.append(f"{select} {words} AND {VISIBILITY_COLUMN} && %s::bigint[]{window}")
        params.extend([query, tags])
        seen, seen_params = f" AND NOT ({VISIBILITY_COLUMN} && %s::bigint[])", [tags]
    if ids:
        branches.append(f"{select} {pk} = ANY(%s::bigint[]) AND {words}{window}{seen}")
        params.extend([ids, query, *seen_params])
        seen, seen_params = f"{seen} AND {pk} <> ALL(%s::bigint[])", [*seen_params, ids]
    for sql, sub_params in keys.subqueries:
        branches.append(f"{select} {pk} IN {sql} AND {words}{window}{seen}")
        params.extend([*sub_params, query, *seen_params])
        seen, seen_params = f"{seen} AND {pk} NOT IN {sql}", [*seen_params, *sub_params]
    if not branches:
        return f"{select} false", []
    return " UNION ALL ".join(branches), params


def _pg_count(source: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({source} LIMIT {MIN_CANDIDATES * 10}) m", params)
        return cursor.fetchone()[0]


# --- SQLite ----------------------------------------------------------------------------------

def fts_expression(parts: list[QueryPart], any_part: bool) -> str:
    """The FTS5 MATCH text: a phrase as "a b", a prefix as "a"*, AND-ed or OR-ed."""
    spelt = ['"' + " ".join(part.terms).replace('"', '""') + '"' + ("*" if part.prefix else "")
             for part in parts]
    return (" OR " if any_part else " AND ").join(spelt)


def _sqlite_match(model, parts, any_part, allowed, limit, offset):
    fts = connection.ops.quote_name(fts_table(model._meta.db_table))
    where, allowed_params = _allowed_clause("rowid", allowed)
    newest = f"ORDER BY rowid DESC LIMIT {int(model.search_candidates)}" \
        if model.search_candidates else ""
    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    sql = (f"SELECT id, rank FROM (SELECT rowid AS id, -bm25({fts}, {weights}) AS rank "
           f"FROM {fts} WHERE {fts} MATCH %s{where} {newest}) "
           f"ORDER BY rank DESC, id DESC LIMIT %s OFFSET %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [fts_expression(parts, any_part), *allowed_params, limit, offset])
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


# --- MySQL / MariaDB -------------------------------------------------------------------------

def _like_pattern(part: QueryPart) -> str:
    text = " ".join(part.terms).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"% {text}%" if part.prefix else f"% {text} %"


def _like_where(parts: list[QueryPart], *, any_part: bool) -> tuple[str, list]:
    clauses, params = [], []
    for part in parts:
        pattern = _like_pattern(part)
        clauses.append("(" + " OR ".join(f"{column} LIKE %s" for column, _w in LIKE_WEIGHTS)
                       + ")")
        params.extend([pattern] * len(LIKE_WEIGHTS))
    return (" OR " if any_part else " AND ").join(clauses), params


def _like_score(part: QueryPart, columns: dict[str, str]) -> float:
    needle = " " + " ".join(part.terms) + ("" if part.prefix else " ")
    return sum(weight for column, weight in LIKE_WEIGHTS if needle in columns[column])


def _like_match(model, parts, any_part, allowed, limit, offset, keys=None):
    table, pk = _names(model)
    where, params = _like_where(parts, any_part=any_part)
    extra_where, allowed_params = _allowed_clause(pk, allowed)
    if keys is not None:
        keys_sql, allowed_params = _keys_sql(model, keys)
        extra_where = f" AND {keys_sql}"
    cap = min(model.search_candidates or MYSQL_MAX_CANDIDATES, MYSQL_MAX_CANDIDATES)
    sql = (f"SELECT {pk}, title, body, extra FROM {table} WHERE ({where}){extra_where} "
           f"ORDER BY {pk} DESC LIMIT {cap}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *allowed_params])
        rows = cursor.fetchall()
    scored = []
    for target_pk, title, body, extra in rows:
        columns = {"title": title or "", "body": body or "", "extra": extra or ""}
        score = sum(_like_score(part, columns) for part in parts)
        scored.append((target_pk, score / (1 + len(columns["body"]) / 2000)))
    scored.sort(key=lambda row: (-row[1], -row[0]))
    return scored[offset:offset + limit]
