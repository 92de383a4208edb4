"""The edit page's timeline: a vertical timeline with the incident's milestones, and events
added one line at a time or several pasted at once, previewed before they are added."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot

pytestmark = pytest.mark.browser


def _draft(site, title: str, **incident_times) -> str:
    incident = site.incident(f"{title} incident", **incident_times)
    return site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": incident,
            "title": title,
            "timeline": [{"time": "14:31", "description": "Deploy started", "kind": "TRIGGER"}],
        },
    )["id"]


def test_one_line_adds_an_event_and_the_milestones_show_their_durations(site):
    pm_id = _draft(
        site,
        "One-line events",
        detectedAt="2026-03-01T14:36:00Z",
        resolvedAt="2026-03-01T14:50:00Z",
    )
    page = site.page("alice")
    page.goto(f"/postmortems/{pm_id}/edit")
    timeline = page.locator("#timeline")
    # Milestones among the events, in time order, each with the time since the one before.
    expect(
        timeline.locator(".timeline-edit > li .milestone-label, .timeline-edit > li .desc")
    ).to_have_text(["Incident started", "Deploy started", "Incident detected", "Incident resolved"])
    expect(timeline.locator(".milestone .since")).to_have_text(
        ["6 min after started", "14 min after detected"]
    )
    expect(timeline.locator(".event .kind")).to_have_text(["Trigger"])

    page.select_option("#id_event-kind", "DETECTION")
    page.fill("#id_event-lines", "14:35 Traffic spike detected")
    page.locator("#id_event-lines").press("Enter")  # one line, Enter adds it
    events = timeline.locator(".timeline-edit > li.event")
    expect(events).to_have_count(2)
    expect(events.nth(1)).to_contain_text("2026-03-01 14:35 UTC")
    expect(events.nth(1).locator(".kind")).to_have_text("Detection")
    expect(events.nth(1).locator(".desc")).to_have_text("Traffic spike detected")
    expect(page.locator("#id_event-lines")).to_have_value("")
    expect(page.locator("#id_event-lines")).to_be_focused()
    page.context.close()


def test_several_pasted_lines_are_previewed_then_added(site):
    pm_id = _draft(site, "Pasted events")
    page = site.page("alice")
    page.goto(f"/postmortems/{pm_id}/edit")
    page.fill(
        "#id_event-lines",
        "14:38 Database connections exhausted, errors begin\n"
        "2026-03-01T14:40Z - On-call engineer paged\n"
        "14:45 Connection pool size increased manually",
    )
    page.get_by_role("button", name="Add event").click()
    pending = page.locator("#pending-events")
    expect(pending).to_contain_text("3 events to add")
    expect(pending.locator("tbody tr")).to_have_count(3)
    expect(pending.locator("tbody tr").nth(1)).to_contain_text("2026-03-01 14:40 UTC")
    expect(pending).to_be_focused()
    events = page.locator("#timeline .timeline-edit > li.event")
    expect(events).to_have_count(1)  # nothing added before the person says so
    assert_accessible(page, "the pasted events' preview")
    screenshot(page, "timeline-preview")

    page.get_by_role("button", name="Add 3 events").click()
    expect(events).to_have_count(4)
    expect(page.locator("#timeline .event .desc")).to_have_text(
        [
            "Deploy started",
            "Database connections exhausted, errors begin",
            "On-call engineer paged",
            "Connection pool size increased manually",
        ]
    )
    expect(page.locator("#pending-events")).to_have_count(0)
    screenshot(page, "timeline")
    page.context.close()


def test_pasted_lines_are_previewed_without_javascript_too(site):
    pm_id = _draft(site, "Pasted events without JS")
    context = site.browser.new_context(base_url=site.url, java_script_enabled=False)
    page = context.new_page()
    site.sign_in(page, "alice")
    page.goto(f"/postmortems/{pm_id}/edit")
    page.fill("#id_event-lines", "14:38 Errors begin\n14:45 Pool increased")
    page.get_by_role("button", name="Add event").click()
    expect(page.locator("#pending-events")).to_contain_text("2 events to add")
    page.get_by_role("button", name="Add 2 events").click()
    expect(page.locator("#timeline .event .desc")).to_have_text(
        ["Deploy started", "Errors begin", "Pool increased"]
    )
    context.close()
