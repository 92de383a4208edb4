"""SQLite's planner statistics, taken again as a table grows.

SQLite chooses among indexes by the sizes ANALYZE recorded (sqlite_stat1). Without them (a
new database, migrated while empty) it guesses, and prefers a unique index to one that
answers the query alone: the search joins its matches through the wide rows instead of its
covering index (postmortems migration 0029), about twice the time at 100,000 reports.
`hindsight worker` calls analyze_if_grown with its periodic checks. PostgreSQL's autovacuum
keeps its own statistics.
"""

from django.db import connection

from hindsight.lib.writers import write_transaction

# Taken again once the table holds this many times the rows last recorded, and not before
# it holds MINIMUM_ROWS (below that every plan is fast).
GROWTH = 4
MINIMUM_ROWS = 1000
# Rows ANALYZE reads per index: enough for the planner's choice, milliseconds at any size.
ANALYSIS_LIMIT = 1000


def recorded_rows(table: str) -> int | None:
    """The rows TABLE held when ANALYZE last counted it (None: never, or while empty)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return None
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
        row = cursor.fetchone()
    return int(row[0].split()[0]) if row and row[0] else None


def analyze_if_grown(table: str) -> bool:
    """Run ANALYZE (bounded by ANALYSIS_LIMIT) when TABLE has grown GROWTH times past what the
    statistics recorded, or has none and holds MINIMUM_ROWS; returns whether it ran."""
    if connection.vendor != "sqlite":
        return False
    recorded = recorded_rows(table)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        (rows,) = cursor.fetchone()
    if rows < MINIMUM_ROWS or (recorded is not None and rows < recorded * GROWTH):
        return False
    with write_transaction(), connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
    return True
