"""Action items across post-mortems: the list, its filters and order, bulk status, CSV."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from hindsight.incidents.services import create_incident
from hindsight.postmortems import services
from hindsight.postmortems.models import ActionItem

TODAY = timezone.localdate


def day(offset: int) -> str:
    return (TODAY() + timedelta(days=offset)).isoformat()


def item(description, **fields):
    return {"description": description, **fields}


@pytest.fixture
def reports(alice, bob, incident, api_for, seed_body):
    """Alice's report on the checkout incident (bob contributes), in review, with items due
    at different times; and alice's private draft on a search incident."""
    create_incident(
        {"id": "inc_search", "title": "Search index stale", "services": ["search"]}, by=alice
    )
    api = api_for(alice)
    seed_body["status"] = "IN_REVIEW"
    seed_body["actionItems"] = [
        item("Late and open", owner="bob@example.com", dueDate=day(-3), priority="LOW"),
        item("Late but done", owner="bob", dueDate=day(-3), status="DONE"),
        item("Due in three days", owner="ops@example.com", dueDate=day(3), priority="HIGH"),
        item("Due next month", owner="ops@example.com", dueDate=day(30), horizon="LONG_TERM"),
        item("No date, high", owner="Alice@Example.com", priority="HIGH", category="MONITORING"),
        item("No date, low", priority="LOW", status="IN_PROGRESS"),
    ]
    shared = api.post("/api/postmortems", seed_body).json()
    private = api.post(
        "/api/postmortems",
        {
            "incidentId": "inc_search",
            "title": "Stale search",
            "actionItems": [item("Private item", owner="bob@example.com", dueDate=day(-1))],
        },
    ).json()
    return shared, private


def listing(api, **params):
    response = api.get("/api/action-items", params=params)
    assert response.status_code == 200, response.content
    return response.json()


def descriptions(body) -> list[str]:
    return [i["description"] for i in body["items"]]


def test_it_lists_every_item_the_caller_may_see_in_due_priority_created_order(
    alice, api_for, reports
):
    body = listing(api_for(alice))
    assert body["total"] == 7
    assert descriptions(body) == [
        "Late but done",
        "Late and open",
        "Private item",
        "Due in three days",
        "Due next month",
        "No date, high",
        "No date, low",
    ]


def test_items_link_back_to_their_postmortem_and_say_whether_they_are_overdue(
    alice, api_for, reports
):
    shared, _ = reports
    rows = {i["description"]: i for i in listing(api_for(alice))["items"]}
    late = rows["Late and open"]
    assert late["postmortemId"] == shared["id"]
    assert late["postmortemTitle"] == shared["title"]
    assert late["postmortemStatus"] == "IN_REVIEW"
    assert late["overdue"] is True
    assert rows["Late but done"]["overdue"] is False
    assert rows["Due in three days"]["overdue"] is False
    assert rows["No date, high"]["overdue"] is False


def test_drafts_items_stay_private_to_their_authors(bob, carol, admin, api_for, reports):
    assert "Private item" not in descriptions(listing(api_for(bob)))
    assert listing(api_for(carol))["total"] == 6
    assert listing(api_for(admin))["total"] == 7


def test_it_needs_authentication(client, reports):
    assert client.get("/api/action-items").status_code == 401


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"owner": "OPS@example.com"}, ["Due in three days", "Due next month"]),
        ({"status": "DONE"}, ["Late but done"]),
        ({"status": "DONE,IN_PROGRESS"}, ["Late but done", "No date, low"]),
        ({"priority": "HIGH"}, ["Due in three days", "No date, high"]),
        ({"horizon": "LONG_TERM"}, ["Due next month"]),
        ({"category": "MONITORING"}, ["No date, high"]),
        ({"overdue": "true"}, ["Late and open", "Private item"]),
        ({"dueThisWeek": "true"}, ["Due in three days"]),
        ({"noDueDate": "true"}, ["No date, high", "No date, low"]),
        ({"service": "search"}, ["Private item"]),
        ({"service": "postgres", "priority": "LOW"}, ["Late and open", "No date, low"]),
        ({"service": "check"}, []),
    ],
)
def test_filters_narrow_the_list(alice, api_for, reports, params, expected):
    body = listing(api_for(alice), **params)
    assert descriptions(body) == expected
    assert body["total"] == len(expected)


