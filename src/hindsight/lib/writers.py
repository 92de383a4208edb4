"""Write transactions, and on SQLite one writer at a time, queued instead of polling.

SQLite allows one writing transaction at a time. A writer that finds the database locked
waits in SQLite's busy handler, which sleeps and retries (up to 100 ms a sleep), so under
load the unlucky writers wait far longer than the writes take. Instead, writers queue on a
lock the operating system hands over as soon as it is free: a thread lock within a process,
then an exclusive `flock` on a file beside the database across the server's processes.
The lock is held around the transaction only, not around the request's parsing, sign-in
or rendering. PostgreSQL locks rows, not the database, so it needs none of this.
"""

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, transaction

# Re-entrant: a service that writes may call another (a bulk change calls the one-item one).
_lock = threading.RLock()
_held = threading.local()
_file = None
_file_pid = None


def _lock_file():
    """This process's own handle on the lock file. A handle opened before the server forks
    its workers would be shared by them, and flock locks a handle, not a process: so each
    process opens its own."""
    global _file, _file_pid
    if _file is None or _file_pid != os.getpid():
        path = Path(connection.settings_dict["NAME"]).with_suffix(".writelock")
        _file = path.open("a")  # noqa: SIM115 - kept open for the life of the process
        _file_pid = os.getpid()
    return _file


@contextmanager
def write_transaction():
    """transaction.atomic(), on SQLite holding the writers' lock around it."""
    if connection.vendor != "sqlite":
        with transaction.atomic():
            yield
        return
    with _lock:
        outermost = not getattr(_held, "depth", 0)
        _held.depth = getattr(_held, "depth", 0) + 1
        try:
            if outermost:
                fcntl.flock(_lock_file(), fcntl.LOCK_EX)
            try:
                with transaction.atomic():
                    yield
            finally:
                if outermost:
                    fcntl.flock(_lock_file(), fcntl.LOCK_UN)
        finally:
            _held.depth -= 1


@contextmanager
def write_if_free():
    """Yield True inside a write transaction if one can begin at once, else yield False
    and write nothing: for bookkeeping a read may skip (a token's last use) rather than
    wait behind another request's long write. On PostgreSQL a write never waits for the
    database, only for a row; callers lock theirs with select_for_update(skip_locked=True)."""
    if connection.vendor != "sqlite":
        with transaction.atomic():
            yield True
        return
    if getattr(_held, "depth", 0):  # this thread is already the writer
        with write_transaction():
            yield True
        return
    if not _lock.acquire(blocking=False):
        yield False
        return
    try:
        try:
            fcntl.flock(_lock_file(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        _held.depth = 1
        try:
            with transaction.atomic():
                yield True
        finally:
            _held.depth = 0
            fcntl.flock(_lock_file(), fcntl.LOCK_UN)
    finally:
        _lock.release()
