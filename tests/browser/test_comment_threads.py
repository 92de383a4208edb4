"""Review comments on the report page: shown beside their section as Markdown, answered
with a reply and resolved, without leaving the page's place."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on PAGE, as in test_accessibility."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in {"serious", "critical"}]


pytestmark = pytest.mark.browser


def test_a_section_comment_is_replied_to_and_resolved_beside_its_section(site):
    incident = site.incident("Threads incident")
    pm_id = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {"incidentId": incident, "title": "Threads", "rootCause": "The pool was too small."},
    )["id"]
    site.api("PATCH", f"/api/postmortems/{pm_id}", "alice", {"status": "IN_REVIEW"})
    question = site.api(
        "POST",
        f"/api/postmortems/{pm_id}/comments",
        "bob",
        {"body": "Was it **ever** load-tested?", "section": "rootCause"},
    )

    page = site.page("alice")
    page.goto(f"/postmortems/{pm_id}")
    aside = page.locator("#section-rootCause .section-comments")
    expect(aside).to_be_visible()
    expect(aside.locator(".comment-body strong")).to_have_text("ever")
    # Beside the section's text on a wide screen, not under it.
    text_box = page.locator("#section-rootCause .prose").first.bounding_box()
    aside_box = aside.bounding_box()
    assert aside_box["x"] > text_box["x"] + text_box["width"] - 1

    thread = page.locator(f"#comment-{question['id']}")
    thread.locator("summary", has_text="Reply").click()
    thread.get_by_label("Your reply").fill("Never at 3x load; see the *new* action item.")
    thread.get_by_role("button", name="Post reply").click()
    thread = page.locator(f"#comment-{question['id']}")
    expect(thread.locator(".replies .comment-body em")).to_have_text("new")
    expect(thread.get_by_role("status")).to_have_text("Reply posted.")
    expect(thread).to_be_in_viewport()

    thread.get_by_role("button", name="Resolve").click()
    thread = page.locator(f"#comment-{question['id']}")
    expect(thread.locator(".resolved-note")).to_contain_text("Resolved by alice")
    expect(thread.get_by_role("button", name="Reopen")).to_be_visible()
    screenshot(page, "report-comment-threads")
    assert serious_violations(page) == []
    stored = site.api("GET", f"/api/postmortems/{pm_id}/comments", "bob")["items"]
    assert [(c["parentId"], c["resolvedBy"]) for c in stored] == [
        (None, "alice"),
        (question["id"], None),
    ]
    page.context.close()


def test_a_member_with_no_part_in_the_report_is_not_offered_resolve(site):
    incident = site.incident("Threads incident two")
    pm_id = site.api(
        "POST", "/api/postmortems", "alice", {"incidentId": incident, "title": "Threads two"}
    )["id"]
    site.api("PATCH", f"/api/postmortems/{pm_id}", "alice", {"status": "IN_REVIEW"})
    site.api("POST", f"/api/postmortems/{pm_id}/comments", "alice", {"body": "A note."})
    page = site.page("bob")
    page.goto(f"/postmortems/{pm_id}")
    expect(page.locator("#review .thread")).to_have_count(1)
    expect(page.locator("#review").get_by_role("button", name="Resolve")).to_have_count(0)
    expect(page.locator("#review .thread summary", has_text="Reply")).to_be_visible()
    page.context.close()
