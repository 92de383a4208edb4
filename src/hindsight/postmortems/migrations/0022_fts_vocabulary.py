"""FTS5's term statistics (documents per term), read to query a report's rarer words."""

from django.db import migrations

CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS postmortem_fts_vocab USING fts5vocab(postmortem_fts, 'row')"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS postmortem_fts_vocab")


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0021_priority_done_index")]
    operations = [migrations.RunPython(create, drop)]
