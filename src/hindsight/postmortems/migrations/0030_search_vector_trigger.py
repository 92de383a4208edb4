from django.db import migrations

# The weighted document search.py describes (title A, summary and root cause B, impact C),
# kept by PostgreSQL itself as each row is written.
FUNCTION = """
CREATE OR REPLACE FUNCTION postmortem_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english'::regconfig, COALESCE(NEW.title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, COALESCE(NEW.summary, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, COALESCE(NEW.root_cause, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, COALESCE(NEW.impact, '')), 'C');
    RETURN NEW;
END
$$
"""
TRIGGER = """
CREATE TRIGGER postmortem_search_vector
BEFORE INSERT OR UPDATE OF title, summary, impact, root_cause ON postmortems_postmortem
FOR EACH ROW EXECUTE FUNCTION postmortem_search_vector()
"""


def create(apps, schema_editor):
    """On PostgreSQL the search document is computed as the row is written, in the same
    statement: a create writes its row once instead of inserting it and then updating it
    (which wrote a second version of the row and of each of its index entries), and every
    writer (the services, the admin, a bulk load) keeps it current. SQLite's FTS5 table is
    still written by search.reindex."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS postmortem_search_vector ON postmortems_postmortem"
        )
        schema_editor.execute(TRIGGER)


def drop(apps, schema_editor):
    # Only with the code of before this migration, whose search.reindex writes the column.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS postmortem_search_vector ON postmortems_postmortem"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS postmortem_search_vector()")


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0029_search_cover_index")]

    operations = [migrations.RunPython(create, drop)]
