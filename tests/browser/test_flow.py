"""The whole life of a post-mortem in a real browser: write, review, publish, follow
through, export; and privacy of drafts between people."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

# Entered out of order on purpose; the page must show them sorted.
EVENTS = [
    ("14:50", "RESOLUTION", "Service fully restored"),
    ("14:35", "TRIGGER", "Traffic spike detected - 3x normal load"),
    ("14:45", "MITIGATION", "Connection pool size increased manually"),
    ("14:38", "DETECTION", "Database connections exhausted, errors begin"),
    ("14:40", "COMMUNICATION", "On-call engineer paged"),
]
ITEMS = [
    ("Implement connection pool monitoring with alerts", "alice", "HIGH"),
    ("Add auto-scaling for database connections", "bob@example.com", "HIGH"),
    ("Review capacity planning procedures", "carol@example.com", "MEDIUM"),
]


def _template_slug(page) -> str:
    slugs = page.locator("#id_template option").evaluate_all("els => els.map(e => e.value)")
    return "database-outage" if "database-outage" in slugs else "short"


def test_write_review_publish_follow_through_and_export(site):
    page = site.page()
    page.goto("/login")
    screenshot(page, "01-sign-in")
    site.sign_in(page, "alice")
    screenshot(page, "02-home-empty")

    # Create: a new incident, inline, and the Database Outage template.
    page.get_by_role("link", name="New post-mortem").first.click()
    page.fill("#id_title", "Checkout database outage")
    page.fill("#id_incident-title", "Checkout DB connection pool exhausted")
    page.select_option("#id_incident-severity", "SEV1")
    page.fill("#id_incident-services", "checkout, postgres")
    page.fill("#id_incident-started_at", "2026-03-01T14:30")
    page.fill("#id_incident-resolved_at", "2026-03-01T14:50")
    slug = _template_slug(page)
    page.select_option("#id_template", slug)
    screenshot(page, "03-create")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url(re.compile(r"/postmortems/pm_\w+/edit$"))
    pm_id = page.url.split("/")[-2]
    # The template's prompt is a hint beside the field, never its text.
    expect(page.locator("#id_summary")).to_have_value("")
    expect(page.locator("#id_summary-hint")).to_be_visible()

    # Sections: write the core ones and watch the server-rendered preview.
    page.fill("#id_summary", "15 minutes of **downtime** after pool exhaustion.")
    page.click("#id_summary-preview-tab")
    expect(page.locator("#id_summary-preview strong")).to_have_text("downtime")
    page.click("#id_summary-write-tab")
    page.fill("#id_impact", "All API endpoints returned 500 errors.")
    page.fill("#id_root_cause", "Connection pool too small for peak traffic.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved")

    # Timeline: clear the template's placeholder events, then add five out of order.
    events = page.locator("#timeline .timeline-edit > li.event")
    page.on("dialog", lambda dialog: dialog.accept())  # deleting asks first
    while events.count():
        before = events.count()
        page.locator("#timeline").get_by_role(
            "button", name=re.compile("^Delete event")
        ).first.click()
        expect(events).to_have_count(before - 1)
    for count, (time, kind, description) in enumerate(EVENTS, start=1):
        page.fill("#id_event-lines", f"{time} {description}")
        page.select_option("#id_event-kind", kind)
        page.get_by_role("button", name="Add event").click()
        expect(events).to_have_count(count)
    shown = page.locator("#timeline .timeline-edit .event .time").all_inner_texts()
    assert shown == [
        f"2026-03-01 {t} UTC" for t in ("14:35", "14:38", "14:40", "14:45", "14:50")
    ], shown

    # Action items: three more on top of the template's.
    items = page.locator("#action-items .items-edit > li")
    start = items.count()
    for count, (description, owner, priority) in enumerate(ITEMS, start=start + 1):
        page.fill("#id_item-description", description)
        page.fill("#id_item-owner", owner)
        page.select_option("#id_item-priority", priority)
        page.get_by_role("button", name="Add action item").click()
        expect(items).to_have_count(count)
    screenshot(page, "04-edit")

    # Review and publish.
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(f"**/postmortems/{pm_id}")
    expect(page.locator(".report-head .badge")).to_contain_text("In review")
    page.get_by_role("button", name="Publish").click()
    # The template's action items were never confirmed: publishing asks first.
    page.get_by_role("button", name=re.compile(r"^Confirm \d+ and publish$")).click()
    expect(page.locator(".report-head .badge")).to_contain_text("Published")
    expect(page.locator(".locked")).to_contain_text("locked")
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    # Archive is refused while items are open, and the page says why.
    refused = page.locator(".refused", has_text="Archiving waits for")
    expect(refused).to_contain_text("open action item")
    expect(refused.get_by_role("link").first).to_have_attribute("href", re.compile("^#item-"))
    screenshot(page, "05-report-published")

    # Editing the summary of a published report is refused with a clear message.
    page.goto(f"/postmortems/{pm_id}/edit")
    expect(page.locator(".locked")).to_contain_text("locked")
    expect(page.locator("#id_summary")).to_have_attribute("readonly", "")
    page.evaluate(
        """() => {
            const summary = document.querySelector('#id_summary');
            summary.removeAttribute('readonly');
            summary.value = 'Rewritten after publishing';
            document.querySelector('#report-form').requestSubmit();
        }"""
    )
    expect(page.locator(".form-error")).to_contain_text(
        "This post-mortem is published and locked: summary can no longer change"
    )
    screenshot(page, "06-edit-refused")

    # Marking an action item DONE is still allowed (htmx posts on change).
    page.goto(f"/postmortems/{pm_id}")
    first_status = page.locator("#action-items select").first
    with page.expect_response(re.compile(r"/action-items/act_\w+/status$")) as answer:
        first_status.select_option("DONE")
    assert answer.value.status == 200
    page.reload()
    expect(page.locator("#action-items select").first).to_have_value("DONE")

    # Export: Markdown of the published report.
    markdown = page.request.get(f"/api/postmortems/{pm_id}/export?format=markdown")
    assert markdown.status == 200
    text = markdown.text()
    assert "\n# Checkout database outage\n" in "\n" + text
    assert "15 minutes of **downtime**" in text
    for _time, _kind, description in EVENTS:
        assert description in text
    body = text[text.index("# Checkout database outage") :]  # after any front matter
    positions = [body.index(d) for _, _, d in sorted(EVENTS)]
    assert positions == sorted(positions)
    assert "[x]" in body
    for description, _, _ in ITEMS:
        assert description in text
    assert page.locator("a", has_text="Markdown").get_attribute("href").endswith("format=markdown")

    # Other pages, for the record.
    page.goto("/")
    screenshot(page, "07-home")
    page.goto("/postmortems")
    screenshot(page, "08-list")
    page.goto("/incidents")
    screenshot(page, "09-incidents")
    page.get_by_role("link", name="Checkout DB connection pool exhausted").click()
    expect(page.locator(".milestones")).to_contain_text("20 min")
    screenshot(page, "10-incident")
    page.goto("/account/tokens")
    page.fill("#id_label", "laptop CLI")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_have_value(re.compile(r"^hs_"))
    screenshot(page, "11-tokens")
    phone = site.page("alice", width=390, height=844)
    phone.goto(f"/postmortems/{pm_id}")
    wide = phone.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 391)
            .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
            .slice(0, 8)"""
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, wide
    screenshot(phone, "12-report-phone")
    phone.context.close()
    page.context.close()


