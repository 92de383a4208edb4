"""Bearer tokens: kept only as a SHA-256 digest, refused once revoked or when the user is
deactivated, and their last use recorded."""

import hashlib
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from hindsight.accounts.models import ApiToken
from hindsight.accounts.services import create_token, revoke_token


def call(client, token: str):
    return client.get("/api/postmortems", HTTP_AUTHORIZATION=f"Bearer {token}")


def every_stored_value() -> list[str]:
    """Every value in every table of the database, as text."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table.startswith("postmortem_fts_"):  # FTS5 shadow tables hold blobs
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            values += [str(value) for row in cursor.fetchall() for value in row]
    return values


def test_a_token_is_stored_only_as_its_sha256_digest(alice, client):
    token, secret = create_token(alice, label="laptop")
    assert call(client, secret).status_code == 200

    token.refresh_from_db()
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.hint)
    assert len(token.hint) < len(secret) // 4
    stored = every_stored_value()
    assert token.digest in stored  # the scan does see the token table
    assert not any(secret in value for value in stored)


def test_tokens_are_random_and_long(alice):
    secrets = {create_token(alice)[1] for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(s) >= 40 for s in secrets)


def test_a_revoked_token_is_refused(alice, client):
    token, secret = create_token(alice)
    assert call(client, secret).status_code == 200

    revoke_token(token.pk)

    response = call(client, secret)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.filter(pk=token.pk).exists()  # kept for the record


def test_revoking_one_token_leaves_the_others_working(alice, client):
    first, first_secret = create_token(alice)
    _, second_secret = create_token(alice)
    revoke_token(first.pk)
    assert call(client, first_secret).status_code == 401
    assert call(client, second_secret).status_code == 200


def test_a_deactivated_users_token_is_refused(alice, client):
    _, secret = create_token(alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    assert call(client, secret).status_code == 401

    alice.is_active = True
    alice.save(update_fields=["is_active"])
    assert call(client, secret).status_code == 200


def test_an_unknown_or_malformed_token_is_refused(alice, client):
    _, secret = create_token(alice)
    for header in (f"Bearer {secret}x", f"Bearer {secret[:-1]}", secret, f"Basic {secret}", ""):
        response = client.get("/api/postmortems", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


def test_last_used_at_is_set_by_a_call(alice, client):
    token, secret = create_token(alice)
    assert token.last_used_at is None

    before = timezone.now()
    assert call(client, secret).status_code == 200

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert before <= token.last_used_at <= timezone.now()


def test_last_used_at_is_written_at_most_once_a_minute(alice, client):
    token, secret = create_token(alice)
    call(client, secret)
    token.refresh_from_db()
    first = token.last_used_at

    call(client, secret)
    token.refresh_from_db()
    assert token.last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=5))
    call(client, secret)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_a_revoked_token_does_not_record_a_use(alice, client):
    token, secret = create_token(alice)
    revoke_token(token.pk)
    call(client, secret)
    token.refresh_from_db()
    assert token.last_used_at is None


def test_the_caller_is_the_tokens_user(alice, bob, client, incident, seed_body):
    _, secret = create_token(bob)
    response = client.post(
        "/api/postmortems",
        seed_body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 201
    assert response.json()["createdBy"] == "bob"
