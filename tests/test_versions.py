"""No lost updates: a version per post-mortem, sent as a strong ETag and checked by If-Match,
and a Revision row for every accepted change."""

import pytest

from hindsight.incidents.models import Incident
from hindsight.postmortems.models import ActionItem, PostMortem, Revision


def url(pm_id: str) -> str:
    return f"/api/postmortems/{pm_id}"


@pytest.fixture
def api(alice, api_for):
    return api_for(alice)


def version_of(pm_id: str) -> int:
    return PostMortem.objects.get(pk=pm_id).version


# ETags ---------------------------------------------------------------------------------


def test_post_and_get_send_the_version_as_a_strong_etag(api, incident, seed_body):
    created = api.post("/api/postmortems", seed_body)
    assert created.status_code == 201
    assert created["ETag"] == '"1"'
    fetched = api.get(url(created.json()["id"]))
    assert fetched["ETag"] == '"1"'
    assert fetched.json()["version"] == 1


def test_every_patch_sends_the_new_version(api, postmortem):
    pm_id = postmortem["id"]
    item_id = postmortem["actionItems"][0]["id"]
    changes = [
        lambda: api.patch(url(pm_id), {"title": "One"}),
        lambda: api.patch(url(pm_id), {"timeline": postmortem["timeline"][:2]}),
        lambda: api.patch(f"/api/action-items/{item_id}", {"owner": "bob"}),
        lambda: api.patch(url(pm_id), {"status": "IN_REVIEW"}),
    ]
    for expected, change in enumerate(changes, start=2):
        response = change()
        assert response.status_code == 200, response.content
        assert response["ETag"] == f'"{expected}"'
        assert version_of(pm_id) == expected
        assert api.get(url(pm_id))["ETag"] == f'"{expected}"'


def test_a_patch_that_changes_nothing_keeps_the_version(api, postmortem):
    response = api.patch(url(postmortem["id"]), {"title": postmortem["title"]})
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert version_of(postmortem["id"]) == 1
    assert Revision.objects.filter(postmortem_id=postmortem["id"]).count() == 1


def test_an_action_item_change_bumps_the_post_mortem_version(api, postmortem):
    item_id = postmortem["actionItems"][1]["id"]

    response = api.patch(f"/api/action-items/{item_id}", {"status": "IN_PROGRESS"})

    assert response.status_code == 200
    assert response.json()["postmortemVersion"] == 2
    assert response["ETag"] == '"2"'
    assert version_of(postmortem["id"]) == 2
    assert api.get(url(postmortem["id"])).json()["version"] == 2


def test_incidents_have_etags_too(api, incident):
    assert api.get(f"/api/incidents/{incident.id}")["ETag"] == '"1"'
    response = api.patch(f"/api/incidents/{incident.id}", {"severity": "SEV1"})
    assert response["ETag"] == '"2"'
    incident.refresh_from_db()
    assert incident.version == 2


# If-Match ------------------------------------------------------------------------------


def test_a_stale_if_match_is_a_412_and_changes_nothing(api, postmortem):
    pm_id = postmortem["id"]
    assert api.patch(url(pm_id), {"title": "Someone else's edit"}).status_code == 200
    before = api.get(url(pm_id)).json()

    response = api.patch(url(pm_id), {"summary": "My edit"}, headers={"If-Match": '"1"'})

    assert response.status_code == 412
    body = response.json()
    assert body["error"] == "stale_version"
    assert body["currentVersion"] == 2
    assert "If-Match" in body["fields"]
    assert api.get(url(pm_id)).json() == before
    assert Revision.objects.filter(postmortem_id=pm_id).count() == 2