def test_filters_by_postmortem(alice, api_for, reports):
    _, private = reports
    assert descriptions(listing(api_for(alice), postmortemId=private["id"])) == ["Private item"]


def test_overdue_false_leaves_out_only_overdue_items(alice, api_for, reports):
    body = listing(api_for(alice), overdue="false")
    assert body["total"] == 5
    assert "Late and open" not in descriptions(body)


def test_mine_means_owned_by_the_callers_name_or_email_in_any_case(alice, bob, api_for, reports):
    assert descriptions(listing(api_for(alice), mine="true")) == ["No date, high"]
    assert descriptions(listing(api_for(bob), mine="true")) == ["Late but done", "Late and open"]


def test_an_unknown_filter_value_is_refused(alice, api_for, reports):
    response = api_for(alice).get("/api/action-items", params={"status": "OPEN"})
    assert response.status_code == 422
    assert "status" in response.json()["message"]


def test_pages_follow_the_cursor_without_gaps_or_repeats(alice, api_for, reports):
    api = api_for(alice)
    everything = descriptions(listing(api))
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = listing(api, **params)
        assert body["total"] == 7
        seen += descriptions(body)
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == everything


def test_a_forged_cursor_is_refused(alice, api_for, reports):
    response = api_for(alice).get("/api/action-items", params={"cursor": "bm9wZQ"})
    assert response.status_code == 422


# Bulk status --------------------------------------------------------------------------


def test_bulk_status_changes_every_item_and_records_it(alice, api_for, reports):
    shared, private = reports
    ids = [shared["actionItems"][0]["id"], private["actionItems"][0]["id"]]
    response = api_for(alice).post("/api/action-items/bulk", {"ids": ids, "status": "DONE"})
    assert response.status_code == 200, response.content
    assert response.json()["updated"] == 2
    assert [i["id"] for i in response.json()["items"]] == ids
    assert set(ActionItem.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"DONE"}
    assert api_for(alice).get(f"/api/postmortems/{shared['id']}").json()["version"] == 2


def test_bulk_status_is_all_or_nothing_and_names_the_failing_item(bob, api_for, reports):
    shared, private = reports
    first = shared["actionItems"][0]["id"]
    hidden = private["actionItems"][0]["id"]
    response = api_for(bob).post(
        "/api/action-items/bulk", {"ids": [first, hidden], "status": "DONE"}
    )
    assert response.status_code == 404
    body = response.json()
    assert hidden in body["message"]
    assert body["failedId"] == hidden
    assert body["fields"] == {"ids[1]": f"There is no action item {hidden}."}
    assert ActionItem.objects.get(pk=first).status == "TODO"


def test_viewers_cannot_change_items_in_bulk(carol, api_for, reports):
    shared, _ = reports
    first = shared["actionItems"][0]["id"]
    response = api_for(carol).post("/api/action-items/bulk", {"ids": [first], "status": "DONE"})
    assert response.status_code == 403
    # Named by its description (carol may read it), and by id in failedId.
    assert shared["actionItems"][0]["description"] in response.json()["message"]
    assert response.json()["failedId"] == first
    assert ActionItem.objects.get(pk=first).status == "TODO"


def test_bulk_refuses_duplicate_ids_and_unknown_statuses(alice, api_for, reports):
    shared, _ = reports
    first = shared["actionItems"][0]["id"]
    api = api_for(alice)
    twice = api.post("/api/action-items/bulk", {"ids": [first, first], "status": "DONE"})
    assert twice.status_code == 422
    bad = api.post("/api/action-items/bulk", {"ids": [first], "status": "CLOSED"})
    assert bad.status_code == 422
    assert ActionItem.objects.get(pk=first).status == "TODO"


