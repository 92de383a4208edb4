"""Writing a post-mortem in the browser: Write / Preview tabs, an outline that stays in
view, lists that grow without saving, and times typed in 24-hour UTC."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _draft(site, title: str, **body) -> str:
    incident = site.incident(f"{title} incident")
    return site.api(
        "POST", "/api/postmortems", "alice", {"incidentId": incident, "title": title, **body}
    )["id"]


def test_a_markdown_field_has_write_and_preview_tabs(site):
    pm_id = _draft(site, "Tabs")
    page = site.page("alice")
    page.goto(f"/postmortems/{pm_id}/edit")
    summary = page.locator("#id_summary")
    preview = page.locator("#id_summary-preview")
    # One box per field: no preview under it until asked for.
    expect(preview).to_be_hidden()
    expect(page.locator(".md-preview:visible")).to_have_count(0)
    summary.fill("Pool **exhausted** <img src=x onerror=alert(1)>")
    write_tab = page.get_by_role("tab", name="Write").first
    preview_tab = page.locator("#id_summary-preview-tab")
    expect(write_tab).to_have_attribute("aria-selected", "true")
    with page.expect_response(re.compile(r"/postmortems/preview$")) as answer:
        preview_tab.click()
    assert answer.value.status == 200
    expect(preview.locator("strong")).to_have_text("exhausted")  # rendered by the server
    assert preview.locator("img[onerror]").count() == 0  # and sanitised
    expect(summary).to_be_hidden()
    expect(preview_tab).to_have_attribute("aria-selected", "true")
    screenshot(page, "editor-preview")
    page.locator("#id_summary-write-tab").click()
    expect(summary).to_be_visible()
    expect(summary).to_have_value("Pool **exhausted** <img src=x onerror=alert(1)>")
    expect(preview).to_be_hidden()
    # A section's prose field has the same tabs.
    page.locator("#sec-trigger > summary").click()
    page.fill("#s-trigger", "A _config_ push")
    page.locator("#s-trigger-preview-tab").click()
    expect(page.locator("#s-trigger-preview em")).to_have_text("config")
    # The keyboard moves between the tabs too.
    page.locator("#s-trigger-preview-tab").press("ArrowLeft")
    expect(page.locator("#s-trigger")).to_be_visible()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved")
    saved = site.api("GET", f"/api/postmortems/{pm_id}", "alice")
    assert (
        saved["summary"].startswith("Pool **exhausted**") and saved["trigger"] == "A _config_ push"
    )
    page.context.close()


def test_the_outline_stays_in_view_and_jumps_to_each_section(site):
    pm_id = _draft(site, "Outline")
    page = site.page("alice", height=700)
    page.goto(f"/postmortems/{pm_id}/edit")
    outline = page.get_by_role("navigation", name="Outline of the report")
    expect(outline).to_be_visible()
    page.locator("#action-items").scroll_into_view_if_needed()
    expect(outline).to_be_in_viewport()  # sticky: still there far down the page
    outline.get_by_role("link", name="Five whys").click()
    expect(page.locator("#sec-five_whys")).to_have_attribute("open", "")
    expect(page.locator("#s-five_whys-problem")).to_be_in_viewport()
    outline.get_by_role("link", name="Timeline").click()
    expect(page.locator("#timeline-h")).to_be_in_viewport()
    expect(outline).to_be_in_viewport()
    page.context.close()

    # On a phone it starts folded, so the form comes first, and opens with a tap.
    phone = site.page("alice", width=390, height=844)
    phone.goto(f"/postmortems/{pm_id}/edit")
    folded = phone.get_by_role("navigation", name="Outline of the report")
    expect(folded.get_by_role("link", name="Five whys")).to_be_hidden()
    folded.get_by_text("Outline").click()
    folded.get_by_role("link", name="Five whys").click()
    expect(phone.locator("#s-five_whys-problem")).to_be_in_viewport()
    phone.context.close()


def test_lists_grow_with_add_without_saving(site):
    pm_id = _draft(site, "Add rows", summary="Kept")
    page = site.page("alice")
    page.goto(f"/postmortems/{pm_id}/edit")
    page.locator("#sec-five_whys > summary").click()
    page.fill("#s-five_whys-problem", "Checkout failed")
    page.fill("#s-five_whys-whys-0-why", "Why did checkout fail?")
    page.fill("#s-five_whys-whys-0-answer", "The pool ran out.")
    page.get_by_role("button", name="Add a why").click()
    expect(page.locator("#s-five_whys-whys-1-why")).to_be_focused()
    page.fill("#s-five_whys-whys-1-why", "Why did the pool run out?")
    page.get_by_role("button", name="Add a why").click()
    expect(page.locator("#s-five_whys-whys-2-why")).to_be_focused()
    page.fill("#s-five_whys-whys-2-why", "Why was it not sized for peaks?")
    # What was typed is all still there, and nothing was saved by adding.
    expect(page.locator("#s-five_whys-whys-0-answer")).to_have_value("The pool ran out.")
    expect(page.locator("#s-five_whys-problem")).to_have_value("Checkout failed")
    assert site.api("GET", f"/api/postmortems/{pm_id}", "alice")["version"] == 1

    page.locator("#sec-contributing_factors > summary").click()
    page.fill("#s-contributing_factors-0-factor", "No alert on pool usage")
    page.get_by_role("button", name="Add a contributing factor").click()
    page.fill("#s-contributing_factors-1-factor", "Load test skipped")
    page.locator("#sec-communication > summary").click()
    page.get_by_role("button", name="Add a message").click()
    # Type once the new entry is there, as a person does (it arrives by htmx).
    expect(page.locator("#s-communication-1-audience")).to_be_focused()
    page.fill("#s-communication-0-audience", "Customers")
    page.fill("#s-communication-1-audience", "Support")
    screenshot(page, "editor-rows")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved")
    saved = site.api("GET", f"/api/postmortems/{pm_id}", "alice")
    assert [w["why"] for w in saved["fiveWhys"]["whys"]] == [
        "Why did checkout fail?",
        "Why did the pool run out?",
        "Why was it not sized for peaks?",
    ]
    assert [f["factor"] for f in saved["contributingFactors"]] == [
        "No alert on pool usage",
        "Load test skipped",
    ]
    assert [c["audience"] for c in saved["communication"]] == ["Customers", "Support"]
    assert saved["summary"] == "Kept"
    page.context.close()


def test_incident_times_are_entered_in_24_hour_utc(site):
    incident = site.incident("24-hour incident")
    page = site.page("alice")
    page.goto(f"/incidents/{incident}/edit")
    started = page.get_by_label("Started (UTC)")
    expect(started).to_have_attribute("type", "text")  # never the 12-hour widget
    expect(started).to_have_value("2026-03-01 14:30")
    page.get_by_label("Detected (UTC)").fill("2026-03-01 16:36")
    page.get_by_label("Resolved (UTC)").fill("2026-03-01 4:50 PM")
    page.get_by_role("button", name="Save incident").click()
    # Refused by the field's pattern (or the server), and what was typed stays.
    expect(page.get_by_label("Resolved (UTC)")).to_have_value("2026-03-01 4:50 PM")
    assert site.api("GET", f"/api/incidents/{incident}", "alice")["detectedAt"] is None
    page.get_by_label("Resolved (UTC)").fill("2026-03-01 17:05")
    page.get_by_role("button", name="Save incident").click()
    expect(page.get_by_role("status").first).to_contain_text("Incident saved")
    saved = site.api("GET", f"/api/incidents/{incident}", "alice")
    assert saved["detectedAt"] == "2026-03-01T16:36:00Z"
    assert saved["resolvedAt"] == "2026-03-01T17:05:00Z"
    page.goto(f"/incidents/{incident}/edit")
    expect(page.get_by_label("Detected (UTC)")).to_have_value("2026-03-01 16:36")
    expect(page.get_by_label("Resolved (UTC)")).to_have_value("2026-03-01 17:05")
    page.context.close()


def test_typing_elsewhere_while_an_entry_arrives_stays_where_it_was_typed(site):
    """On a slow connection the new entry arrives while the person is already typing in
    another field: the rest of their typing stays in that field, not in the new entry."""
    pm_id = _draft(site, "Slow add")
    page = site.page("alice")
    page.goto(f"/postmortems/{pm_id}/edit")

    def slowly(route):
        if route.request.method == "POST" and "add-row" in (route.request.post_data or ""):
            page.wait_for_timeout(800)
        route.continue_()

    page.route(re.compile(r"/edit$"), slowly)
    page.locator("#sec-five_whys > summary").click()
    page.fill("#s-five_whys-whys-0-why", "Why did checkout fail?")
    page.get_by_role("button", name="Add a why").click()
    answer = page.locator("#s-five_whys-whys-0-answer")
    answer.click()
    answer.press_sequentially("The pool ran out of connections", delay=60)
    expect(page.locator("#s-five_whys-whys-1-why")).to_be_attached()
    page.keyboard.type(" at peak.")
    expect(answer).to_have_value("The pool ran out of connections at peak.")
    expect(page.locator("#s-five_whys-whys-1-why")).to_have_value("")
    expect(answer).to_be_focused()
    page.context.close()


def test_numbers_owners_and_a_past_due_date_as_a_person_meets_them(site):
    pm_id = _draft(
        site,
        "Numbers and owners",
        impactAnalysis={
            "users": {"durationMinutes": 45.0},
            "business": {"revenueLoss": 12000, "currency": "USD"},
        },
    )
    page = site.page("alice")
    page.goto(f"/postmortems/{pm_id}/edit")
    # Numbers as numbers: 45, not 45.0; 12,000 with its currency; typed back as shown.
    page.locator("#sec-impact_analysis > summary").click()
    expect(page.locator("#s-impact_analysis-users-duration_minutes")).to_have_value("45")
    revenue = page.locator("#s-impact_analysis-business-revenue_loss")
    expect(revenue).to_have_value("12,000")
    expect(page.locator("#s-impact_analysis-business .unit, .with-unit .unit").first).to_have_text(
        "USD"
    )
    revenue.fill("12,500")

    # Owners are suggested from the users, by name and by email.
    owner = page.locator("#id_item-owner")
    expect(owner).to_have_attribute("list", "owner-users")
    suggested = page.locator("#owner-users option").evaluate_all(
        "options => options.map(o => o.value + ' ' + o.textContent)"
    )
    assert any(s.startswith("bob ") and "bob@example.com" in s for s in suggested), suggested

    # A due date in the past is flagged as it is typed.
    due = page.locator("#id_item-due_date")
    due.fill("2020-01-15")
    warning = page.locator("#id_item-due_date ~ [data-past-note]")
    expect(warning).to_be_visible()
    expect(warning).to_have_text("This date is in the past.")
    due.fill("2099-01-15")
    expect(warning).to_be_hidden()
    due.fill("2020-01-15")

    # A free address (a team list) is allowed and said not to be a user; bob is one.
    page.fill("#id_item-description", "Page the database team")
    owner.fill("db-team@lists.example.com")
    page.get_by_role("button", name="Add action item").click()
    items = page.locator("#action-items .items-edit > li")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("db-team@lists.example.com (not a user)")
    expect(items.first.locator(".flag-overdue")).to_have_text("Overdue")
    page.fill("#id_item-description", "Resize the pool")
    page.fill("#id_item-owner", "bob")
    page.get_by_role("button", name="Add action item").click()
    expect(items).to_have_count(2)
    expect(items.filter(has_text="Resize the pool")).not_to_contain_text("not a user")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved")
    saved = site.api("GET", f"/api/postmortems/{pm_id}", "alice")
    assert saved["impactAnalysis"]["business"]["revenueLoss"] == 12500
    assert saved["impactAnalysis"]["users"]["durationMinutes"] == 45
    assert [i["owner"] for i in saved["actionItems"]] == ["db-team@lists.example.com", "bob"]
    page.context.close()
