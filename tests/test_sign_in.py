"""One throttle for every sign-in form (the web app's and the admin's), taken atomically and
keyed on the client's address; and passwords a guesser tries first are refused."""

import threading

import pytest
from django.db import connection
from django.test import Client, override_settings

from hindsight.accounts.models import User
from hindsight.accounts.services import create_user
from hindsight.lib.errors import Invalid
from hindsight.web import throttle

PASSWORD = "a long enough password"


def _web(client, username, password, **meta):
    return client.post("/login", {"username": username, "password": password}, **meta)


def _admin(client, username, password, **meta):
    data = {"username": username, "password": password, "next": "/admin/"}
    return client.post("/admin/login/", data, **meta)


def test_the_admin_sign_in_is_throttled_too(admin):
    client = Client()
    for _ in range(throttle.MAX_PER_ACCOUNT):
        assert _admin(client, "root", "wrong").status_code == 200
    response = _admin(client, "root", PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_on_either_form_count_against_both(admin):
    client = Client()
    for _ in range(3):
        _web(client, "root", "wrong")
    for _ in range(2):
        _admin(client, "root", "wrong")
    assert _web(client, "root", PASSWORD).status_code == 429
    assert _admin(client, "root", PASSWORD).status_code == 429


@override_settings(TRUST_PROXY=True)
def test_behind_a_trusted_proxy_made_up_names_lock_out_only_their_own_address(alice):
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for index in range(throttle.MAX_PER_ADDRESS):
        _web(Client(), f"made-up-{index}", "wrong", HTTP_X_FORWARDED_FOR="127.0.0.9", **proxy)
    assert (
        _web(Client(), "alice", PASSWORD, HTTP_X_FORWARDED_FOR="127.0.0.9", **proxy).status_code
        == 429
    )
    # Alice, from her own address behind the same proxy, is not locked out.
    response = _web(Client(), "alice", PASSWORD, HTTP_X_FORWARDED_FOR="127.0.0.10", **proxy)
    assert response.status_code == 302
    # The proxy appends the address it saw: what the client put before it is not trusted.
    spoofed = "127.0.0.77, 127.0.0.9"
    assert (
        _web(Client(), "alice", PASSWORD, HTTP_X_FORWARDED_FOR=spoofed, **proxy).status_code == 429
    )


def test_without_a_trusted_proxy_x_forwarded_for_does_not_evade_the_limit(alice):
    for index in range(throttle.MAX_PER_ACCOUNT):
        _web(Client(), "alice", "wrong", HTTP_X_FORWARDED_FOR=f"127.0.1.{index}")
    assert _web(Client(), "alice", PASSWORD, HTTP_X_FORWARDED_FOR="127.0.2.1").status_code == 429


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_forty_gets_exactly_the_limit_checked(make_user, monkeypatch):
    make_user("alice")
    checked = []
    original = throttle.ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        checked.append(username)
        return original(self, request, username, password, **kwargs)

    monkeypatch.setattr(throttle.ModelBackend, "authenticate", counting)
    statuses = []
    start = threading.Barrier(40)

    def attempt():
        try:
            start.wait()
            statuses.append(_web(Client(), "alice", "wrong", REMOTE_ADDR="127.0.0.3").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == throttle.MAX_PER_ACCOUNT
    assert sorted(statuses) == [200] * throttle.MAX_PER_ACCOUNT + [429] * (
        40 - throttle.MAX_PER_ACCOUNT
    )


@pytest.mark.parametrize(
    "username, email, password",
    [
        ("wes", "wes@example.com", "83749261"),  # all digits
        ("wesley.ford", "wes@example.com", "wesley.ford"),  # the user name
        ("wes", "wes@example.com", " " * 8),  # only spaces
        ("wes", "wesley.ford@example.com", "wesley.ford@example.com"),  # the email
    ],
)
def test_guessable_passwords_are_refused_by_the_cli_path(db, username, email, password):
    with pytest.raises(Invalid) as refused:
        create_user(username, password=password, email=email)
    assert refused.value.fields == {"password": "too weak"}
    assert not User.objects.filter(username=username).exists()


@pytest.mark.parametrize(
    "password", ["83749261", "wesley.ford", " " * 8, "wesley.ford@example.com"]
)
def test_guessable_passwords_are_refused_in_the_admin(admin, password):
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "wesley.ford",
            "email": "wesley.ford@example.com",
            "role": "member",
            "password1": password,
            "password2": password,
            "usable_password": "true",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not User.objects.filter(username="wesley.ford").exists()


def test_guessable_passwords_are_refused_when_changing_ones_own(alice):
    client = Client()
    client.force_login(alice)
    for password in ("83749261", "alice@example.com", " " * 10):
        response = client.post(
            "/account/password",
            {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
        )
        assert response.status_code == 200, password
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
