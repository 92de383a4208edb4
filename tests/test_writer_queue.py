"""On SQLite writers queue on one lock (a thread lock in the process, then a file lock
across the server's processes), held around the write transaction only (not around
parsing, sign-in or rendering); PostgreSQL (row locks) does not use it."""

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


def test_other_processes_wait_on_the_lock_file_during_a_write_on_sqlite(db):
    import fcntl
    from pathlib import Path

    import pytest

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writers lock rows, not a file")
    # Another process's handle on the same file: a handle of its own, as a server worker has.
    other = Path(connection.settings_dict["NAME"]).with_suffix(".writelock").open("a")

    def free() -> bool:
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(other, fcntl.LOCK_UN)
        return True

    try:
        with writers.write_transaction():
            assert not free()
        assert free()
    finally:
        other.close()
