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
