"""List rows are written without the response schema (for speed); they must say exactly
what GET of the same post-mortem says, and have every field the schema documents."""

from hindsight.incidents.services import update_incident
from hindsight.lib.times import parse_timestamp
from hindsight.postmortems.schemas import PostMortemSummary


def test_a_list_row_says_what_get_says(alice, api_for, postmortem):
    api = api_for(alice)
    pm_id = postmortem["id"]
    update_incident("inc_123", {"resolved_at": parse_timestamp("2026-03-01T15:00:00Z")}, by=alice)
    api.patch(f"/api/postmortems/{pm_id}", {"tags": ["database", "capacity"]})
    item = postmortem["actionItems"][0]["id"]
    api.patch(f"/api/action-items/{item}", {"status": "DONE"})
    full = api.get(f"/api/postmortems/{pm_id}").json()
    (row,) = api.get("/api/postmortems").json()["items"]
    documented = {field.alias for field in PostMortemSummary.model_fields.values()}
    assert set(row) == documented
    for name in documented - {"openActionItems", "actionItemsTotal"}:
        assert row[name] == full[name], name
    assert row["overdue"] is True and row["dueAt"] == "2026-03-03T15:00:00Z"
    assert (row["openActionItems"], row["actionItemsTotal"]) == (2, 3)
