"""Follow-through in a real browser: a second person approves, the author publishes, an
item is marked done from the Action Items page, and the history shows what changed."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_approve_publish_mark_done_and_see_the_history(site):
    incident = site.incident("Search index lagging", resolvedAt="2026-03-01T15:10:00Z")
    created = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": incident,
            "title": "Search index lag",
            "summary": "Indexing fell 40 minutes behind.",
            "actionItems": [
                {"description": "Alert on indexing lag", "owner": "alice", "priority": "HIGH"},
                {"description": "Document the reindex runbook", "owner": "bob"},
            ],
        },
    )
    pm_id = created["id"]
    site.api("PATCH", f"/api/postmortems/{pm_id}", "alice", {"status": "IN_REVIEW"})

    # Bob reviews: a comment on the root cause, then an approval.
    bob = site.page("bob")
    bob.goto(f"/postmortems/{pm_id}")
    bob.get_by_label("Comment").fill("Can we alert before users notice?")
    bob.get_by_label("About (optional)").select_option("rootCause")
    bob.get_by_role("button", name="Add comment").click()
    expect(bob.locator(".comments")).to_contain_text("Can we alert before users notice?")
    bob.get_by_role("button", name="Approve").click()
    expect(bob.locator(".approvals")).to_contain_text("approved by bob")
    screenshot(bob, "20-review")
    bob.context.close()

    # Alice cannot approve her own report, and publishes it.
    alice = site.page("alice")
    alice.goto(f"/postmortems/{pm_id}")
    expect(alice.locator("#cannot-approve")).to_contain_text("You cannot approve")
    alice.get_by_role("button", name="Publish").click()
    expect(alice.locator(".badge").first).to_contain_text("Published")
    expect(alice.locator(".completion")).to_contain_text("0 of 2 done")

    # Mark one item done from the Action Items page, without any JavaScript help.
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Action items").click()
    alice.goto(f"/action-items?postmortemId={pm_id}")
    alice.get_by_label("Select “Alert on indexing lag”").check()
    alice.get_by_label("Set the ticked items to").select_option("DONE")
    alice.get_by_role("button", name="Change status").click()
    expect(alice.get_by_role("status").first).to_contain_text("1 action item now done")
    screenshot(alice, "21-action-items")
    href = alice.get_by_role("link", name="Download CSV").get_attribute("href")
    # The CSV asks for what the page shows: the open items, by default.
    assert href == f"/api/action-items.csv?postmortemId={pm_id}&status=TODO%2CIN_PROGRESS"

    # The report counts it, and the history shows the change as a readable diff.
    alice.get_by_role("link", name="Search index lag").first.click()
    expect(alice.locator(".completion")).to_contain_text("1 of 2 done")
    alice.get_by_role("link", name="History", exact=True).click()
    alice.wait_for_url(re.compile(rf"/postmortems/{pm_id}/history$"))
    expect(alice.locator("#diff")).to_contain_text("Alert on indexing lag")
    # The status moved to done, and with it the item's completion time, both in words.
    expect(alice.locator("#diff ins")).to_have_text(
        ["Done", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")]
    )
    alice.get_by_label("From version", exact=True).select_option("1")
    alice.get_by_role("button", name="Compare").click()
    expect(alice.locator("#diff h2")).to_contain_text("Changes from version 1")
    expect(alice.locator("#diff")).to_contain_text("Status")
    screenshot(alice, "22-history")
    alice.context.close()


def test_a_refused_follow_through_stays_open_with_what_was_typed_and_says_why(site):
    incident = site.incident("Queue backlog")
    created = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": incident,
            "title": "Queue backlog",
            "actionItems": [{"description": "Alert on queue depth", "owner": "alice"}],
        },
    )
    item = created["actionItems"][0]["id"]
    page = site.page("alice")
    page.goto(f"/postmortems/{created['id']}")
    page.locator(f"#item-{item} summary").click()
    page.locator(f"#fd-{item}").fill("2031-05-01")
    page.locator(f"#ft-{item}").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save follow-through").click()

    # The message is in the form, the field it names has the focus, and nothing typed is lost.
    form = page.locator(f"#item-{item} form")
    expect(form.get_by_role("alert")).to_contain_text("not saved")
    expect(page.locator(f"#ft-{item}")).to_be_focused()
    expect(page.locator(f"#ft-{item}")).to_have_value("javascript:alert(1)")
    expect(page.locator(f"#fd-{item}")).to_have_value("2031-05-01")
    assert (
        site.api("GET", f"/api/postmortems/{created['id']}", "alice")["actionItems"][0]["dueDate"]
        is None
    )  # refused as a whole

    # Corrected, it saves what the person changed.
    page.locator(f"#ft-{item}").fill("https://tracker.example.com/OPS-1")
    page.get_by_role("button", name="Save follow-through").click()
    expect(page.get_by_role("status").first).to_contain_text("Action item saved")
    saved = site.api("GET", f"/api/postmortems/{created['id']}", "alice")["actionItems"][0]
    assert (saved["dueDate"], saved["trackerUrl"]) == (
        "2031-05-01",
        "https://tracker.example.com/OPS-1",
    )
