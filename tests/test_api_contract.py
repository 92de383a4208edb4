"""Contract slips: a wrong bearer token on a write is a 401 (not a CSRF 403), and list
filters documented as "repeat or comma-separate" take both forms."""

import pytest
from django.test import Client

from hindsight.postmortems.services import create_postmortem


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/postmortems"),
        ("patch", "/api/postmortems/pm_x"),
        ("delete", "/api/postmortems/pm_x"),
        ("post", "/api/action-items/bulk"),
    ],
)
def test_an_invalid_bearer_token_on_a_write_is_a_401(db, method, path):
    response = getattr(Client(), method)(
        path, "{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer not-a-token"
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_session_write_without_csrf_is_still_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/api/postmortems", "{}", content_type="application/json")
    assert response.status_code == 403


def test_status_filters_take_commas_and_repeats_alike(alice, api_for, incident):
    api = api_for(alice)
    draft = create_postmortem({"incident_id": incident.id, "title": "A draft"}, by=alice)
    review = create_postmortem(
        {"incident_id": incident.id, "title": "In review", "status": "IN_REVIEW"}, by=alice
    )

    def listed(query):
        response = api.get(f"/api/postmortems?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    both = {draft.id, review.id}
    assert listed("status=DRAFT,IN_REVIEW") == both
    assert listed("status=DRAFT&status=IN_REVIEW") == both
    assert listed("status=DRAFT, IN_REVIEW&status=PUBLISHED") == both
    assert listed("status=IN_REVIEW") == {review.id}
    bad = api.get("/api/postmortems?status=DRAFT,NOPE")
    assert bad.status_code == 422 and "status" in bad.json()["fields"]


def test_action_item_filters_take_commas_and_repeats_alike(alice, api_for, postmortem):
    api = api_for(alice)
    items = postmortem["actionItems"]
    api.patch(f"/api/action-items/{items[0]['id']}", {"status": "DONE"})
    api.patch(f"/api/action-items/{items[1]['id']}", {"status": "IN_PROGRESS"})
    for query in ("status=DONE,IN_PROGRESS", "status=DONE&status=IN_PROGRESS"):
        rows = api.get(f"/api/action-items?{query}").json()["items"]
        assert {r["id"] for r in rows} == {items[0]["id"], items[1]["id"]}, query
    rows = api.get("/api/action-items?priority=MEDIUM,LOW").json()["items"]
    assert {r["id"] for r in rows} == {items[2]["id"]}
