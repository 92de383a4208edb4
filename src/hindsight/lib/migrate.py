"""Migrations that several servers may start at once without racing each other."""

import fcntl
from contextlib import contextmanager

from django.conf import settings
from django.core.management import call_command
from django.db import connection

# Any fixed number, shared by every Hindsight server on one PostgreSQL database.
_PG_LOCK_KEY = 0x48494E44  # "HIND"


@contextmanager
def _migration_lock():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_PG_LOCK_KEY])
            try:
                yield
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_PG_LOCK_KEY])
        return
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    with (settings.DATA_DIR / "migrate.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def migrate_locked(verbosity: int = 0) -> None:
    """Apply pending migrations; a second server waits, then finds nothing left to do."""
    with _migration_lock():
        call_command("migrate", interactive=False, verbosity=verbosity)
    connection.close()  # do not hand a connection over to forked workers
