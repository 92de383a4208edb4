"""axe-core on every page, signed in as an admin and as a member, on a desktop and on a phone:
no serious or critical violation, and no rule disabled."""

import pytest

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

SERIOUS = {"serious", "critical"}


def _problems(axe, page, path: str) -> list[str]:
    results = axe.run(page)
    return [
        f"{path}: {violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


@pytest.fixture(scope="module")
def report(site):
    site.server.hindsight(
        "manage",
        "shell",
        "-c",
        "from hindsight.accounts.services import create_user\n"
        f"create_user('axeadmin', password={PASSWORD!r}, email='axeadmin@example.com',"
        " role='admin')\n",
    )
    incident = site.incident("Accessibility check incident", severity="SEV2", services=["search"])
    pm = site.api(
        "POST",
        "/api/postmortems",
        "alice",
        {
            "incidentId": incident,
            "title": "Accessibility check",
            "summary": "Search returned errors for **15 minutes**.",
            "impact": "About 1,200 users.",
            "timeline": [
                {"time": "14:35", "description": "Alert fired", "kind": "DETECTION"},
                {"time": "14:50", "description": "Service restored", "kind": "RESOLUTION"},
            ],
            "actionItems": [
                {"description": "Alert on the pool", "owner": "alice", "dueDate": "2026-01-01"}
            ],
            "contributingFactors": [{"factor": "No alert on pool usage"}],
        },
    )
    return incident, pm["id"]


def pages(incident: str, pm_id: str) -> list[str]:
    return [
        "/",
        "/postmortems",
        "/postmortems?q=search",
        "/postmortems/new",
        f"/postmortems/{pm_id}",
        f"/postmortems/{pm_id}/edit",
        f"/postmortems/{pm_id}/history",
        f"/postmortems/{pm_id}/related",
        "/action-items",
        "/insights",
        "/incidents",
        "/incidents/new",
        f"/incidents/{incident}",
        "/account/password",
        "/account/tokens",
    ]


@pytest.mark.parametrize(("user", "width"), [("axeadmin", 1366), ("alice", 390)])
def test_no_page_has_a_serious_accessibility_violation(site, report, user, width):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = site.page(width=width, height=900)
    page.goto("/login")
    assert _problems(axe, page, "/login") == []
    site.sign_in(page, user)
    problems = []
    for path in pages(*report):
        response = page.goto(path)
        assert response.status == 200, path
        problems += _problems(axe, page, path)
    assert problems == [], "\n".join(problems)
