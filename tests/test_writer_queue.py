"""On SQLite a worker's writing requests queue on one lock instead of SQLite's polling busy
handler; reads never wait for it, and PostgreSQL (row locks) does not use it at all."""

import threading
import time

from django.db import connection
from django.test import RequestFactory

from hindsight.lib.writers import SqliteWriterQueue


def _most_at_once(method: str) -> int:
    running, most, guard = 0, 0, threading.Lock()

    def view(request):
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with guard:
            running -= 1
        return None

    middleware = SqliteWriterQueue(view)
    request = getattr(RequestFactory(), method.lower())("/api/postmortems")
    threads = [threading.Thread(target=middleware, args=(request,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return most


def test_writes_queue_one_at_a_time_on_sqlite_only(db):
    expected = 1 if connection.vendor == "sqlite" else 4
    assert _most_at_once("POST") == expected
    assert _most_at_once("PATCH") == expected


def test_reads_never_wait_for_the_writers_lock(db):
    assert _most_at_once("GET") == 4
