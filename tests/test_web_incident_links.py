import pytest

from hindsight.incidents.models import Incident


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def _form(incident, **changes):
    data = {
        "version": incident.version,
        "title": incident.title,
        "severity": incident.severity or "",
        "services": ", ".join(incident.services),
        "details": incident.details,
        "links": "",
    }
    return {**data, **changes}


def test_links_are_edited_one_per_line_and_shown_on_the_incident(signed_in, incident):
    response = signed_in.post(
        f"/incidents/{incident.id}/edit",
        _form(
            incident,
            links="Ticket | https://tracker.example.com/INC-9\nChat | https://chat.example.com/c/9",
        ),
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.links == [
        {"label": "Ticket", "url": "https://tracker.example.com/INC-9"},
        {"label": "Chat", "url": "https://chat.example.com/c/9"},
    ]
    page = signed_in.get(f"/incidents/{incident.id}").content.decode()
    assert 'href="https://tracker.example.com/INC-9"' in page
    edit_page = signed_in.get(f"/incidents/{incident.id}/edit").content.decode()
    assert "Ticket | https://tracker.example.com/INC-9" in edit_page  # the form shows them back


def test_a_link_that_is_not_a_web_address_is_refused_and_nothing_saved(signed_in, incident):
    response = signed_in.post(
        f"/incidents/{incident.id}/edit",
        _form(incident, title="Changed", links="Bad | javascript:alert(1)"),
    )
    assert response.status_code == 200
    assert "Line 1: the address must start with https://" in response.content.decode()
    stored = Incident.objects.get(pk=incident.id)
    assert stored.title != "Changed" and stored.links == []
