"""A template's prompts are hints beside the fields, its suggested events and action items
are labelled unconfirmed and confirmed with one click, and publishing with any left asks
the author first, listing them."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_hints_one_click_confirm_and_publishing_asks_about_what_is_left(site):
    incident = site.incident("Guided incident")
    pm = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {"incidentId": incident, "title": "Guided by the short template", "template": "short"},
    )
    page = site.page("alice")
    page.goto(f"/postmortems/{pm['id']}/edit")

    # The prompt is guidance shown with the field, not the field's text.
    summary = page.locator("#id_summary")
    expect(summary).to_have_value("")
    expect(summary).to_have_attribute("placeholder", re.compile(r"^Issue summary, in two"))
    hint = page.locator("#id_summary-hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Issue summary, in two or three sentences")
    expect(summary).to_have_attribute("aria-describedby", re.compile(r"\bid_summary-hint\b"))

    # Each suggestion is labelled; one click confirms it (htmx swaps the section).
    labels = page.locator("#timeline .badge-unconfirmed")
    expect(labels).to_have_count(4)
    page.get_by_role("button", name=re.compile(r"^Confirm event “The change or event")).click()
    expect(labels).to_have_count(3)
    item_labels = page.locator("#action-items .badge-unconfirmed")
    expect(item_labels).to_have_count(3)
    page.locator("#action-items").get_by_role(
        "button", name=re.compile("^Confirm action item")
    ).first.click()
    expect(item_labels).to_have_count(2)
    stored = site.api("GET", f"/api/postmortems/{pm['id']}", "alice")
    assert [e["unconfirmed"] for e in stored["timeline"]] == [False, True, True, True]
    assert [i["unconfirmed"] for i in stored["actionItems"]] == [False, True, True]

    # Publishing asks first, listing the five left; confirming them publishes.
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(f"**/postmortems/{pm['id']}")
    page.get_by_role("button", name="Publish").click()
    confirm = page.locator("#publish-confirm")
    expect(confirm.get_by_role("heading")).to_have_text("5 template suggestions not confirmed yet")
    expect(confirm.locator("li")).to_have_count(5)
    expect(confirm.locator("li").first).to_have_text(
        "Timeline event 00:00 How we found out (alert, customer report, dashboard)"
    )
    assert site.api("GET", f"/api/postmortems/{pm['id']}", "alice")["status"] == "IN_REVIEW"
    assert_accessible(page, "publishing asks about the template's suggestions")
    page.get_by_role("button", name="Confirm 5 and publish").click()
    page.wait_for_url(f"**/postmortems/{pm['id']}")
    expect(page.locator(".report-head .badge")).to_contain_text("Published")
    expect(page.locator(".badge-unconfirmed")).to_have_count(0)
    stored = site.api("GET", f"/api/postmortems/{pm['id']}", "alice")
    assert stored["status"] == "PUBLISHED"
    assert not any(e["unconfirmed"] for e in stored["timeline"] + stored["actionItems"])
    page.context.close()
