"""The error pages and the icons as a person sees them in Debian's Chromium: styled, with the
navigation, the logo shown, and no violation axe-core calls serious or critical."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_a_missing_page_is_styled_with_the_navigation_and_accessible(site):
    page = site.page("alice")
    response = page.goto("/postmortems/pm_missing")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("There is no post-mortem pm_missing.")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Incidents").click()
    expect(page).to_have_url(f"{site.url}/incidents")
    page.go_back()
    assert_accessible(page, "404")
    page.context.close()


def test_the_logo_and_the_favicon_load(site):
    page = site.page("alice")
    page.goto("/")
    logo = page.locator(".brand img")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    assert page.request.get(site.url + href).headers["content-type"].startswith("image/svg+xml")
    page.context.close()


def test_the_lock_on_a_published_report_is_a_drawn_icon(site):
    incident = site.incident("Locked icon incident")
    pm = site.api(
        "POST", "/api/postmortems", "alice", {"incidentId": incident, "title": "Locked icon"}
    )
    for status in ("IN_REVIEW", "PUBLISHED"):
        site.api("PATCH", f"/api/postmortems/{pm['id']}", "alice", {"status": status})
    page = site.page("alice")
    page.goto(f"/postmortems/{pm['id']}")
    lock = page.locator(".locked svg.icon")
    expect(lock).to_be_visible()
    box = lock.bounding_box()
    assert box["width"] >= 12 and box["height"] >= 12  # drawn, not an empty glyph box
    assert_accessible(page, "published report")
    page.context.close()


def test_a_refused_page_says_why_with_the_navigation_and_is_accessible(site):
    incident = site.incident("Refused page incident")
    pm = site.api("POST", "/api/postmortems", "alice", {"incidentId": incident, "title": "Hers"})
    for status in ("IN_REVIEW", "PUBLISHED"):
        site.api("PATCH", f"/api/postmortems/{pm['id']}", "alice", {"status": status})
    page = site.page("bob")  # no part in alice's report: he may read it, not edit it
    response = page.goto(f"/postmortems/{pm['id']}/edit")
    assert response.status == 403
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("main")).to_contain_text("author")
    assert_accessible(page, "403")
    page.context.close()
