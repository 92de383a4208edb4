"""Migrations that several servers may start at once without racing each other."""

import fcntl
from contextlib import contextmanager

from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.migrations.executor import MigrationExecutor

# Any fixed number, shared by every Hindsight server on one PostgreSQL database.
_PG_LOCK_KEY = 0x48494E44  # "HIND"


@contextmanager
def _migration_lock():
    """One migrator at a time: a PostgreSQL advisory lock (held by this session, released
    if the process dies), or on SQLite an flock on a file beside the database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Building an index on a large table may take longer than a request may.
            cursor.execute("SET statement_timeout = 0")
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


def pending_migrations() -> list:
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def migrate_locked(verbosity: int = 0, *, then=None) -> int:
    """Apply pending migrations and return how many this process applied: a second server
    waits for the first, then finds nothing left to do (0). THEN, if given, runs under the
    same lock afterwards (bringing stored data up to date), so servers do not race on it."""
    try:
        with _migration_lock():
            # Planned under the lock: what another server applied meanwhile is not pending.
            count = len(pending_migrations())
            if count:
                call_command(
                    "migrate", database=DEFAULT_DB_ALIAS, interactive=False, verbosity=verbosity
                )
            if then is not None:
                then()
    finally:
        connection.close()  # do not hand a connection over to forked workers
    return count


def ensure_migrated() -> int:
    """For commands other than serve: bring a fresh or older database up to date first,
    so `hindsight user add` works on a new installation. Cheap when nothing is pending."""
    if not pending_migrations():
        return 0
    return migrate_locked()
