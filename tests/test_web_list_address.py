"""The web list's address: it carries the search, filters and sort, never an empty
parameter, whether the form was sent with JavaScript (htmx) or without."""

import re

import pytest


@pytest.fixture
def signed_in(alice, client):
    client.force_login(alice)
    return client


def test_a_form_sent_without_javascript_is_redirected_to_the_clean_address(signed_in, db):
    response = signed_in.get(
        "/postmortems?q=pool&status=&severity=&service=check&tag=&createdBy=&sort=&order="
    )
    assert response.status_code == 302
    assert response["Location"] == "/postmortems?q=pool&service=check"
    assert signed_in.get(response["Location"]).status_code == 200


def test_a_live_search_pushes_the_clean_address(signed_in, db):
    response = signed_in.get(
        "/postmortems", {"q": "pool", "status": "", "sort": "title"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"] == "/postmortems?q=pool&sort=title"
    assert b"<html" not in response.content  # only the results
    assert "HX-Request" in response["Vary"]  # a cache keeps the page and the fragment apart


def test_an_empty_search_pushes_the_bare_list_address(signed_in, db):
    response = signed_in.get("/postmortems", {"q": "", "status": ""}, HTTP_HX_REQUEST="true")
    assert response["HX-Push-Url"] == "/postmortems"


def test_column_headings_sort_and_say_which_sorts(signed_in, postmortem):
    page = signed_in.get("/postmortems", {"sort": "title", "order": "asc"}).content.decode()
    assert 'aria-sort="ascending"' in page
    # The sorted heading reverses; the others sort their own way first.
    assert 'href="/postmortems?sort=title"' in page
    assert 'href="/postmortems?sort=status&amp;order=asc"' in page
    assert 'href="/postmortems?sort=updatedAt"' in page


def test_the_newest_first_is_the_default_order_shown(signed_in, postmortem):
    page = signed_in.get("/postmortems").content.decode()
    assert page.count('aria-sort="descending"') == 1
    assert 'href="/postmortems?sort=createdAt&amp;order=asc"' in page


def test_pages_follow_the_cursor_and_a_stale_cursor_starts_again(
    alice, api_for, signed_in, incident
):
    api = api_for(alice)
    for n in range(22):
        api.post("/api/postmortems", {"incidentId": "inc_123", "title": f"Report {n:02}"})
    first = signed_in.get("/postmortems", {"sort": "title", "order": "asc"}).content.decode()
    assert "Report 00" in first and "Report 20" not in first
    [next_href] = re.findall(r'href="([^"]+)" rel="next"', first)
    second = signed_in.get(next_href.replace("&amp;", "&")).content.decode()
    assert "Report 20" in second and "Report 21" in second and "Report 00" not in second
    assert "First page" in second
    stale = signed_in.get("/postmortems", {"sort": "status", "cursor": "bm9wZQ"})
    assert stale.status_code == 302
    assert stale["Location"] == "/postmortems?sort=status"
