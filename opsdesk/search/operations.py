"""CreateSearchIndex: the database's own full-text index over a SearchDocument table.

Use it in the migration that creates the document model, after CreateModel:

    from opsdesk.search.operations import CreateSearchIndex
    operations = [migrations.CreateModel(name="ArticleDocument", ...),
                  CreateSearchIndex(model_name="articledocument")]

- PostgreSQL: a stored generated column `search_vector` (title weight A, body B, extra C, the
  'simple' configuration: our terms are already normalised) and a GIN index on it.
- SQLite: an FTS5 table `<table>_fts` with external content (the document table itself, by
  its integer primary key) and triggers that keep it in step with every INSERT, UPDATE and
  DELETE of the document table.
- MySQL/MariaDB: nothing (searches use LIKE on the terms, see backends.py).

The operation is reversible and changes no model state.
"""

from django.db import migrations

VECTOR_COLUMN = "search_vector"


def fts_table(table: str) -> str:
    """The name of the FTS5 table over a document table (SQLite)."""
    return f"{table}_fts"


def _postgresql_sql(table: str, quote) -> list[str]:
    vector = (f"setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') || "
              f"setweight(to_tsvector('simple'::regconfig, coalesce(body, '')), 'B') || "
              f"setweight(to_tsvector('simple'::regconfig, coalesce(extra, '')), 'C')")
    return [
        f"ALTER TABLE {quote(table)} ADD COLUMN {VECTOR_COLUMN} tsvector "
        f"GENERATED ALWAYS AS ({vector}) STORED",
        f"CREATE INDEX {quote(table + '_vector_gin')} ON {quote(table)} "
        f"USING gin ({VECTOR_COLUMN})",
    ]


