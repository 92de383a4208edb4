"""GET /api/postmortems/{id} answers from the stored document; it must never be stale,
whatever changed, and never show a draft to someone who may not see it."""

from hindsight.incidents.services import update_incident
from hindsight.lib.times import parse_timestamp


def _get(api, pm_id):
    response = api.get(f"/api/postmortems/{pm_id}")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_read_after_every_kind_of_change_shows_the_change(alice, bob, api_for, postmortem):
    api = api_for(alice)
    pm_id = postmortem["id"]
    assert _get(api, pm_id) == _get(api, pm_id)  # reads are repeatable
    api.patch(f"/api/postmortems/{pm_id}", {"summary": "Rewritten."})
    assert _get(api, pm_id)["summary"] == "Rewritten."
    item = postmortem["actionItems"][0]["id"]
    api.patch(f"/api/action-items/{item}", {"status": "DONE"})
    assert _get(api, pm_id)["actionItems"][0]["status"] == "DONE"
    # The incident's start date decides the timeline's instants.
    update_incident("inc_123", {"started_at": parse_timestamp("2026-04-02T09:00:00Z")}, by=alice)
    assert _get(api, pm_id)["timeline"][0]["at"] == "2026-04-02T14:35:00Z"


def test_a_read_draft_stays_invisible_to_others(alice, make_user, api_for, postmortem):
    _get(api_for(alice), postmortem["id"])  # read once by its author
    outsider = make_user("dave")
    assert api_for(outsider).get(f"/api/postmortems/{postmortem['id']}").status_code == 404


def test_if_none_match_with_the_current_etag_answers_304(alice, api_for, postmortem):
    api = api_for(alice)
    first = api.get(f"/api/postmortems/{postmortem['id']}")
    again = api.get(
        f"/api/postmortems/{postmortem['id']}", headers={"If-None-Match": first["ETag"]}
    )
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    api.patch(f"/api/postmortems/{postmortem['id']}", {"title": "New title"})
    changed = api.get(
        f"/api/postmortems/{postmortem['id']}", headers={"If-None-Match": first["ETag"]}
    )
    assert changed.status_code == 200 and changed.json()["title"] == "New title"
