"""A post-mortem is due a configurable time after its incident is resolved."""

from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from hindsight.incidents.services import update_incident


def resolve(incident, alice, hours_ago: float) -> datetime:
    resolved = timezone.now() - timedelta(hours=hours_ago)
    update_incident(incident.id, {"resolved_at": resolved}, by=alice)
    return resolved


def close(text: str, expected: datetime) -> bool:
    """The API gives times to the millisecond."""
    return abs(datetime.fromisoformat(text) - expected) < timedelta(milliseconds=1)


def get(api, pm):
    response = api.get(f"/api/postmortems/{pm['id']}")
    assert response.status_code == 200
    return response.json()


def listed(api, **params):
    response = api.get("/api/postmortems", params=params)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_postmortem_of_an_unresolved_incident_has_no_due_time(alice, api_for, postmortem):
    body = get(api_for(alice), postmortem)
    assert body["dueAt"] is None
    assert body["overdue"] is False


def test_it_is_due_48_hours_after_the_incident_is_resolved(alice, api_for, incident, postmortem):
    resolved = resolve(incident, alice, hours_ago=10)
    body = get(api_for(alice), postmortem)
    assert close(body["dueAt"], resolved + timedelta(hours=48))
    assert body["overdue"] is False


@pytest.mark.parametrize("status", ["DRAFT", "IN_REVIEW"])
def test_an_unfinished_postmortem_past_its_due_time_is_overdue(
    alice, api_for, incident, postmortem, status
):
    api = api_for(alice)
    if status == "IN_REVIEW":
        api.patch(f"/api/postmortems/{postmortem['id']}", {"status": "IN_REVIEW"})
    resolve(incident, alice, hours_ago=50)
    assert get(api, postmortem)["overdue"] is True
    rows = listed(api)["items"]
    assert [(r["id"], r["overdue"]) for r in rows] == [(postmortem["id"], True)]
    assert rows[0]["dueAt"]


def test_a_published_postmortem_is_never_overdue(alice, api_for, incident, postmortem):
    api = api_for(alice)
    for status in ("IN_REVIEW", "PUBLISHED"):
        api.patch(f"/api/postmortems/{postmortem['id']}", {"status": status})
    resolve(incident, alice, hours_ago=500)
    assert get(api, postmortem)["overdue"] is False
    assert listed(api, overdue="true")["total"] == 0


@override_settings(POSTMORTEM_DUE_HOURS=24)
def test_the_due_window_is_configurable(alice, api_for, incident, postmortem):
    resolved = resolve(incident, alice, hours_ago=30)
    body = get(api_for(alice), postmortem)
    assert close(body["dueAt"], resolved + timedelta(hours=24))
    assert body["overdue"] is True


def test_the_list_filters_overdue_drafts(alice, api_for, incident, postmortem, seed_body):
    from hindsight.incidents.services import create_incident

    create_incident({"id": "inc_new", "title": "Fresh incident"}, by=alice)
    api = api_for(alice)
    fresh = api.post("/api/postmortems", {**seed_body, "incidentId": "inc_new"}).json()
    resolve(incident, alice, hours_ago=72)
    late = listed(api, overdue="true")
    assert [r["id"] for r in late["items"]] == [postmortem["id"]]
    assert late["total"] == 1
    on_time = listed(api, overdue="false")
    assert [r["id"] for r in on_time["items"]] == [fresh["id"]]


def test_overdue_drafts_stay_private(alice, bob, make_user, api_for, incident, postmortem):
    resolve(incident, alice, hours_ago=72)
    dana = make_user("dana")
    assert listed(api_for(dana), overdue="true")["total"] == 0
    assert listed(api_for(bob), overdue="true")["total"] == 1  # a contributor