def test_a_stale_if_match_is_a_412_even_for_a_status_move(api, postmortem):
    api.patch(url(postmortem["id"]), {"title": "Moved on"})
    response = api.patch(
        url(postmortem["id"]), {"status": "IN_REVIEW"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 412
    assert PostMortem.objects.get(pk=postmortem["id"]).status == "DRAFT"


def test_a_current_if_match_is_applied(api, postmortem):
    response = api.patch(url(postmortem["id"]), {"summary": "Checked"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert PostMortem.objects.get(pk=postmortem["id"]).summary == "Checked"


def test_a_wildcard_if_match_is_understood(api, postmortem):
    response = api.patch(url(postmortem["id"]), {"summary": "a"}, headers={"If-Match": "*"})
    assert response.status_code == 200
    assert version_of(postmortem["id"]) == 2


@pytest.mark.parametrize("value", ["1", "one", '"1" "2"', '"1', "W/1", ""])
def test_a_malformed_if_match_is_a_400(api, postmortem, value):
    response = api.patch(url(postmortem["id"]), {"summary": "x"}, headers={"If-Match": value})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_if_match"
    assert "If-Match" in body["fields"]
    assert PostMortem.objects.get(pk=postmortem["id"]).summary == postmortem["summary"]


def test_a_stale_if_match_on_an_action_item_is_a_412(api, postmortem):
    item_id = postmortem["actionItems"][0]["id"]
    api.patch(url(postmortem["id"]), {"title": "Moved on"})

    response = api.patch(
        f"/api/action-items/{item_id}", {"status": "DONE"}, headers={"If-Match": '"1"'}
    )

    assert response.status_code == 412
    assert ActionItem.objects.get(pk=item_id).status == "TODO"
    assert version_of(postmortem["id"]) == 2

    current = api.patch(
        f"/api/action-items/{item_id}", {"status": "DONE"}, headers={"If-Match": '"2"'}
    )
    assert current.status_code == 200
    assert ActionItem.objects.get(pk=item_id).status == "DONE"


def test_a_stale_if_match_on_delete_is_a_412(api, postmortem):
    api.patch(url(postmortem["id"]), {"title": "Moved on"})

    response = api.delete(url(postmortem["id"]), headers={"If-Match": '"1"'})

    assert response.status_code == 412
    assert PostMortem.objects.filter(pk=postmortem["id"]).exists()
    assert api.delete(url(postmortem["id"]), headers={"If-Match": '"2"'}).status_code == 204
    assert not PostMortem.objects.filter(pk=postmortem["id"]).exists()


def test_a_stale_if_match_on_an_incident_is_a_412(api, incident):
    api.patch(f"/api/incidents/{incident.id}", {"severity": "SEV1"})
    response = api.patch(
        f"/api/incidents/{incident.id}", {"severity": "SEV3"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 412
    assert Incident.objects.get(pk=incident.id).severity == "SEV1"


def test_two_clients_editing_the_same_version_cannot_both_win(alice, bob, api_for, postmortem):
    etag = api_for(alice).get(url(postmortem["id"]))["ETag"]
    first = api_for(alice).patch(
        url(postmortem["id"]), {"summary": "A"}, headers={"If-Match": etag}
    )
    second = api_for(bob).patch(url(postmortem["id"]), {"impact": "B"}, headers={"If-Match": etag})
    assert (first.status_code, second.status_code) == (200, 412)
    stored = PostMortem.objects.get(pk=postmortem["id"])
    assert (stored.summary, stored.impact) == ("A", postmortem["impact"])


# Revisions -----------------------------------------------------------------------------


def test_creating_writes_revision_one(api, postmortem):
    revision = Revision.objects.get(postmortem_id=postmortem["id"])
    assert revision.version == 1
    assert revision.changed_by.username == "alice"
    assert revision.changes["title"] == {"old": None, "new": postmortem["title"]}


def test_each_accepted_change_writes_a_revision_with_old_and_new_values(api, postmortem):
    pm_id = postmortem["id"]
    item_id = postmortem["actionItems"][0]["id"]
    api.patch(url(pm_id), {"title": "Pool exhaustion", "impact": None})
    api.patch(f"/api/action-items/{item_id}", {"status": "DONE"})
    api.patch(url(pm_id), {"status": "IN_REVIEW"})
    api.patch(url(pm_id), {"status": "IN_REVIEW"})  # no change: no revision

    revisions = list(Revision.objects.filter(postmortem_id=pm_id).order_by("version"))

    assert [r.version for r in revisions] == [1, 2, 3, 4]
    assert revisions[1].changes == {
        "title": {"old": postmortem["title"], "new": "Pool exhaustion"},
        "impact": {"old": postmortem["impact"], "new": None},
    }
    items = revisions[2].changes["actionItems"]
    assert [i["status"] for i in items["old"]] == ["TODO", "TODO", "TODO"]
    assert [i["status"] for i in items["new"]] == ["DONE", "TODO", "TODO"]
    assert revisions[3].changes == {"status": {"old": "DRAFT", "new": "IN_REVIEW"}}
    assert all(r.changed_by.username == "alice" for r in revisions)


def test_a_refused_change_writes_no_revision(api, postmortem):
    pm_id = postmortem["id"]
    api.patch(url(pm_id), {"status": "PUBLISHED"})  # illegal from DRAFT
    api.patch(url(pm_id), {"title": ""})
    api.patch(url(pm_id), {"title": "x"}, headers={"If-Match": '"9"'})
    assert Revision.objects.filter(postmortem_id=pm_id).count() == 1
    assert version_of(pm_id) == 1
