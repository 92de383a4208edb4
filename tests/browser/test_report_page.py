"""The report page as a reader meets it: the incident's facts in a header, a table of
contents that jumps to each part and counts its open comments."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_header_gives_the_incidents_facts_and_the_contents_jump_to_each_part(site):
    incident = site.incident(
        "Header incident",
        severity="SEV2",
        services=["checkout-api", "postgres-orders"],
        detectedAt="2026-03-01T14:34:00Z",
        mitigatedAt="2026-03-01T14:45:00Z",
        resolvedAt="2026-03-01T15:50:00Z",
    )
    pm = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": incident,
            "title": "Header and contents",
            "summary": "Checkout failed.",
            "rootCause": "The pool was too small.",
            "lessonsLearned": {"process": "Load-test before campaigns."},
        },
    )
    site.api("PATCH", f"/api/postmortems/{pm['id']}", "alice", {"status": "IN_REVIEW"})
    site.api(
        "POST",
        f"/api/postmortems/{pm['id']}/comments",
        "bob",
        {"body": "Which pool?", "section": "rootCause"},
    )
    page = site.page("alice", height=700)
    page.goto(f"/postmortems/{pm['id']}")
    facts = page.locator(".incident-facts")
    for term, value in [
        ("Severity", "SEV2"),
        ("Date", "2026-03-01"),
        ("Duration", "1 h 20 min (14:30–15:50 UTC)"),
        ("Services", "checkout-api, postgres-orders"),
        ("Time to detect", "4 min"),
        ("Time to mitigate", "15 min"),
        ("Time to resolve", "1 h 20 min"),
    ]:
        expect(facts.locator(".fact", has=page.locator("dt", has_text=term)).first).to_contain_text(
            value
        )

    contents = page.get_by_role("navigation", name="Contents")
    expect(contents.locator("li", has_text="Root cause")).to_contain_text("1 open comment")
    contents.get_by_role("link", name="Lessons learned").click()
    expect(page.get_by_role("heading", name="Lessons learned", level=2)).to_be_in_viewport()
    contents = page.get_by_role("navigation", name="Contents")
    contents.get_by_role("link", name="Root cause").click()
    expect(page.get_by_role("heading", name="Root cause", level=2)).to_be_in_viewport()
    page.context.close()
