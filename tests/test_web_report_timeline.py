"""The report page draws the timeline as the editor does: each event's kind as a labelled
marker, and the incident's milestones placed among the events with the time between them.
Its follow-through forms suggest owners from the users and flag a past due date."""

from datetime import UTC, datetime

from django.test import Client

from hindsight.incidents.models import Incident
from hindsight.web import timeline


def _at(hh_mm: str) -> datetime:
    hours, minutes = map(int, hh_mm.split(":"))
    return datetime(2026, 3, 1, hours, minutes, tzinfo=UTC)


def test_every_recorded_milestone_in_time_order_with_the_time_since_the_one_before():
    incident = Incident(
        started_at=_at("14:30"),
        detected_at=_at("14:36"),
        acknowledged_at=_at("14:40"),
        mitigated_at=None,  # not recorded: left out
        resolved_at=_at("15:10"),
    )
    found = [(m.label, m.at, m.previous, m.since) for m in timeline.milestones(incident)]
    assert found == [
        ("Started", _at("14:30"), None, None),
        ("Detected", _at("14:36"), "Started", 360),
        ("Acknowledged", _at("14:40"), "Detected", 240),
        ("Resolved", _at("15:10"), "Acknowledged", 1800),
    ]


def test_equal_times_keep_the_declared_order():
    incident = Incident(started_at=_at("14:30"), detected_at=_at("14:30"))
    assert [m.label for m in timeline.milestones(incident)] == ["Started", "Detected"]


def _report_page(user, pm_id) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/postmortems/{pm_id}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_report_page_places_the_milestones_among_the_events(alice, api_for, postmortem):
    api = api_for(alice)
    changed = api.patch(
        "/api/incidents/inc_123",
        {"acknowledgedAt": "2026-03-01T14:39:00Z", "mitigatedAt": "2026-03-01T14:46:00Z"},
    )
    assert changed.status_code == 200, changed.content
    page = _report_page(alice, postmortem["id"])
    shown = page[
        page.index('<ol class="timeline-view">') : page.index(
            "</ol>", page.index('<ol class="timeline-view">')
        )
    ]
    order = [
        "Incident started",
        "Traffic spike detected",
        "Database connections exhausted",
        "Incident acknowledged",
        "On-call engineer paged",
        "Connection pool size increased manually",
        "Incident mitigated",
        "Service fully restored",
    ]
    positions = [shown.index(text) for text in order]
    assert positions == sorted(positions)
    assert "9 min after started" in shown and "7 min after acknowledged" in shown
    assert shown.count('class="tl-marker tl-marker-milestone"') == 3


def test_the_follow_through_suggests_owners_and_flags_a_past_due_date(alice, postmortem):
    page = _report_page(alice, postmortem["id"])
    assert '<datalist id="owner-users">' in page and '<option value="alice">' in page
    item = postmortem["actionItems"][0]["id"]
    assert f'id="fo-{item}" name="owner"' in page
    owner_input = page[page.index(f'id="fo-{item}"') :]
    assert 'list="owner-users"' in owner_input[: owner_input.index(">")]
    due_input = page[page.index(f'id="fd-{item}"') :]
    assert "data-flag-past" in due_input[: due_input.index(">")]


def test_a_status_menu_reads_as_the_badges_do(alice, postmortem):
    page = _report_page(alice, postmortem["id"])
    assert '<option value="TODO" selected>To do</option>' in page
    assert ">In progress</option>" in page and ">Todo<" not in page
