"""The Action Items page in a browser: each row's own status control saves at once, done
items are hidden until asked for, and the post-mortem is picked by its title."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_a_rows_status_control_saves_that_item_and_done_items_show_on_request(site):
    incident = site.incident("Row status incident")
    created = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": incident,
            "title": "Row status report",
            "actionItems": [
                {"description": "Rotate the signing keys", "owner": "bob"},
                {"description": "Add a canary for the rotation", "owner": "alice"},
                {"description": "Already finished task", "owner": "bob", "status": "DONE"},
            ],
        },
    )
    pm_id = created["id"]
    items = {i["description"]: i["id"] for i in created["actionItems"]}

    page = site.page("alice")
    page.goto("/action-items")
    # The post-mortem is picked by its title, not typed as an id.
    page.get_by_label("Post-mortem", exact=True).select_option(label="Row status report (draft)")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"**postmortemId={pm_id}**")
    rows = page.locator("table.all-items tbody tr")
    expect(rows).to_have_count(2)  # the done one is hidden
    expect(page.locator("table.all-items")).not_to_contain_text("Already finished task")

    # Each row has its own status control, saved as soon as it changes.
    control = page.get_by_label("Status of “Rotate the signing keys”")
    with page.expect_response(lambda r: r.url.endswith("/status")) as answer:
        control.select_option("IN_PROGRESS")
    assert answer.value.status == 200
    expect(page.get_by_label("Status of “Rotate the signing keys”")).to_have_value("IN_PROGRESS")
    status, _, data = site.server.request(
        "GET", f"/api/postmortems/{pm_id}", token=site.tokens["alice"]
    )
    saved = {i["id"]: i["status"] for i in data["actionItems"]}
    assert saved[items["Rotate the signing keys"]] == "IN_PROGRESS"
    assert saved[items["Add a canary for the rotation"]] == "TODO"

    # Done items appear on request, each with its control too.
    page.get_by_role("link", name="Show done items too").click()
    expect(rows).to_have_count(3)
    expect(page.get_by_label("Status of “Already finished task”")).to_have_value("DONE")
    screenshot(page, "32-action-items-rows")
    page.context.close()


def test_the_owner_filter_finds_items_by_a_users_name_or_email(site):
    incident = site.incident("Owner filter incident")
    site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": incident,
            "title": "Owner filter report",
            "actionItems": [
                {"description": "Owned by bob's name", "owner": "bob"},
                {"description": "Owned by bob's email", "owner": "bob@example.com"},
            ],
        },
    )
    page = site.page("alice")
    page.goto("/action-items")
    page.get_by_label("Owner").fill("bob@example.com")
    page.get_by_role("button", name="Apply").click()
    table = page.locator("table.all-items")
    expect(table).to_contain_text("Owned by bob's name")
    expect(table).to_contain_text("Owned by bob's email")
    page.context.close()
