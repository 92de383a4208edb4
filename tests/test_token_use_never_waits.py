"""Checking a bearer token reads; recording its last use must never make a read wait
behind another request's write (SQLite: the one writer; PostgreSQL: the token's row)."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from hindsight.accounts.models import ApiToken
from hindsight.accounts.services import create_token
from hindsight.lib.writers import write_transaction

HOLD = 4.0  # seconds the other request's write lasts


def _hold_a_write(token_id: int, started: threading.Event, release: threading.Event):
    try:
        with write_transaction():
            # Touch the token's own row too, so PostgreSQL holds its lock.
            ApiToken.objects.filter(pk=token_id).update(label="held by a long write")
            started.set()
            release.wait(HOLD)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_first_get_with_a_new_token_answers_promptly_during_a_long_write(make_user):
    alice = make_user("alice")
    token, secret = create_token(alice)
    started, release = threading.Event(), threading.Event()
    writer = threading.Thread(target=_hold_a_write, args=(token.pk, started, release))
    writer.start()
    try:
        assert started.wait(5)
        begun = time.monotonic()
        response = Client().get("/api/postmortems", HTTP_AUTHORIZATION=f"Bearer {secret}")
        took = time.monotonic() - begun
    finally:
        release.set()
        writer.join()
    assert response.status_code == 200, response.content[:300]
    assert took < 1.5, f"the GET waited {took:.1f} s behind the write"
    # Skipped while busy; the next call once the write is over records it.
    assert (
        Client().get("/api/postmortems", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    )
    token.refresh_from_db()
    assert token.last_used_at is not None