# CSV ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/action-items.csv", "/api/action-items?format=csv"])
def test_csv_export_has_every_matching_item(alice, api_for, reports, path):
    response = api_for(alice).get(path + ("&" if "?" in path else "?") + "owner=ops@example.com")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["description"] for r in rows] == ["Due in three days", "Due next month"]
    assert rows[0]["postmortemTitle"] == "Database Connection Pool Exhaustion"
    assert rows[0]["overdue"] == "false"


def test_csv_cells_cannot_smuggle_formulas(alice, api_for, reports):
    shared, _ = reports
    item_id = shared["actionItems"][4]["id"]
    assert (
        api_for(alice)
        .patch(f"/api/action-items/{item_id}", {"description": "=HYPERLINK(1)"})
        .status_code
        == 200
    )
    response = api_for(alice).get("/api/action-items.csv", params={"category": "MONITORING"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["description"] == "'=HYPERLINK(1)"


# Tracker link and completion ----------------------------------------------------------


def test_a_tracker_link_stays_editable_once_published(alice, api_for, reports):
    shared, _ = reports
    api = api_for(alice)
    assert api.patch(f"/api/postmortems/{shared['id']}", {"status": "PUBLISHED"}).status_code == 200
    item_id = shared["actionItems"][0]["id"]
    url = "https://github.com/acme/shop/issues/42"
    response = api.patch(f"/api/action-items/{item_id}", {"trackerUrl": url})
    assert response.status_code == 200, response.content
    assert response.json()["trackerUrl"] == url
    assert ActionItem.objects.get(pk=item_id).tracker_url == url
    listed = listing(api, postmortemId=shared["id"])["items"]
    assert next(i for i in listed if i["id"] == item_id)["trackerUrl"] == url


def test_an_items_owner_may_set_its_tracker_link(bob, alice, api_for, reports):
    _, private = reports
    item_id = private["actionItems"][0]["id"]
    # bob owns the item but cannot see alice's draft: it must be shared first.
    api_for(alice).patch(f"/api/postmortems/{private['id']}", {"status": "IN_REVIEW"})
    url = "https://jira.example.com/browse/OPS-7"
    response = api_for(bob).patch(f"/api/action-items/{item_id}", {"trackerUrl": url})
    assert response.status_code == 200, response.content
    assert ActionItem.objects.get(pk=item_id).tracker_url == url


def test_a_tracker_link_must_be_a_web_address(alice, api_for, reports):
    shared, _ = reports
    item_id = shared["actionItems"][0]["id"]
    response = api_for(alice).patch(
        f"/api/action-items/{item_id}", {"trackerUrl": "javascript:alert(1)"}
    )
    assert response.status_code == 422
    assert "trackerUrl" in response.json()["fields"]
    assert ActionItem.objects.get(pk=item_id).tracker_url is None


def test_a_postmortem_shows_its_completion_and_accepts_it_back(alice, api_for, reports):
    shared, _ = reports
    api = api_for(alice)
    body = api.get(f"/api/postmortems/{shared['id']}").json()
    assert (body["actionItemsDone"], body["actionItemsTotal"]) == (1, 6)
    # What GET returned can be sent back unchanged.
    response = api.patch(f"/api/postmortems/{shared['id']}", body)
    assert response.status_code == 200, response.content
    assert [i["overdue"] for i in body["actionItems"]][:2] == [True, False]


def test_owner_changes_are_announced(alice, api_for, reports, monkeypatch):
    from hindsight.postmortems import services as pm_services

    events = []
    monkeypatch.setattr(pm_services, "notify_all", events.extend)
    shared, _ = reports
    item_id = shared["actionItems"][5]["id"]
    api_for(alice).patch(f"/api/action-items/{item_id}", {"owner": "dana@example.com"})
    api_for(alice).patch(f"/api/action-items/{item_id}", {"status": "DONE"})
    assigned = [data for event, data in events if event == "action_item.assigned"]
    assert [(d["item_id"], d["owner"]) for d in assigned] == [(item_id, "dana@example.com")]
    assert services.get_postmortem_for(alice, shared["id"]).version == 3
