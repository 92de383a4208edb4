"""The editor's related panel follows the root cause as it is written: one request once the
typing pauses (debounced), none per key, and the page's unsaved work stays unsaved."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot

pytestmark = pytest.mark.browser


def _report(site, title: str, root_cause: str, service: str) -> str:
    incident = site.incident(f"{title} incident", services=[service])
    body = {"incidentId": incident, "title": title, "rootCause": root_cause}
    return site.api("POST", "/api/postmortems", "alice", body)["id"]


def test_the_related_panel_follows_the_root_cause_as_it_is_written(site):
    _report(
        site,
        "Replica lag broke the nightly ledger export",
        "Replica replication lag grew until the ledger export read stale rows.",
        "ledger",
    )
    draft = _report(site, "Exports were late", "Unknown so far.", "exports")
    page = site.page("alice")
    asked = []
    page.on(
        "request",
        lambda r: asked.append(r) if r.method == "POST" and r.url.endswith("/related") else None,
    )
    with page.expect_response(re.compile(r"/related$")):  # the panel, once the page shows
        page.goto(f"/postmortems/{draft}/edit")
    panel = page.locator("#editor-related")
    ledger = panel.get_by_role("link", name="Replica lag broke the nightly ledger export")
    expect(ledger).to_have_count(0)  # nothing about replicas written yet
    loaded = len(asked)

    with page.expect_response(re.compile(r"/related$")):
        page.locator("#id_root_cause").press_sequentially("replication lag on the ledger replica")
    expect(
        panel.get_by_role("link", name="Replica lag broke the nightly ledger export")
    ).to_be_visible()
    # Debounced: the whole sentence typed key by key cost one request (or two, had a pause
    # fallen mid-sentence), not one per key.
    assert 1 <= len(asked) - loaded <= 2, len(asked) - loaded
    expect(panel).to_contain_text("Updated as you write")
    expect(page.locator("[data-unsaved-note]")).to_be_visible()  # nothing was saved for it
    assert_accessible(page, "editor with the related panel")
    screenshot(page, "editor-related")
