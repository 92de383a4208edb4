"""GET /api/postmortems/{id}/export: the report as Markdown, laid out as in the issue."""

import pytest

from hindsight.postmortems.models import PostMortem

SEED_BODY_MARKDOWN = """\
# Database Connection Pool Exhaustion

## Summary

Service experienced 15 minutes of downtime due to database connection pool exhaustion during traffic spike.

## Impact

All API endpoints returned 500 errors. Approximately 1,200 users affected.

## Root Cause

Connection pool size was insufficient for peak traffic. No auto-scaling configured.

## Timeline

- 14:35 - Traffic spike detected - 3x normal load
- 14:38 - Database connections exhausted, errors begin
- 14:40 - On-call engineer paged
- 14:45 - Connection pool size increased manually
- 14:50 - Service fully restored

## Action Items

- [x] Implement connection pool monitoring with alerts (HIGH) — owner: engineering@example.com · due: 2099-04-01
- [ ] Add auto-scaling for database connections (HIGH) — owner: devops@example.com · due: no due date
- [ ] Review capacity planning procedures (MEDIUM) — owner: architecture@example.com · due: no due date
"""


@pytest.fixture
def api(alice, api_for):
    return api_for(alice)


def export(api, pm_id: str):
    response = api.get(f"/api/postmortems/{pm_id}/export")
    assert response.status_code == 200, response.content
    return response


def body_of(markdown: str) -> str:
    """The document after its YAML front matter, if any."""
    if markdown.startswith("---\n"):
        markdown = markdown.split("\n---\n", 1)[1]
    return markdown


def test_the_export_is_served_as_markdown(api, postmortem):
    response = export(api, postmortem["id"])
    assert response["Content-Type"].startswith("text/markdown")
    assert "charset=utf-8" in response["Content-Type"]
    assert response["ETag"] == '"1"'


def test_the_seed_report_is_laid_out_as_the_issue_shows(api, postmortem):
    item = postmortem["actionItems"][0]["id"]
    changed = api.patch(f"/api/action-items/{item}", {"status": "DONE", "dueDate": "2099-04-01"})
    assert changed.status_code == 200

    markdown = body_of(export(api, postmortem["id"]).content.decode())

    assert markdown.startswith(SEED_BODY_MARKDOWN)


def test_headings_come_in_the_documented_order(api, postmortem):
    lines = body_of(export(api, postmortem["id"]).content.decode()).splitlines()
    headings = [line for line in lines if line.startswith("#")]
    assert headings[:6] == [
        "# Database Connection Pool Exhaustion",
        "## Summary",
        "## Impact",
        "## Root Cause",
        "## Timeline",
        "## Action Items",
    ]


def test_every_action_item_shows_its_owner_and_due_date(api, postmortem):
    items = [dict(i) for i in postmortem["actionItems"]]
    items[0].update(status="DONE", dueDate="2099-04-01")
    items[1].update(status="IN_PROGRESS", dueDate="2099-05-15", owner="devops-oncall")
    items[2].update(owner=None)
    response = api.patch(f"/api/postmortems/{postmortem['id']}", {"actionItems": items})
    assert response.status_code == 200

    markdown = export(api, postmortem["id"]).content.decode()
    checklist = [line for line in markdown.splitlines() if line.startswith("- [")]

    assert len(checklist) == 3
    assert checklist[0].startswith("- [x] Implement connection pool monitoring with alerts (HIGH)")
    assert "2099-04-01" in checklist[0] and "engineering@example.com" in checklist[0]
    assert checklist[1].startswith("- [ ] Add auto-scaling for database connections (HIGH)")
    assert "devops-oncall" in checklist[1] and "2099-05-15" in checklist[1]
    assert "IN_PROGRESS" in checklist[1]
    assert checklist[2].startswith("- [ ] Review capacity planning procedures (MEDIUM)")
    assert "unassigned" in checklist[2] and "no due date" in checklist[2]


def test_the_timeline_is_exported_in_chronological_order_as_written(api, incident, seed_body):
    seed_body["timeline"] = [
        {"time": "14:50", "description": "Restored"},
        {"time": "2026-03-01T14:36:00Z", "description": "Alert fired"},
        {"time": "14:35", "description": "Spike"},
    ]
    pm = api.post("/api/postmortems", seed_body).json()

    markdown = export(api, pm["id"]).content.decode()
    events = [line for line in markdown.splitlines() if line.startswith("- ") and " - " in line]

    assert events == [
        "- 14:35 - Spike",
        "- 2026-03-01T14:36:00Z - Alert fired",
        "- 14:50 - Restored",
    ]


def test_the_export_reflects_the_stored_report_after_an_edit(api, postmortem):
    response = api.patch(f"/api/postmortems/{postmortem['id']}", {"title": "Pool exhausted"})
    assert response.status_code == 200
    markdown = body_of(export(api, postmortem["id"]).content.decode())
    assert markdown.splitlines()[0] == "# Pool exhausted"
    assert PostMortem.objects.get(pk=postmortem["id"]).title == "Pool exhausted"


def test_an_unknown_report_has_no_export(api, db):
    response = api.get("/api/postmortems/pm_nope/export")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
