"""An incident is a page to read (times, durations, services, links, details, post-mortems)
with an Edit button for those who may change it; the form is the edit page's."""

import pytest

from hindsight.incidents.services import update_incident
from hindsight.lib.times import parse_timestamp
from hindsight.postmortems import services


@pytest.fixture
def described(incident, alice):
    return update_incident(
        incident.id,
        {
            "detected_at": parse_timestamp("2026-03-01T14:36:00Z"),
            "mitigated_at": parse_timestamp("2026-03-01T14:45:00Z"),
            "resolved_at": parse_timestamp("2026-03-01T15:50:00Z"),
            "details": "Pool exhausted <script>alert(1)</script>\n\nSecond paragraph.",
            "links": [{"label": "Pager", "url": "https://pager.example.com/i/1"}],
        },
        by=alice,
    )


def test_the_incident_page_reads_its_times_durations_services_links_and_details(
    client, carol, described
):
    client.force_login(carol)
    body = client.get(f"/incidents/{described.id}").content.decode()
    assert "<form" not in body.split("<main", 1)[1].split("</main>", 1)[0]  # no open form
    for text in (
        "2026-03-01 14:30 UTC",  # started
        "2026-03-01 14:36 UTC",  # detected
        "2026-03-01 15:50 UTC",  # resolved
        '<td data-label="Since start">6 min</td>',  # detected
        '<td data-label="Since the one before">9 min <span class="muted small">after detected',
        '<td data-label="Since the one before">1 h 5 min <span class="muted small">after mitigated',
        '<td data-label="Since start">1 h 20 min</td>',  # resolved
        "Not recorded: Acknowledged.",
        '<span class="tag">checkout</span>',
        '<a href="https://pager.example.com/i/1" rel="noopener noreferrer">',
        "Second paragraph.",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
    ):
        assert text in body, text
    assert "<script>alert" not in body


def test_the_edit_button_is_offered_only_to_those_who_may_change_incidents(
    client, alice, carol, described
):
    edit_link = f'href="/incidents/{described.id}/edit"'
    client.force_login(alice)
    assert edit_link in client.get(f"/incidents/{described.id}").content.decode()
    client.force_login(carol)
    assert edit_link not in client.get(f"/incidents/{described.id}").content.decode()
    response = client.get(f"/incidents/{described.id}/edit")
    assert response.status_code == 403
    assert "Viewers cannot change incidents." in response.content.decode()


def test_saving_the_edit_page_returns_to_the_read_view(client, alice, described):
    client.force_login(alice)
    form = {
        "version": described.version,
        "title": "Checkout database outage (pool)",
        "severity": "SEV1",
        "services": "checkout, postgres",
        "started_at": "2026-03-01T14:30",
        "detected_at": "2026-03-01T14:36",
        "mitigated_at": "2026-03-01T14:45",
        "resolved_at": "2026-03-01T15:50",
        "details": described.details,
        "links": "Pager | https://pager.example.com/i/1",
    }
    response = client.post(f"/incidents/{described.id}/edit", form)
    assert response.status_code == 302 and response["Location"] == f"/incidents/{described.id}"
    described.refresh_from_db()
    assert described.title == "Checkout database outage (pool)" and described.severity == "SEV1"
    page = client.get(response["Location"]).content.decode()
    assert "Checkout database outage (pool)" in page and "Incident saved." in page


def test_a_draft_the_reader_may_not_see_is_counted_without_its_title(client, alice, bob, described):
    services.create_postmortem(
        {"incident_id": described.id, "title": "Alice's private draft"}, by=alice
    )
    client.force_login(bob)
    body = client.get(f"/incidents/{described.id}").content.decode()
    assert "Alice's private draft" not in body
    assert "1 draft you may not read." in body
    client.force_login(alice)
    assert "Alice&#x27;s private draft" in client.get(f"/incidents/{described.id}").content.decode()


def test_the_page_says_when_the_incident_needs_a_postmortem(client, alice, described):
    client.force_login(alice)
    body = client.get(f"/incidents/{described.id}").content.decode()
    assert "Needs a post-mortem." in body and "has no post-mortem yet" in body
    pm = services.create_postmortem({"incident_id": described.id, "title": "Late"}, by=alice)
    body = client.get(f"/incidents/{described.id}").content.decode()
    assert "past their due time" in body  # resolved in March: the draft is overdue
    for status in ("IN_REVIEW", "PUBLISHED"):
        services.update_postmortem(pm.id, {"status": status}, by=alice)
    assert "Needs a post-mortem." not in client.get(f"/incidents/{described.id}").content.decode()
