"""The home page in a browser, at 1366 px and on a phone: every card is there, nothing
overflows sideways (no clipped column), and no word is broken in the middle."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

CARDS = [
    "Awaiting my review",
    "My drafts",
    "My open action items",
    "Incidents that need a post-mortem",
    "Recently published",
]

# For each card: how far its content reaches past its box, and every word whose letters
# sit on more than one line (a word broken mid-word; a break after a hyphen is a line's end).
MEASURE = """() => {
  const cards = [...document.querySelectorAll("main .card")];
  const overflow = cards.map(c => [c.querySelector("h2")?.textContent,
                                   c.scrollWidth - c.clientWidth]);
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector("main"),
                                           NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    const words = /[^\\s-]+-?/g;  // a line may end after a hyphen: post-|mortem
    let match;
    while ((match = words.exec(text))) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                             .map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return {page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          overflow, broken};
}"""


@pytest.fixture(scope="module")
def home_data(site):
    late = site.incident(
        "Authentication gateway intermittently refusing federated logins",
        severity="SEV2",
        resolvedAt="2026-03-01T16:00:00Z",
    )
    site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": late,
            "title": "Intermittent federated authentication refusals across regional gateways",
            "summary": "Logins failed for a fraction of enterprise tenants.",
            "actionItems": [
                {
                    "description": "Instrument the certificate rotation pipeline end to end",
                    "owner": "alice",
                    "dueDate": "2026-01-15",
                },
                {"description": "Document the regional failover runbook", "owner": "alice"},
            ],
        },
    )
    published = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": site.incident("Nightly reconciliation backlog"),
            "title": "Reconciliation backlog after the ledger migration",
            "status": "IN_REVIEW",
        },
    )
    site.api("PATCH", f"/api/postmortems/{published['id']}", "alice", {"status": "PUBLISHED"})
    site.incident("Unwritten storage incident", resolvedAt="2026-03-02T09:00:00Z")
    # In review, approved by bob: ready for alice to publish (a long title, to measure).
    ready = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": site.incident("Webhook deliveries delayed"),
            "title": "Webhook deliveries delayed behind an unbounded retry queue in eu-central",
            "status": "IN_REVIEW",
        },
    )
    site.api("POST", f"/api/postmortems/{ready['id']}/reviews", "bob", {"decision": "APPROVED"})


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_every_card_fits_and_no_word_is_broken(site, home_data, width, height):
    page = site.page("alice", width=width, height=height)
    page.goto("/")
    for heading in CARDS:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    needing = page.locator("section", has=page.get_by_role("heading", name=CARDS[3]))
    expect(needing).to_contain_text("Unwritten storage incident")
    expect(needing).to_contain_text("Authentication gateway intermittently refusing")
    items = page.locator("section", has=page.get_by_role("heading", name=CARDS[2]))
    expect(items).to_contain_text("Instrument the certificate rotation")
    # Overdue first: every overdue item (other tests' too, on this shared server) comes
    # before every item that is not.
    texts = items.locator("li").all_inner_texts()
    late = ["Overdue" in text for text in texts]
    assert late == sorted(late, reverse=True), texts
    mine = [t for t in texts if "certificate rotation" in t or "failover runbook" in t]
    assert "Overdue" in mine[0] and "certificate rotation" in mine[0], texts
    published = page.locator("section", has=page.get_by_role("heading", name=CARDS[4]))
    expect(published).to_contain_text("Reconciliation backlog after the ledger migration")
    ready = page.locator("section", has=page.get_by_role("heading", name="Ready to publish"))
    expect(ready).to_contain_text("Webhook deliveries delayed behind an unbounded retry queue")

    measured = page.evaluate(MEASURE)
    assert measured["page"] <= 0, measured
    assert [card for card in measured["overflow"] if card[1] > 0] == []
    assert measured["broken"] == []
    screenshot(page, f"31-home-{width}")
    page.context.close()
