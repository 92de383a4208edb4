"""A form's `next` sends the person back to a page of this site, never to another one,
however the address is spelled."""

import pytest
from django.test import Client

from hindsight.postmortems.models import ActionItem

OFF_SITE = [
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example/path",
    "/\\evil.example",
    "/%5Cevil.example",
    "/\t/evil.example",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
]


@pytest.fixture
def signed_in(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def item(postmortem):
    return ActionItem.objects.filter(postmortem_id=postmortem["id"]).first()


def _posts(item):
    return [
        (f"/action-items/{item.id}/status", {"status": "DONE"}),
        ("/action-items/bulk", {"ids": [item.id], "status": "IN_PROGRESS"}),
    ]


@pytest.mark.parametrize("target", OFF_SITE)
def test_an_off_site_next_falls_back_to_a_page_of_this_site(signed_in, item, target):
    for path, data in _posts(item):
        response = signed_in.post(path, {**data, "next": target})
        assert response.status_code == 302, path
        location = response["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
        assert "evil.example" not in location, (path, location)


def test_a_path_on_this_site_is_kept(signed_in, item):
    for path, data in _posts(item):
        response = signed_in.post(path, {**data, "next": "/action-items?status=TODO"})
        assert response["Location"] == "/action-items?status=TODO", path
    item.refresh_from_db()
    assert item.status == "IN_PROGRESS"