def test_someone_elses_draft_is_invisible(site):
    incident = site.incident("Private incident")
    draft = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {"incidentId": incident, "title": "Alice's private draft", "summary": "secret"},
    )
    alice = site.page("alice")
    alice.goto("/postmortems")
    expect(alice.get_by_role("link", name="Alice's private draft")).to_be_visible()

    bob = site.page("bob")
    bob.goto("/postmortems")
    expect(bob.locator("#results")).to_be_visible()
    expect(bob.get_by_text("Alice's private draft")).to_have_count(0)
    response = bob.goto(f"/postmortems/{draft['id']}")
    assert response.status == 404
    bob.goto("/postmortems?q=secret")
    expect(bob.get_by_text("Alice's private draft")).to_have_count(0)
    alice.context.close()
    bob.context.close()


def test_search_and_filters_narrow_the_list(site):
    incident = site.incident("Search incident", severity="SEV3", services=["billing"])
    site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {"incidentId": incident, "title": "Invoice rendering stalled", "tags": ["pdf"]},
    )
    page = site.page("alice")
    page.goto("/postmortems")
    page.fill("#id_q", "invoice")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Invoice rendering stalled")
    page.goto("/postmortems?severity=SEV3&service=billing&tag=pdf")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    page.goto("/postmortems?severity=SEV4")
    expect(page.locator("#results")).to_contain_text("No post-mortems match")
    page.context.close()
