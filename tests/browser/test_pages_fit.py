"""Every page a team reads, at 1366 px and on a phone: nothing overflows sideways, no table
scrolls a column out of sight, and no word is broken mid-word where it would fit whole
(only a word longer than its box, such as a long address, may break)."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

# A word is broken when its letters sit on more than one line although it is no wider than
# the box it is written in. In a table that box is the table's own (a column squeezed below
# its longest word is the fault). A line may end after a hyphen or a dash; a tracker's web
# address is no word and may break anywhere rather than widen its column.
MEASURE = """() => {
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent.checkVisibility() || parent.getBoundingClientRect().width <= 1) continue;
    if (parent.closest(".tracker")) continue;  // a web address, free to break anywhere
    let box = parent;
    while (box.parentElement && getComputedStyle(box).display.startsWith("inline")) {
      box = box.parentElement;
    }
    const cell = box.closest("td, th");
    if (cell) box = cell.closest("table").parentElement;
    const style = getComputedStyle(box);
    const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const words = /[^\\s\\-\\u2013\\u2014]+[\\-\\u2013\\u2014]?/g;
    let match;
    while ((match = words.exec(node.textContent))) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      const lines = new Set(rects.map(r => Math.round(r.top))).size;
      const width = rects.reduce((sum, r) => sum + r.width, 0);
      if (lines > 1 && width <= room) broken.push(match[0]);
    }
  }
  const clipped = [...document.querySelectorAll("main table")]
    .filter(t => t.parentElement.scrollWidth > t.parentElement.clientWidth)
    .map(t => (t.className || "table") + ": " + t.querySelector("tr").innerText.slice(0, 40));
  const root = document.documentElement;
  return {overflow: root.scrollWidth - root.clientWidth, clipped, broken};
}"""


@pytest.fixture(scope="module")
def pages(site):
    """Pages with what makes a table squeeze: long titles, service names and owners'
    addresses, several rows of each."""
    made = []
    for service, title in [
        ("notifications", "Notifications: a bad configuration push"),
        ("inventory", "Inventory: an expired certificate on the warehouse gateway"),
        ("payments", "Payments: connection pool exhaustion"),
        ("checkout", "Checkout: a cache stampede after the catalogue import"),
    ]:
        made.append(
            site.incident(
                title,
                severity="SEV2",
                services=[service, "fit-check"],
                detectedAt="2026-03-01T14:39:00Z",
                acknowledgedAt="2026-03-01T14:45:00Z",
                mitigatedAt="2026-03-01T15:10:00Z",
                resolvedAt="2026-03-01T17:47:00Z",
            )
        )
    pm = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": made[0],
            "title": "Database connection pool exhaustion during the campaign launch",
            "summary": "Checkout failed for 19 minutes; fitcheck.",
            "actionItems": [
                {
                    "description": "Alert when pool utilisation stays above 80% for 2 minutes",
                    "owner": "alice@example.com",
                    "priority": "HIGH",
                    "dueDate": "2026-11-20",
                },
                {
                    "description": "Autoscale API instances on connection wait time",
                    "owner": "devops@example.com",
                    "priority": "HIGH",
                    "dueDate": "2026-12-11",
                },
                {
                    "description": "Put marketing launches on the shared capacity calendar",
                    "owner": "bob@example.com",
                    "priority": "MEDIUM",
                    "dueDate": "2026-12-23",
                },
                {
                    "description": "Load-test checkout at 4x peak before each campaign",
                    "owner": "payments@example.com",
                    "trackerUrl": "https://tracker.example.com/projects/checkout/issues/CHK-20412",
                    "priority": "LOW",
                    "dueDate": "2027-01-16",
                },
            ],
        },
    )
    for status in ("IN_REVIEW", "PUBLISHED"):
        site.api("PATCH", f"/api/postmortems/{pm['id']}", "alice", {"status": status})
    # The lists filtered to these, so other tests' data on the shared server (such as the
    # XSS tests' made-up strings) is not what is measured.
    return [
        "/incidents?service=fit-check",
        f"/incidents/{made[0]}",
        f"/postmortems/{pm['id']}",
        f"/postmortems/{pm['id']}/history",
        "/postmortems?q=fitcheck",
        f"/action-items?postmortemId={pm['id']}",
    ]


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_no_page_clips_a_column_or_breaks_a_word_that_fits(site, pages, width, height):
    page = site.page("alice", width=width, height=height)
    problems = {}
    for path in pages:
        page.goto(path)
        measured = page.evaluate(MEASURE)
        if measured["overflow"] > 0 or measured["clipped"] or measured["broken"]:
            problems[path] = measured
            screenshot(page, f"unfit-{width}-{path.strip('/').replace('/', '-')}")
    assert problems == {}
    page.context.close()
