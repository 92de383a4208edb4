"""On SQLite a worker's writers queue on one lock, held around the write transaction only
(not around parsing, sign-in or rendering); PostgreSQL (row locks) does not use it."""

import threading

from django.db import connection

from hindsight.lib import writers


def _free_in_another_thread() -> bool:
    result = []

    def probe():
        got = writers._lock.acquire(blocking=False)
        if got:
            writers._lock.release()
        result.append(got)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return result[0]


def test_the_lock_is_held_inside_a_write_transaction_on_sqlite_only(db):
    assert _free_in_another_thread()
    with writers.write_transaction():
        assert connection.in_atomic_block
        assert _free_in_another_thread() is (connection.vendor != "sqlite")
        with writers.write_transaction():  # a service calling another: re-entrant
            assert connection.in_atomic_block
    assert _free_in_another_thread()
