"""Refusals and failures are styled pages with the navigation: 403 says why, 404 says what
is missing, and 500 renders with neither a database nor a signed-in user."""

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError
from django.test import Client
from django.urls import include, path

# As this module is a URLconf (below), it answers errors with the app's own handlers.
from hindsight.urls import handler403, handler404  # noqa: F401


def _boom(request):
    raise OperationalError("the database went away")


def _refuse(request):
    raise DjangoPermissionDenied("Only the on-call lead may open this.")


# This module is the URLconf of the tests marked with it: the app plus views that fail.
urlpatterns = [
    path("boom", _boom),
    path("refuse", _refuse),
    path("", include("hindsight.urls")),
]


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def _has_navigation(body: str) -> bool:
    return 'aria-label="Main"' in body and 'href="/postmortems"' in body


def test_an_address_that_matches_nothing_is_a_styled_404_with_the_navigation(signed_in):
    response = signed_in.get("/no/such/page")
    body = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in body and "There is no page at this address." in body
    assert _has_navigation(body)
    assert "Resolver404" not in body  # Django's internals are not a message for people


def test_a_missing_report_is_a_404_naming_what_is_missing(signed_in):
    response = signed_in.get("/postmortems/pm_nope")
    body = response.content.decode()
    assert response.status_code == 404
    assert "There is no post-mortem pm_nope." in body
    assert _has_navigation(body)


def test_someone_elses_draft_is_the_same_404(client, postmortem, bob):
    client.force_login(bob)
    response = client.get(f"/postmortems/{postmortem['id']}")
    assert response.status_code == 404
    assert f"There is no post-mortem {postmortem['id']}." in response.content.decode()


def test_a_404_when_signed_out_offers_to_sign_in(client, db):
    response = client.get("/no/such/page")
    body = response.content.decode()
    assert response.status_code == 404
    assert 'href="/login"' in body and "Not found" in body


def test_a_refused_page_is_a_styled_403_that_says_why(client, carol):
    client.force_login(carol)
    response = client.get("/postmortems/new")
    body = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in body
    assert "Viewers cannot create post-mortems" in body
    assert _has_navigation(body)


@pytest.mark.urls(__name__)
def test_djangos_own_permission_denied_is_the_same_styled_403(signed_in):
    response = signed_in.get("/refuse")
    body = response.content.decode()
    assert response.status_code == 403
    assert "Only the on-call lead may open this." in body and _has_navigation(body)


@pytest.mark.urls(__name__)
def test_a_failure_is_a_styled_500_rendered_without_database_or_user(db, django_db_blocker):
    client = Client(raise_request_exception=False)
    with django_db_blocker.block():  # any query from here on raises
        response = client.get("/boom")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body and "Nothing you sent was saved" in body
    assert _has_navigation(body)
    assert 'aria-label="Account"' not in body  # no user to name
    assert "the database went away" not in body  # no internals shown
    assert 'rel="icon"' in body and "/static/web/logo.svg" in body


def test_the_500_template_needs_no_context_at_all():
    from django.template import loader

    body = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in body and 'href="/incidents"' in body


def test_pages_name_the_favicon_and_show_the_logo(signed_in, db):
    body = signed_in.get("/").content.decode()
    assert '<link rel="icon" href="/static/web/logo.svg" type="image/svg+xml">' in body
    assert '<img src="/static/web/logo.svg" alt=""' in body
    response = signed_in.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/web/logo.svg"


def test_the_logo_is_our_own_svg_file():
    from xml.etree import ElementTree

    from django.contrib.staticfiles import finders

    svg = ElementTree.parse(finders.find("web/logo.svg")).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.find("{http://www.w3.org/2000/svg}title").text == "Hindsight"


def test_a_form_without_its_security_token_gets_a_styled_page_that_says_what_to_do(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/incidents/new", {"title": "x"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "This form could not be accepted" in body and "Nothing was saved" in body
    assert _has_navigation(body)
