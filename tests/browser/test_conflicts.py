"""Two people editing the same report: the second save sees what changed, and keeps
the person's own text."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_conflicting_edit_keeps_my_text_and_shows_theirs(site):
    incident = site.incident("Conflict incident")
    pm = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": incident,
            "title": "Shared report",
            "summary": "First summary",
            "contributors": ["bob"],
        },
    )
    mine = site.page("alice")
    theirs = site.page("bob")
    mine.goto(f"/postmortems/{pm['id']}/edit")
    theirs.goto(f"/postmortems/{pm['id']}/edit")

    theirs.fill("#id_summary", "Bob's summary")
    theirs.fill("#id_impact", "Bob measured the impact")
    theirs.get_by_role("button", name="Save draft").click()
    expect(theirs.get_by_role("status").first).to_contain_text("Saved")

    mine.fill("#id_summary", "Alice's summary")
    mine.fill("#id_root_cause", "Alice found the cause")
    mine.get_by_role("button", name="Save draft").click()
    conflict = mine.locator(".conflict")
    expect(conflict).to_contain_text("Someone else saved this post-mortem")
    expect(conflict).to_contain_text("bob saved version 2")
    expect(conflict.locator(".theirs")).to_have_text("Bob's summary")
    expect(mine.locator("#id_summary")).to_have_value("Alice's summary")
    expect(mine.locator("#id_root_cause")).to_have_value("Alice found the cause")
    from tests.browser.conftest import assert_accessible, screenshot

    assert_accessible(mine, "the editor showing a conflict")
    screenshot(mine, "13-conflict")

    # Saving again applies Alice's text; Bob's impact (which she did not touch) stays.
    mine.get_by_role("button", name="Save draft").click()
    expect(mine.get_by_role("status").first).to_contain_text("Saved")
    saved = site.api("GET", f"/api/postmortems/{pm['id']}", "alice")
    assert saved["summary"] == "Alice's summary"
    assert saved["rootCause"] == "Alice found the cause"
    assert saved["impact"] == "Bob measured the impact"
    mine.context.close()
    theirs.context.close()


def test_edits_to_different_fields_merge_without_a_conflict(site):
    incident = site.incident("Merge incident")
    pm = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {"incidentId": incident, "title": "Merge report", "summary": "Start"},
    )
    mine = site.page("alice")
    mine.goto(f"/postmortems/{pm['id']}/edit")
    site.api("PATCH", f"/api/postmortems/{pm['id']}", "alice", {"impact": "From the API"})
    mine.fill("#id_summary", "From the browser")
    mine.get_by_role("button", name="Save draft").click()
    expect(mine.get_by_role("status").first).to_contain_text("Saved")
    saved = site.api("GET", f"/api/postmortems/{pm['id']}", "alice")
    assert (saved["summary"], saved["impact"]) == ("From the browser", "From the API")
    mine.context.close()
