"""Nothing lost, nothing silent: a refused change is shown where the person is looking and
what they typed stays, with or without JavaScript; deleting asks first."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _draft(site, title: str, **body) -> str:
    incident = site.incident(f"{title} incident")
    return site.api(
        "POST", "/api/postmortems", "alice", {"incidentId": incident, "title": title, **body}
    )["id"]


def test_a_refused_event_shows_its_message_by_the_field_and_keeps_the_typing(site):
    pm_id = _draft(
        site, "Refused event", timeline=[{"time": "14:31", "description": "Deploy started"}]
    )
    page = site.page("alice")
    page.goto(f"/postmortems/{pm_id}/edit")
    page.fill("#id_event-lines", "25:99 Pager fired")
    page.get_by_role("button", name="Add event").click()
    error = page.locator("#timeline .has-error .field-error")
    expect(error).to_contain_text("Write a time of day")
    expect(page.locator("#id_event-lines")).to_be_focused()
    expect(page.locator("#id_event-lines")).to_have_value("25:99 Pager fired")

    # Editing an event to nonsense: the refusal appears in the timeline, not nowhere.
    timeline = page.locator("#timeline")
    timeline.get_by_text("Edit").first.click()
    timeline.locator(".event-form input[name=event-time]").first.fill("nonsense")
    timeline.get_by_role("button", name="Save event").first.click()
    expect(timeline.locator(".form-error")).to_contain_text("Event not saved")
    expect(timeline.locator(".timeline-edit .event .time")).to_have_text(["2026-03-01 14:31 UTC"])
    # The event's own form stays open with what was typed, the message under its field and
    # the focus on it.
    field = timeline.locator(".event-form input[name=event-time]").first
    expect(field).to_have_value("nonsense")
    expect(field).to_be_focused()
    expect(timeline.locator(".event-form .has-error .field-error").first).to_be_visible()
    page.context.close()


def test_without_javascript_the_refusal_and_the_typing_stay(site):
    pm_id = _draft(site, "Refused without JS")
    context = site.browser.new_context(base_url=site.url, java_script_enabled=False)
    page = context.new_page()
    site.sign_in(page, "alice")
    page.goto(f"/postmortems/{pm_id}/edit")
    page.fill("#id_event-lines", "25:99 Pager fired")
    page.get_by_role("button", name="Add event").click()
    expect(page.locator("#timeline .field-error")).to_contain_text("Write a time of day")
    expect(page.locator("#id_event-lines")).to_have_value("25:99 Pager fired")
    context.close()


def test_a_review_refusal_is_shown_in_the_review_block(site):
    pm_id = _draft(site, "Review refusal", contributors=["bob"])
    site.api("PATCH", f"/api/postmortems/{pm_id}", "alice", {"status": "IN_REVIEW"})
    page = site.page("alice")
    page.goto(f"/postmortems/{pm_id}")
    page.get_by_label("Ask for a review from").fill("bob")
    page.get_by_role("button", name="Request review").click()
    refusal = page.locator("#review [role=alert]")
    expect(refusal).to_contain_text("Bob is an author of this post-mortem and cannot review it.")
    expect(refusal).to_be_focused()
    expect(refusal).to_be_in_viewport()
    page.context.close()


def test_deleting_an_event_an_item_or_a_draft_asks_first(site):
    pm_id = _draft(
        site,
        "Delete asks",
        timeline=[{"time": "14:31", "description": "Deploy started"}],
        actionItems=[{"description": "Add a canary stage"}],
    )
    page = site.page("alice")
    page.goto(f"/postmortems/{pm_id}/edit")
    asked = []

    def answer(accept: bool):
        def handle(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    events = page.locator("#timeline .timeline-edit > li.event")
    items = page.locator("#action-items .items-edit > li")
    page.once("dialog", answer(False))
    page.get_by_role("button", name="Delete event “Deploy started”").click()
    page.once("dialog", answer(False))
    page.get_by_role("button", name="Delete action item “Add a canary stage”").click()
    expect(events).to_have_count(1)
    expect(items).to_have_count(1)
    assert [m.split("“")[0] for m in asked] == ["Delete the event ", "Delete the action item "]

    page.once("dialog", answer(True))
    page.get_by_role("button", name="Delete event “Deploy started”").click()
    expect(events).to_have_count(0)
    page.once("dialog", answer(True))
    page.get_by_role("button", name="Delete action item “Add a canary stage”").click()
    expect(items).to_have_count(0)

    page.once("dialog", answer(False))
    page.get_by_role("button", name="Delete draft").click()
    assert "for good" in asked[-1]
    expect(page).to_have_url(f"{site.url}/postmortems/{pm_id}/edit")
    page.once("dialog", answer(True))
    page.get_by_role("button", name="Delete draft").click()
    page.wait_for_url(f"{site.url}/")
    page.context.close()
