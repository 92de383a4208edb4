"""Sign-in attempts are throttled per user name and address, and per address."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from hindsight.web import throttle
from hindsight.web.models import SignInFailure

PASSWORD = "a long enough password"


def _sign_in(client, username, password, ip="10.0.0.1"):
    return client.post("/login", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_signing_in_and_out(client, alice):
    response = _sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_it_refuses_even_the_right_password_after_five_failures(client, alice):
    for _ in range(throttle.MAX_PER_ACCOUNT):
        response = _sign_in(client, "alice", "wrong")
        assert response.status_code == 200
        assert "Please enter a correct" in response.content.decode()
    response = _sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not affected, and the same user name typed differently is.
    assert _sign_in(Client(), "ALICE", PASSWORD).status_code == 429
    assert _sign_in(Client(), "alice", PASSWORD, ip="10.0.0.2").status_code == 302


def test_the_pause_ends_when_the_window_has_passed(client, alice):
    for _ in range(throttle.MAX_PER_ACCOUNT):
        _sign_in(client, "alice", "wrong")
    SignInFailure.objects.update(at=timezone.now() - throttle.WINDOW - timedelta(seconds=1))
    assert _sign_in(client, "alice", PASSWORD).status_code == 302


def test_a_success_clears_the_count(client, alice):
    for _ in range(throttle.MAX_PER_ACCOUNT - 1):
        _sign_in(client, "alice", "wrong")
    assert _sign_in(client, "alice", PASSWORD).status_code == 302
    assert not SignInFailure.objects.filter(key__startswith="alice|").exists()


def test_one_address_trying_many_names_is_throttled(client, alice):
    for index in range(throttle.MAX_PER_ADDRESS):
        _sign_in(client, f"guess{index}", "wrong")
    assert _sign_in(client, "alice", PASSWORD).status_code == 429


def test_changing_the_password(client, alice):
    client.force_login(alice)
    response = client.post(
        "/account/password",
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase",
            "new_password2": "another long passphrase",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another long passphrase")


def test_creating_and_revoking_a_token(client, alice):
    from hindsight.accounts.services import user_for_token

    client.force_login(alice)
    response = client.post("/account/tokens", {"label": "laptop"})
    body = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    secret = body.split('id="new-token" class="mono" type="text" value="')[1].split('"')[0]
    assert user_for_token(secret) == alice
    token = alice.tokens.get(label="laptop")
    assert secret not in client.get("/account/tokens").content.decode()  # shown once
    client.post(f"/account/tokens/{token.id}/revoke")
    assert user_for_token(secret) is None
