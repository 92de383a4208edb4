"""Every form of the web app is protected against cross-site request forgery."""

import re

import pytest
from django.test import Client

from hindsight.postmortems.models import PostMortem


@pytest.fixture
def strict(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


def _token(client, path) -> str:
    page = client.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_posts_without_a_token_are_refused(strict, postmortem):
    pm_id = postmortem["id"]
    item_id = PostMortem.objects.get(pk=pm_id).action_item_list[0].id
    for path, data in (
        (f"/postmortems/{pm_id}/edit", {"version": 1, "title": "Hacked"}),
        (f"/postmortems/{pm_id}/status", {"to": "IN_REVIEW"}),
        (f"/postmortems/{pm_id}/timeline", {"time": "14:00", "description": "x"}),
        (f"/postmortems/{pm_id}/action-items", {"description": "x"}),
        (f"/action-items/{item_id}/status", {"status": "DONE"}),
        (f"/postmortems/{pm_id}/delete", {}),
        ("/postmortems/new", {"title": "x", "incident": "inc_123"}),
        ("/incidents/new", {"title": "x"}),
        ("/account/tokens", {"label": "x"}),
        ("/account/password", {}),
        ("/logout", {}),
    ):
        assert strict.post(path, data).status_code == 403, path
    postmortem = PostMortem.objects.get(pk=pm_id)
    assert (postmortem.title, postmortem.status, postmortem.version) == (
        "Database Connection Pool Exhaustion",
        "DRAFT",
        1,
    )


def test_a_post_with_the_pages_token_goes_through(strict, postmortem):
    pm_id = postmortem["id"]
    token = _token(strict, f"/postmortems/{pm_id}")
    response = strict.post(
        f"/postmortems/{pm_id}/status", {"to": "IN_REVIEW", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert PostMortem.objects.get(pk=pm_id).status == "IN_REVIEW"


def test_htmx_sends_the_token_in_a_header(strict, postmortem):
    pm_id = postmortem["id"]
    token = _token(strict, f"/postmortems/{pm_id}/edit")
    page = strict.get(f"/postmortems/{pm_id}/edit").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    response = strict.post(
        f"/postmortems/{pm_id}/timeline",
        {"event-time": "14:31", "event-description": "Deploy"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    assert PostMortem.objects.get(pk=pm_id).timeline_events.count() == 6


def test_the_sign_in_form_needs_its_token(db, alice):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login", {"username": "alice", "password": "a long enough password"})
    assert response.status_code == 403
    token = _token(client, "/login")
    response = client.post(
        "/login",
        {"username": "alice", "password": "a long enough password", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