def _sqlite_sql(table: str, pk: str, quote) -> list[str]:
    fts, t = quote(fts_table(table)), quote(table)
    insert = f"INSERT INTO {fts}(rowid, title, body, extra) VALUES (new.{pk}, new.title, " \
             f"new.body, new.extra);"
    delete = f"INSERT INTO {fts}({fts}, rowid, title, body, extra) VALUES ('delete', " \
             f"old.{pk}, old.title, old.body, old.extra);"
    name = fts_table(table)
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(title, body, extra, content={t}, "
        f"content_rowid={pk}, tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER {quote(name + '_ai')} AFTER INSERT ON {t} BEGIN {insert} END",
        f"CREATE TRIGGER {quote(name + '_ad')} AFTER DELETE ON {t} BEGIN {delete} END",
        f"CREATE TRIGGER {quote(name + '_au')} AFTER UPDATE ON {t} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


class CreateSearchIndex(migrations.operations.base.Operation):
    """Add the vendor's full-text index to the table of a SearchDocument subclass."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str):
        self.model_name = model_name.lower()

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name}

    def state_forwards(self, app_label, state):
        pass  # the column and the index are invisible to the ORM

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        for sql in self._forward_sql(schema_editor.connection, model):
            schema_editor.execute(sql, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        connection, quote = schema_editor.connection, schema_editor.quote_name
        table = model._meta.db_table
        if connection.vendor == "postgresql":
            statements = [f"DROP INDEX IF EXISTS {quote(table + '_vector_gin')}",
                          f"ALTER TABLE {quote(table)} DROP COLUMN IF EXISTS {VECTOR_COLUMN}"]
        elif connection.vendor == "sqlite":
            name = fts_table(table)
            statements = [f"DROP TRIGGER IF EXISTS {quote(name + s)}" for s in ("_ai", "_ad", "_au")]
            statements.append(f"DROP TABLE IF EXISTS {quote(name)}")
        else:
            statements = []
        for sql in statements:
            schema_editor.execute(sql, params=None)

    def _forward_sql(self, connection, model) -> list[str]:
        quote = connection.ops.quote_name
        table = model._meta.db_table
        if connection.vendor == "postgresql":
            return _postgresql_sql(table, quote)
        if connection.vendor == "sqlite":
            return _sqlite_sql(table, quote(model._meta.pk.column), quote)
        return []

    def describe(self):
        return f"Create the full-text search index of {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"search_index_{self.model_name}"


VISIBILITY_COLUMN = "visibility"
TAG_KINDS = 8  # a key's tag is value * TAG_KINDS + (its position in the key list + 1)


def visibility_gin_name(table: str) -> str:
    return f"{table}_visibility_gin"


def key_btree_name(table: str, column: str) -> str:
    return f"{table[:40]}_{column}"


def visibility_tags(keys: list[str], values: dict[str, list[int]]) -> list[int]:
    """The tags of `visibility` that stand for key = value (see CreateVisibilityIndex)."""
    return [int(v) * TAG_KINDS + keys.index(key) + 1 for key, vs in values.items() for v in vs]


class CreateVisibilityIndex(migrations.operations.base.Operation):
    """Index a document table's key columns (who may see the record) for restricted searches.

    - PostgreSQL: a stored generated column `visibility bigint[]` holding one tag per non-null
      key (value * 8 + the key's position: group 7 -> 57, requester 39 -> 314), and ONE
      multicolumn GIN over (search_vector, visibility) replacing the vector-only GIN. A person's
      matches are then a single index scan: `search_vector @@ q AND visibility && '{57,314,315}'`
      (the overlap is the OR of their groups, "I requested", "assigned to me"…, intersected
      with the words inside the index), so only their matching rows are read. Built-in
      operator classes only: no extension needed. Queries on the vector alone use the same
      index as before. The column follows the keys by itself, like search_vector the terms.
    - SQLite, MySQL/MariaDB: a btree index per key.

    Run it after the key columns exist and are filled (building the GIN once is much faster than
    keeping it up to date through an UPDATE of every row).
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, keys: list[str]):
        self.model_name = model_name.lower()
        self.keys = list(keys)

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "keys": self.keys}

    def state_forwards(self, app_label, state):
        pass  # invisible to the ORM, like CreateSearchIndex

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        connection, quote = schema_editor.connection, schema_editor.quote_name
        table = model._meta.db_table
        if connection.vendor == "postgresql":
            tags = ", ".join(f"{quote(key)} * {TAG_KINDS} + {i + 1}"
                             for i, key in enumerate(self.keys))
            statements = [
                f"ALTER TABLE {quote(table)} ADD COLUMN {VISIBILITY_COLUMN} bigint[] "
                f"GENERATED ALWAYS AS (array_remove(ARRAY[{tags}]::bigint[], NULL)) STORED",
                f"CREATE INDEX {quote(visibility_gin_name(table))} ON {quote(table)} "
                f"USING gin ({VECTOR_COLUMN}, {VISIBILITY_COLUMN})",
                f"DROP INDEX IF EXISTS {quote(table + '_vector_gin')}",
            ]
        else:
            statements = [f"CREATE INDEX {quote(key_btree_name(table, key))} ON {quote(table)} "
                          f"({quote(key)})" for key in self.keys]
        for sql in statements:
            schema_editor.execute(sql, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        connection, quote = schema_editor.connection, schema_editor.quote_name
        table = model._meta.db_table
        if connection.vendor == "postgresql":
            statements = [
                f"CREATE INDEX IF NOT EXISTS {quote(table + '_vector_gin')} ON {quote(table)} "
                f"USING gin ({VECTOR_COLUMN})",
                f"DROP INDEX IF EXISTS {quote(visibility_gin_name(table))}",
                f"ALTER TABLE {quote(table)} DROP COLUMN IF EXISTS {VISIBILITY_COLUMN}",
            ]
        elif connection.vendor == "mysql":
            statements = [f"DROP INDEX {quote(key_btree_name(table, key))} ON {quote(table)}"
                          for key in self.keys]
        else:
            statements = [f"DROP INDEX IF EXISTS {quote(key_btree_name(table, key))}"
                          for key in self.keys]
        for sql in statements:
            schema_editor.execute(sql, params=None)

    def describe(self):
        return f"Index who may see each {self.model_name} for restricted searches"

    @property
    def migration_name_fragment(self):
        return f"visibility_index_{self.model_name}"
