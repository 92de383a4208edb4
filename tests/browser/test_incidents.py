"""Incidents in the browser: a page to read with an Edit button (the form only on the edit
page), and a list that filters and marks the incidents that need a post-mortem. Every page
is held to axe-core: no serious or critical violation."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_an_incident_is_read_then_edited_with_the_edit_button(site):
    incident = site.incident(
        "Queue backlog",
        severity="SEV3",
        services=["queue"],
        detectedAt="2026-03-01T14:40:00Z",
        resolvedAt="2026-03-01T16:00:00Z",
        details="Consumers stalled after a deploy.",
        links=[{"label": "Pager", "url": "https://pager.example.com/i/7"}],
    )
    page = site.page("alice")
    page.goto(f"/incidents/{incident}")
    main = page.locator("main")
    expect(main.locator("form")).to_have_count(0)  # reading, not an open form
    times = page.get_by_role("table")
    detected = times.get_by_role("row", name=re.compile(r"^Detected "))
    expect(detected).to_contain_text("2026-03-01 14:40 UTC")
    resolved = times.get_by_role("row", name=re.compile(r"^Resolved "))
    expect(resolved).to_contain_text("1 h 30 min")  # since the start
    expect(resolved).to_contain_text("1 h 20 min after detected")
    expect(page.get_by_role("link", name="Pager")).to_have_attribute(
        "href", "https://pager.example.com/i/7"
    )
    expect(page.get_by_text("Consumers stalled after a deploy.")).to_be_visible()
    expect(page.get_by_text("Needs a post-mortem.")).to_be_visible()
    assert_accessible(page, "incident read view")

    page.get_by_role("link", name="Edit").click()
    expect(page).to_have_url(f"{site.url}/incidents/{incident}/edit")
    expect(page.get_by_role("heading", name="Edit incident")).to_be_visible()
    assert_accessible(page, "incident edit page")
    page.get_by_label("Title").fill("Queue backlog after deploy")
    page.get_by_label("Severity").select_option("SEV2")
    page.get_by_role("button", name="Save incident").click()

    expect(page).to_have_url(f"{site.url}/incidents/{incident}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue backlog after deploy")
    expect(page.get_by_text("Incident saved.")).to_be_visible()
    expect(page.locator(".meta .sev")).to_have_text("SEV2")
    stored = site.api("GET", f"/api/incidents/{incident}", "alice")
    assert stored["title"] == "Queue backlog after deploy" and stored["severity"] == "SEV2"

    # Cancel on the edit page goes back to reading, changing nothing.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Title").fill("Not saved")
    page.once("dialog", lambda dialog: dialog.accept())  # the unsaved-changes warning
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue backlog after deploy")
    page.context.close()


def test_the_incident_list_filters_and_marks_what_needs_a_postmortem(site):
    service = "ledger-filters"
    site.incident("Ledger lag", severity="SEV2", services=[service])  # not resolved
    site.incident(
        "Ledger outage", severity="SEV1", services=[service], resolvedAt="2026-03-01T15:00:00Z"
    )
    written = site.incident(
        "Ledger retries", severity="SEV3", services=[service], resolvedAt="2026-03-01T15:00:00Z"
    )
    pm = site.api(
        "POST", "/api/postmortems", "alice", {"incidentId": written, "title": "Ledger retries"}
    )
    for status in ("IN_REVIEW", "PUBLISHED"):
        site.api("PATCH", f"/api/postmortems/{pm['id']}", "alice", {"status": status})

    page = site.page("bob")
    page.goto("/incidents")
    filters = page.get_by_role("form", name="Filter incidents")
    filters.get_by_label("Service").fill("Ledger-Filters")
    filters.get_by_role("button", name="Apply").click()
    rows = page.locator("table.incident-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Ledger outage")).to_contain_text("Needs a post-mortem")
    expect(rows.filter(has_text="Ledger retries")).not_to_contain_text("Needs a post-mortem")
    expect(rows.filter(has_text="Ledger lag")).not_to_contain_text("Needs a post-mortem")
    assert_accessible(page, "incident list, filtered")

    filters = page.get_by_role("form", name="Filter incidents")
    filters.get_by_label("Post-mortem").select_option("needed")
    filters.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ledger outage")
    expect(filters.get_by_label("Service")).to_have_value("Ledger-Filters")  # kept

    filters = page.get_by_role("form", name="Filter incidents")
    filters.get_by_label("Post-mortem").select_option("yes")
    filters.get_by_label("Severity").select_option("SEV3")
    filters.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name="Ledger retries").click()
    expect(page).to_have_url(f"{site.url}/incidents/{written}")

    page.goto(f"/incidents?service={service}&started_from=2030-01-01")
    expect(page.get_by_text("No incident matches these filters.")).to_be_visible()
    page.context.close()


def test_the_incident_pages_fit_a_phone(site):
    incident = site.incident(
        "Phone-sized incident with a long title that has to wrap somewhere",
        services=["phone-fit"],
        detectedAt="2026-03-01T14:40:00Z",
        resolvedAt="2026-03-01T16:00:00Z",
    )
    phone = site.page("alice", width=390, height=844)
    for path in (f"/incidents/{incident}", "/incidents?service=phone-fit"):
        phone.goto(path)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
        assert_accessible(phone, f"{path} on a phone")
    expect(phone.locator("table.incident-table tbody tr")).to_contain_text("Needs a post-mortem")
    phone.context.close()
