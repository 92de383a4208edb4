from django.db import migrations

INDEX = "pm_search_cover_idx"


def create(apps, schema_editor):
    """SQLite's full-text search joins each match to its post-mortem by search_key, for the
    visibility rule (status, author, id) and the ranked order (created_at, id): an index
    holding those answers the join alone, where the table's rows (wide: they hold the stored
    document) cost a read each, about 5 µs a match. PostgreSQL's search reads its own
    GIN-indexed column and needs none. The planner prefers the unique index on search_key
    unless it knows the sizes: ANALYZE after (on a new, empty database `hindsight worker`
    takes the statistics once the table has grown: lib/sqlite_stats). Django's model
    state does not know this index, and a migration that rebuilds the table on SQLite
    would drop it: tests/test_search_index.py checks it on the migrated database."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON postmortems_postmortem"
            " (search_key, status, created_by_id, created_at, id)"
        )
        schema_editor.execute("ANALYZE postmortems_postmortem")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0028_related_kept")]

    operations = [migrations.RunPython(create, drop)]
