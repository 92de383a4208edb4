"""Whatever people type into a report is shown as text: no script runs anywhere."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCRIPT = '<script>alert("xss-title")</script>'
PAYLOADS = {
    "img": '<img src=x onerror=alert("xss-img")>',
    "svg": '"><svg onload=alert("xss-svg")>',
    "link": '[click me](javascript:alert("xss-link"))',
    "iframe": "<iframe src=\"javascript:alert('xss-iframe')\"></iframe>",
}


def test_script_payloads_render_as_harmless_text(site):
    incident = site.incident(SCRIPT, services=[PAYLOADS["svg"]])
    pm = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": incident,
            "title": SCRIPT,
            "summary": f"{PAYLOADS['img']}\n\n{PAYLOADS['link']}",
            "impact": PAYLOADS["iframe"],
            "rootCause": SCRIPT,
            "tags": ["<b>bold</b>"],
            "contributors": [PAYLOADS["svg"]],
            "executiveSummary": PAYLOADS["img"],
            "contributingFactors": [{"factor": SCRIPT, "howItContributed": PAYLOADS["img"]}],
            "timeline": [{"time": "14:35", "description": SCRIPT, "who": PAYLOADS["svg"]}],
            "actionItems": [{"description": PAYLOADS["svg"], "owner": SCRIPT}],
        },
    )
    page = site.page("alice")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in (
        f"/postmortems/{pm['id']}",
        f"/postmortems/{pm['id']}/edit",
        "/postmortems",
        "/postmortems?q=script",
        "/",
        "/incidents",
        f"/incidents/{incident}",
    ):
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.locator("script:not([src])").count() == 0, path
        # The only SVG is the app's own icons (class "icon", from heroicons), none with handlers.
        assert page.locator("iframe, svg:not(.icon), svg[onload], img[onerror]").count() == 0, path
    page.goto(f"/postmortems/{pm['id']}")
    expect(page.locator("h1")).to_have_text(SCRIPT)
    expect(page.get_by_role("link", name="click me")).to_have_count(0)
    # The live preview sanitises too.
    page.goto(f"/postmortems/{pm['id']}/edit")
    page.fill("#id_summary", PAYLOADS["img"] + " **ok**")
    page.click("#id_summary-preview-tab")
    expect(page.locator("#id_summary-preview strong")).to_have_text("ok")
    assert page.locator("#id_summary-preview img[onerror]").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []
    page.context.close()
