"""A timestamp whose instant falls outside the years 1 to 9999 once in UTC (year 1 at
+06:00, year 9999 at -06:00) is a 422 naming the field, never a 500: found by
schemathesis's stateful phase on PostgreSQL."""

import pytest

from hindsight.lib.times import is_valid_event_time, parse_timestamp

EDGES = ["0001-01-01T00:02:00+06:00", "9999-12-31T23:59:00-06:00"]


@pytest.mark.parametrize("stamp", EDGES)
def test_such_a_time_is_no_timestamp(stamp):
    assert parse_timestamp(stamp) is None
    assert not is_valid_event_time(stamp)


@pytest.mark.parametrize("stamp", EDGES)
def test_an_event_at_such_a_time_is_refused(alice, api_for, incident, stamp):
    body = {
        "incidentId": incident.id,
        "title": "t",
        "timeline": [{"time": stamp, "description": "x"}],
    }
    response = api_for(alice).post("/api/postmortems", body)
    assert response.status_code == 422
    assert "timeline[0].time" in response.json()["fields"]


@pytest.mark.parametrize("stamp", EDGES)
def test_an_incident_at_such_a_time_is_refused(alice, api_for, stamp):
    response = api_for(alice).post("/api/incidents", {"title": "t", "startedAt": stamp})
    assert response.status_code == 422
    assert response.json()["fields"] == {"startedAt": "is outside the years 1 to 9999 once in UTC"}


def test_the_first_and_last_instants_in_utc_are_accepted(alice, api_for):
    for stamp in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:00Z"):
        response = api_for(alice).post("/api/incidents", {"title": "t", "startedAt": stamp})
        assert response.status_code == 201, (stamp, response.content)


def test_a_report_at_the_end_of_time_is_written_read_and_shown(alice, api_for):
    """Resolved in the last hour of 9999 and an item due 9999-12-31: no due time and no day
    after lie within the calendar, so it is never due nor overdue, and nothing fails."""
    from django.test import Client

    api = api_for(alice)
    incident = api.post(
        "/api/incidents",
        {"title": "t", "startedAt": "9999-12-31T23:00:00Z", "resolvedAt": "9999-12-31T23:59:00Z"},
    ).json()["id"]
    body = {
        "incidentId": incident,
        "title": "The end",
        "timeline": [{"time": "23:30", "description": "x"}],
        "actionItems": [{"description": "a", "dueDate": "9999-12-31"}],
    }
    created = api.post("/api/postmortems", body)
    assert created.status_code == 201, created.content
    pm = created.json()
    assert pm["dueAt"] is None and pm["overdue"] is False
    assert pm["actionItems"][0]["overdue"] is False
    for path in (f"/api/postmortems/{pm['id']}", f"/api/postmortems/{pm['id']}/export"):
        assert api.get(path).status_code == 200, path
    client = Client()
    client.force_login(alice)
    assert client.get(f"/postmortems/{pm['id']}").status_code == 200
