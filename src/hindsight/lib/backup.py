"""Online backups of the SQLite database."""

import sqlite3
from pathlib import Path

from django.conf import settings
from django.db import connection

from hindsight.lib.errors import Invalid, NotFound


def backup_sqlite(target: Path) -> int:
    """Copy the live database to TARGET with SQLite's backup API, which gives a consistent
    snapshot while the server keeps reading and writing. Returns the copy's size in bytes."""
    if connection.vendor != "sqlite":
        raise Invalid(
            "hindsight backup copies SQLite databases; for PostgreSQL use pg_dump"
            ' (see README "Backups").',
            fields={"DATABASE_URL": "not SQLite"},
        )
    source_path = Path(settings.DATABASES["default"]["NAME"])
    if not source_path.exists():  # sqlite3.connect would create an empty one
        raise NotFound(f"There is no database at {source_path} to back up.")
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Read-only: the backup must never create, change or lock out the live database.
    source = sqlite3.connect(f"{source_path.as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            # In one step (pages=-1): stepping in chunks restarts whenever the server writes
            # in between, and may never finish on a busy database. One step reads a single
            # snapshot; WAL lets the server keep writing meanwhile.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    finally:
        source.close()
    partial.replace(target)
    return target.stat().st_size
