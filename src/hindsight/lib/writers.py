"""Write transactions, and on SQLite one writer at a time per process, queued in the process.

SQLite allows one writing transaction at a time. A thread that finds the database locked
waits in SQLite's busy handler, which sleeps and retries (up to 100 ms a sleep), so with
several threads per worker the unlucky ones wait far longer than the write takes. Queueing
a worker's writers on a lock hands the database over as soon as it is free; writers in
other processes still wait in the busy handler, but there are only as many of them as
workers. The lock is held around the transaction only, not around the request's parsing,
sign-in or rendering. PostgreSQL locks rows, not the database, so it needs none of this.
"""

import threading
from contextlib import contextmanager

from django.db import connection, transaction

# Re-entrant: a service that writes may call another (a bulk change calls the one-item one).
_lock = threading.RLock()


@contextmanager
def write_transaction():
    """transaction.atomic(), holding this process's SQLite writer lock around it."""
    if connection.vendor != "sqlite":
        with transaction.atomic():
            yield
        return
    with _lock, transaction.atomic():
        yield
