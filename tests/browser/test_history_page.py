"""The History page: versions, review decisions and comments read side by side, and a
version's changes said as a person reads them."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_comment_threads import serious_violations

pytestmark = pytest.mark.browser


def test_the_history_shows_reviews_and_comments_beside_the_versions(site):
    incident = site.incident("History incident")
    pm = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": incident,
            "title": "History",
            "impactAnalysis": {"users": {"totalAffected": 4000}},
        },
    )
    url = f"/api/postmortems/{pm['id']}"
    site.api("PATCH", url, "alice", {"status": "IN_REVIEW"})
    site.api("POST", f"{url}/comments", "bob", {"body": "Is **4,000** right?"})
    site.api(
        "POST", f"{url}/reviews", "bob", {"decision": "CHANGES_REQUESTED", "comment": "Recount."}
    )
    site.api("PATCH", url, "alice", {"impactAnalysis": {"users": {"totalAffected": 4100}}})

    page = site.page("alice")
    page.goto(f"/postmortems/{pm['id']}")
    page.get_by_role("link", name="History", exact=True).click()
    entries = page.locator(".activity > li")
    expect(entries).to_have_count(5)
    expect(entries.locator(".activity-kind")).to_have_text(
        ["Version 3", "Review", "Comment", "Version 2", "Version 1"]
    )
    expect(entries.nth(1)).to_contain_text("bob requested changes on version 2")
    expect(entries.nth(1)).to_contain_text("Recount.")
    expect(entries.nth(2).locator("strong", has_text="4,000")).to_be_visible()
    expect(entries.nth(3)).to_contain_text("changed Status to In review")
    expect(page.locator(".activity").get_by_role("button")).to_have_count(0)

    # The newest version's changes, field by field.
    expect(page.locator("#diff")).to_contain_text(
        "Impact analysis › Users › Total affected: 4,000 → 4,100"
    )
    entries.nth(3).get_by_role("link", name="What changed").click()
    expect(page.locator("#diff .diff-changes")).to_contain_text("Status: Draft → In review")
    screenshot(page, "history")
    assert serious_violations(page) == []
    page.context.close()
