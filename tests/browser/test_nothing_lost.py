"""The issue's own reproductions, done by hand in a browser: a form writes only what the
person changed; "Awaiting my review" and "Ready to publish" say what they mean; people are
offered only what they may do."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _published(site, title: str, items: list[dict]) -> dict:
    incident = site.incident(f"{title} incident")
    pm = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {"incidentId": incident, "title": title, "actionItems": items},
    )
    for status in ("IN_REVIEW", "PUBLISHED"):
        site.api("PATCH", f"/api/postmortems/{pm['id']}", "alice", {"status": status})
    return pm


def test_the_follow_through_form_keeps_a_status_set_inline_after_the_page_was_shown(site):
    pm = _published(site, "Only what changed", [{"description": "Rotate the keys"}])
    item = pm["actionItems"][0]["id"]
    page = site.page("alice")
    page.goto(f"/postmortems/{pm['id']}")
    row = page.locator(f"#item-{item}")
    with page.expect_response(re.compile(r"/status$")):
        row.get_by_label("Status of “Rotate the keys”").select_option("IN_PROGRESS")
    # The Follow-through form was rendered with the page, when the status was still TODO.
    row.locator("summary", has_text="Follow-through").click()
    row.get_by_label("Tracker link").fill("https://tracker.example.com/T-1")
    row.get_by_role("button", name="Save follow-through").click()
    page.wait_for_load_state("load")
    stored = site.api("GET", f"/api/postmortems/{pm['id']}", "alice")["actionItems"][0]
    assert (stored["status"], stored["trackerUrl"]) == (
        "IN_PROGRESS",
        "https://tracker.example.com/T-1",
    )
    history = site.api("GET", f"/api/postmortems/{pm['id']}/history", "alice")
    assert "IN_PROGRESS → TODO" not in str(history)
    page.goto(f"/postmortems/{pm['id']}/history")
    expect(page.locator("main")).not_to_contain_text("In progress → To do")
    page.context.close()


def test_the_edit_pages_item_form_keeps_a_status_set_after_the_page_was_shown(site):
    incident = site.incident("Item form incident")
    pm = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {"incidentId": incident, "title": "Item form", "actionItems": [{"description": "Canary"}]},
    )
    item = pm["actionItems"][0]["id"]
    page = site.page("alice")
    page.goto(f"/postmortems/{pm['id']}/edit")
    # Someone sets the status meanwhile, through the API.
    site.api("PATCH", f"/api/action-items/{item}", "alice", {"status": "IN_PROGRESS"})
    items = page.locator("#action-items")
    items.locator(".edit-details > summary").first.click()
    items.locator(f"#id-{item}").fill("Canary stage for the rotation")
    items.get_by_role("button", name="Save item").first.click()
    expect(items).to_contain_text("Canary stage for the rotation")
    stored = site.api("GET", f"/api/postmortems/{pm['id']}", "alice")["actionItems"][0]
    assert (stored["description"], stored["status"]) == (
        "Canary stage for the rotation",
        "IN_PROGRESS",
    )
    page.context.close()


def _card(page, heading: str):
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def test_awaiting_my_review_lists_what_i_was_asked_and_the_author_sees_ready_to_publish(site):
    incident = site.incident("Awaiting incident")
    pm = site.api(
        "POST", "/api/postmortems", "alice", {"incidentId": incident, "title": "Asked of bob"}
    )
    site.api("PATCH", f"/api/postmortems/{pm['id']}", "alice", {"status": "IN_REVIEW"})
    alice = site.page("alice")
    alice.goto(f"/postmortems/{pm['id']}")
    alice.get_by_label("Ask for a review from").fill("bob")
    alice.get_by_role("button", name="Request review").click()
    expect(alice.locator("#review")).to_contain_text("bob")
    alice.goto("/")
    expect(_card(alice, "Awaiting my review")).not_to_contain_text("Asked of bob")

    bob = site.page("bob")
    bob.goto("/")
    waiting = _card(bob, "Awaiting my review")
    expect(waiting).to_contain_text("Asked of bob")
    waiting.get_by_role("link", name="Asked of bob").click()
    bob.get_by_role("button", name="Approve").click()
    expect(bob.locator(".approvals")).to_contain_text("approved by bob")
    bob.goto("/")
    expect(_card(bob, "Awaiting my review")).not_to_contain_text("Asked of bob")
    bob.context.close()

    alice.goto("/")
    expect(_card(alice, "Ready to publish")).to_contain_text("Asked of bob")
    alice.context.close()


def test_a_viewer_is_offered_no_writing_and_an_owner_only_the_follow_through(site):
    site.server.hindsight(
        "manage",
        "shell",
        "-c",
        "from hindsight.accounts.services import create_user\n"
        f"create_user('carol', password={PASSWORD!r}, email='carol@example.com', role='viewer')\n",
    )
    pm = _published(
        site,
        "Offers",
        [
            {"description": "Carol follows this through", "owner": "carol"},
            {"description": "Bob's to do", "owner": "bob"},
        ],
    )
    carol = site.page("carol")
    carol.goto("/")
    expect(carol.get_by_role("link", name="New post-mortem")).to_have_count(0)
    expect(carol.locator("main")).not_to_contain_text("Start one")
    assert carol.goto("/postmortems/new").status in (403, 404)
    carol.goto(f"/postmortems/{pm['id']}")
    # Her own item's follow-through, whatever her role; nothing else.
    expect(carol.get_by_label("Status of “Carol follows this through”")).to_be_visible()
    expect(carol.get_by_label("Status of “Bob's to do”")).to_have_count(0)
    expect(carol.locator(".workflow button")).to_have_count(0)
    with carol.expect_response(re.compile(r"/status$")) as answer:
        carol.get_by_label("Status of “Carol follows this through”").select_option("DONE")
    assert answer.value.status == 200
    stored = site.api("GET", f"/api/postmortems/{pm['id']}", "alice")["actionItems"]
    assert [i["status"] for i in stored] == ["DONE", "TODO"]
    carol.context.close()


def test_a_refused_item_edit_shows_why_in_its_form_and_keeps_what_was_typed(site):
    incident = site.incident("Refused edit incident")
    pm = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {"incidentId": incident, "title": "Refused edit", "actionItems": [{"description": "Tune"}]},
    )
    item = pm["actionItems"][0]["id"]
    page = site.page("alice")
    page.goto(f"/postmortems/{pm['id']}/edit")
    page.locator(f"#item-{item} details.edit-details > summary").click()
    page.locator(f"#id-{item}").fill("Tune the pool limits")
    page.locator(f"#io-{item}").fill("x" * 300)  # longer than an owner may be
    with page.expect_response(re.compile(rf"/action-items/{item}$")) as answer:
        page.locator(f"#item-{item}").get_by_role("button", name="Save item").click()
    assert answer.value.status == 422
    form = page.locator(f'#item-{item} form[action="/action-items/{item}"]')
    expect(form.get_by_role("alert")).to_contain_text("Item not saved")
    expect(page.locator(f"#io-{item}")).to_be_focused()
    expect(page.locator(f"#id-{item}")).to_have_value("Tune the pool limits")
    stored = site.api("GET", f"/api/postmortems/{pm['id']}", "alice")["actionItems"][0]
    assert stored["description"] == "Tune"
