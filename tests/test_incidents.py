"""Incidents: ids (own or generated), durations, PATCH and the list."""

import re

import pytest

from hindsight.incidents.models import Incident


@pytest.fixture
def api(alice, api_for):
    return api_for(alice)


FULL = {
    "id": "inc_pager_4711",
    "title": "Checkout latency",
    "severity": "SEV1",
    "services": ["checkout", "payments"],
    "links": [
        {"label": "ticket", "url": "https://tracker.example.com/OPS-1"},
        {"label": "chat", "url": "https://chat.example.com/c/inc-4711"},
    ],
    "startedAt": "2026-03-01T14:30:00Z",
    "detectedAt": "2026-03-01T14:35:00Z",
    "acknowledgedAt": "2026-03-01T16:40:30+02:00",
    "mitigatedAt": "2026-03-01T15:00:00Z",
    "resolvedAt": "2026-03-01T16:30:00Z",
    "details": "Slow queries after a deploy.",
}


def test_a_client_may_bring_its_own_id(api, db):
    response = api.post("/api/incidents", FULL)

    assert response.status_code == 201, response.content
    assert response["Location"] == "/api/incidents/inc_pager_4711"
    assert response.json()["acknowledgedAt"] == "2026-03-01T14:40:30Z"  # as GET returns it
    stored = Incident.objects.get(pk="inc_pager_4711")
    assert stored.title == "Checkout latency"
    assert stored.created_by.username == "alice"
    fetched = api.get("/api/incidents/inc_pager_4711").json()
    for field in ("id", "title", "severity", "services", "links", "details"):
        assert fetched[field] == FULL[field], field
    assert fetched["acknowledgedAt"] == "2026-03-01T14:40:30Z"


def test_an_id_is_generated_when_none_is_given(api, db):
    response = api.post("/api/incidents", {"title": "Something broke"})

    assert response.status_code == 201
    incident_id = response.json()["id"]
    assert re.fullmatch(r"inc_[0-9a-z]{16}", incident_id)
    assert Incident.objects.get(pk=incident_id).title == "Something broke"


def test_a_duplicate_id_is_a_409_and_keeps_the_first(api, incident):
    response = api.post("/api/incidents", {"id": incident.id, "title": "Impostor"})

    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "conflict"
    assert body["fields"] == {"id": incident.id}
    assert Incident.objects.count() == 1
    assert Incident.objects.get(pk=incident.id).title == "Checkout database outage"


def test_durations_are_given_in_seconds_from_the_start(api, db):
    created = api.post("/api/incidents", FULL).json()
    fetched = api.get(f"/api/incidents/{created['id']}").json()

    for document in (created, fetched):
        assert document["timeToDetect"] == 5 * 60
        assert document["timeToAcknowledge"] == 10 * 60 + 30
        assert document["timeToMitigate"] == 30 * 60
        assert document["timeToResolve"] == 2 * 3600


def test_a_duration_is_null_where_a_time_is_missing(api, db):
    partial = api.post(
        "/api/incidents",
        {"title": "Half known", "startedAt": "2026-03-01T14:30:00Z", "resolvedAt": None},
    ).json()
    assert partial["timeToDetect"] is None
    assert partial["timeToResolve"] is None

    no_start = api.post(
        "/api/incidents", {"title": "No start", "detectedAt": "2026-03-01T14:35:00Z"}
    ).json()
    assert no_start["timeToDetect"] is None
    assert no_start["startedAt"] is None
    assert no_start["detectedAt"] == "2026-03-01T14:35:00Z"


def test_patch_changes_only_what_it_names(api, db):
    created = api.post("/api/incidents", FULL).json()

    response = api.patch(
        f"/api/incidents/{created['id']}",
        {"severity": "SEV2", "resolvedAt": "2026-03-01T17:30:00Z", "services": ["checkout"]},
    )

    assert response.status_code == 200, response.content
    after = api.get(f"/api/incidents/{created['id']}").json()
    assert after["severity"] == "SEV2"
    assert after["services"] == ["checkout"]
    assert after["timeToResolve"] == 3 * 3600
    assert after["version"] == 2
    unchanged = {"severity", "services", "resolvedAt", "timeToResolve", "version", "updatedAt"}
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in created.items() if k not in unchanged
    }
    stored = Incident.objects.get(pk=created["id"])
    assert stored.severity == "SEV2"
    assert stored.resolved_at.isoformat() == "2026-03-01T17:30:00+00:00"


def test_patch_may_clear_a_time(api, db):
    created = api.post("/api/incidents", FULL).json()
    response = api.patch(f"/api/incidents/{created['id']}", {"mitigatedAt": None})
    assert response.status_code == 200
    assert response.json()["timeToMitigate"] is None
    assert Incident.objects.get(pk=created["id"]).mitigated_at is None


def test_sending_back_what_get_returned_changes_nothing(api, db):
    created = api.post("/api/incidents", FULL).json()
    body = api.get(f"/api/incidents/{created['id']}").json()

    response = api.patch(f"/api/incidents/{created['id']}", body)

    assert response.status_code == 200, response.content
    assert response["ETag"] == '"1"'
    assert Incident.objects.get(pk=created["id"]).version == 1
    assert api.get(f"/api/incidents/{created['id']}").json() == body


def test_an_empty_title_is_refused_on_patch(api, incident):
    response = api.patch(f"/api/incidents/{incident.id}", {"title": ""})
    assert response.status_code == 422
    assert "title" in response.json()["fields"]
    incident.refresh_from_db()
    assert incident.title == "Checkout database outage"


def test_a_missing_incident_is_a_404(api, db):
    assert api.get("/api/incidents/inc_nope").status_code == 404
    response = api.patch("/api/incidents/inc_nope", {"title": "x"})
    assert response.status_code == 404
    assert Incident.objects.count() == 0


def test_the_list_pages_through_every_incident_newest_first(api, db):
    for n in range(7):
        response = api.post("/api/incidents", {"id": f"inc_{n}", "title": f"Incident {n}"})
        assert response.status_code == 201

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/incidents", params=params).json()
        assert page["total"] == 7
        assert len(page["items"]) <= 3
        seen += [row["id"] for row in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen == [f"inc_{n}" for n in reversed(range(7))]


def test_the_list_filters_by_severity(api, db):
    api.post("/api/incidents", {"title": "a", "severity": "SEV1"})
    api.post("/api/incidents", {"title": "b", "severity": "SEV3"})
    page = api.get("/api/incidents", params={"severity": "SEV1"}).json()
    assert [row["title"] for row in page["items"]] == ["a"]
    assert page["total"] == 1
