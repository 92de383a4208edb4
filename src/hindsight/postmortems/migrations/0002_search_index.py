"""The full-text index: an FTS5 table on SQLite, a GIN index on PostgreSQL."""

from django.db import migrations

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS postmortem_fts USING fts5("
    "title, summary, impact, root_cause, tokenize='unicode61 remove_diacritics 2')"
)
PG_CREATE = (
    "CREATE INDEX IF NOT EXISTS pm_search_gin ON postmortems_postmortem USING gin (search_vector)"
)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        schema_editor.execute(PG_CREATE)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS postmortem_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS pm_search_gin")


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
