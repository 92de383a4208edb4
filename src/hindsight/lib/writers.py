"""One writer at a time per process on SQLite, queued in the process instead of polling.

SQLite allows one writing transaction at a time. A thread that finds the database locked
waits in SQLite's busy handler, which sleeps and retries (up to 100 ms a sleep), so with
several threads per worker the unlucky ones wait far longer than the write takes. Queueing
a worker's writing requests on a lock hands the database over as soon as it is free;
writers in other processes still wait in the busy handler, but there are only as many of
them as workers. PostgreSQL locks rows, not the database, so it needs none of this.
"""

import threading

from django.db import connection

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_lock = threading.Lock()


class SqliteWriterQueue:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in _WRITE_METHODS or connection.vendor != "sqlite":
            return self.get_response(request)
        with _lock:
            return self.get_response(request)
