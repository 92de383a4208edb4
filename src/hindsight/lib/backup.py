"""Online backups of the SQLite database."""

import sqlite3
from pathlib import Path

from django.conf import settings
from django.db import connection

from hindsight.lib.errors import Invalid


def backup_sqlite(target: Path) -> int:
    """Copy the live database to TARGET with SQLite's backup API, which gives a consistent
    snapshot while the server keeps reading and writing. Returns the copy's size in bytes."""
    if connection.vendor != "sqlite":
        raise Invalid(
            "hindsight backup copies SQLite databases; for PostgreSQL use pg_dump"
            ' (see README "Backups").',
            fields={"DATABASE_URL": "not SQLite"},
        )
    source_path = settings.DATABASES["default"]["NAME"]
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=1024)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    finally:
        source.close()
    partial.replace(target)
    return target.stat().st_size
