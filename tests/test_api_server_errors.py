"""A failure nothing else answers is, under /api/, the API's own error shape (JSON, 500) and
logged as Django logs a 500; pages keep the styled 500 page."""

import logging

import pytest
from django.test import Client

from hindsight.postmortems import listing


@pytest.fixture
def broken_list(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("a bug in the list")

    monkeypatch.setattr(listing, "page", fail)


def test_an_unexpected_failure_answers_the_apis_error_shape_and_is_logged(
    alice, api_for, broken_list, caplog
):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = api_for(alice).get("/api/postmortems")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "server_error" and body["fields"] == {}
    assert "a bug in the list" not in response.content.decode()  # no internals to the client
    logged = [r for r in caplog.records if r.name == "django.request"]
    assert logged and logged[0].exc_info[1].args == ("a bug in the list",)


def test_a_page_keeps_the_styled_500(alice, monkeypatch):
    from hindsight.web import views

    def fail(*args, **kwargs):
        raise RuntimeError("a bug on the home page")

    monkeypatch.setattr(views.queries, "home", fail)
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 500
    assert "text/html" in response["Content-Type"]
