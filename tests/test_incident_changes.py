"""A change of an incident reaches its post-mortems' answers: a report whose GET now answers
differently gets a new version (so a new ETag and no 304 for the old one) and a history
entry naming the incident's change; and only those with a part may change the incident
(README "Roles")."""

import pytest

from hindsight.incidents.models import Incident
from hindsight.incidents.services import create_incident, may_edit_incident
from hindsight.lib.times import parse_timestamp
from hindsight.postmortems.models import PostMortem, Revision
from hindsight.postmortems.services import create_postmortem, update_postmortem


@pytest.fixture
def dave(make_user):
    return make_user("dave")


@pytest.fixture
def published(alice, api_for, postmortem):
    """The seed report (alice's, bob contributing), published."""
    api = api_for(alice)
    for status in ("IN_REVIEW", "PUBLISHED"):
        response = api.patch(f"/api/postmortems/{postmortem['id']}", {"status": status})
        assert response.status_code == 200, response.content
    return response.json()


def _get(api, pm_id, **headers):
    return api.get(f"/api/postmortems/{pm_id}", headers=headers)


def test_moving_the_start_gives_a_published_report_a_new_version_and_etag(
    alice, api_for, published
):
    api = api_for(alice)
    pm_id = published["id"]
    before = _get(api, pm_id)
    old_tag = before["ETag"]
    assert _get(api, pm_id, **{"If-None-Match": old_tag}).status_code == 304
    assert before.json()["timeline"][0]["at"] == "2026-03-01T14:35:00Z"

    response = api.patch("/api/incidents/inc_123", {"startedAt": "2026-03-02T14:30:00Z"})
    assert response.status_code == 200, response.content

    after = _get(api, pm_id)
    body = after.json()
    assert body["version"] == published["version"] + 1
    assert after["ETag"] == f'"{body["version"]}"' != old_tag
    assert body["timeline"][0]["at"] == "2026-03-02T14:35:00Z"
    assert body["status"] == "PUBLISHED"
    # The old tag no longer matches: the client gets the new answer, not a 304.
    revalidated = _get(api, pm_id, **{"If-None-Match": old_tag})
    assert revalidated.status_code == 200
    assert revalidated.json()["timeline"][0]["at"] == "2026-03-02T14:35:00Z"
    assert _get(api, pm_id, **{"If-None-Match": after["ETag"]}).status_code == 304
    # A write against the version read before the incident's change is stale.
    stale = api.patch(
        f"/api/action-items/{body['actionItems'][0]['id']}",
        {"status": "DONE"},
        headers={"If-Match": old_tag},
    )
    assert stale.status_code == 412

    stored = PostMortem.objects.get(pk=pm_id)
    assert stored.version == body["version"]
    revision = Revision.objects.get(postmortem_id=pm_id, version=body["version"])
    assert revision.changed_by == alice
    assert revision.changes == {
        "incidentStartedAt": {"old": "2026-03-01T14:30:00Z", "new": "2026-03-02T14:30:00Z"}
    }
    history = api.get(f"/api/postmortems/{pm_id}/history").json()
    assert history["items"][-1]["version"] == body["version"]
    assert history["items"][-1]["changedBy"] == "alice"
    assert history["items"][-1]["changes"]["incidentStartedAt"]["new"] == "2026-03-02T14:30:00Z"


def test_resolving_the_incident_moves_the_due_date_with_a_new_version(alice, api_for, postmortem):
    api = api_for(alice)
    pm_id = postmortem["id"]
    assert _get(api, pm_id).json()["dueAt"] is None

    response = api.patch("/api/incidents/inc_123", {"resolvedAt": "2026-03-01T16:00:00Z"})
    assert response.status_code == 200, response.content

    body = _get(api, pm_id).json()
    assert body["dueAt"] is not None and body["dueAt"].startswith("2026-03-0")
    assert body["version"] == postmortem["version"] + 1
    revision = Revision.objects.get(postmortem_id=pm_id, version=body["version"])
    assert revision.changes == {"incidentResolvedAt": {"old": None, "new": "2026-03-01T16:00:00Z"}}
    # The report's text did not change: approvals of it still count.
    assert PostMortem.objects.get(pk=pm_id).text_version == 1


def test_a_change_no_report_shows_leaves_the_reports_alone(alice, api_for, postmortem):
    api = api_for(alice)
    pm_id = postmortem["id"]
    tag = _get(api, pm_id)["ETag"]

    response = api.patch("/api/incidents/inc_123", {"title": "Renamed", "severity": "SEV1"})
    assert response.status_code == 200, response.content

    assert _get(api, pm_id, **{"If-None-Match": tag}).status_code == 304
    assert PostMortem.objects.get(pk=pm_id).version == postmortem["version"]
    assert Revision.objects.filter(postmortem_id=pm_id).count() == 1


def test_every_report_the_change_touches_records_it(alice, bob, api_for, incident, postmortem):
    other = create_postmortem(
        {
            "incident_id": incident.id,
            "title": "Second look",
            "timeline": [{"time": "15:00", "description": "Paged"}],
        },
        by=bob,
    )
    # Its only event is an instant of its own: the incident's start does not move it.
    fixed = create_postmortem(
        {
            "incident_id": incident.id,
            "title": "Fixed times",
            "timeline": [{"time": "2026-03-01T15:00:00Z", "description": "Paged"}],
        },
        by=bob,
    )

    response = api_for(alice).patch("/api/incidents/inc_123", {"startedAt": "2026-03-03T09:00:00Z"})
    assert response.status_code == 200, response.content

    for pm_id, version in ((postmortem["id"], 2), (other.id, 2), (fixed.id, 1)):
        assert PostMortem.objects.get(pk=pm_id).version == version, pm_id
        assert Revision.objects.filter(postmortem_id=pm_id).count() == version, pm_id
    assert api_for(bob).get(f"/api/postmortems/{other.id}").json()["timeline"][0]["at"] == (
        "2026-03-03T15:00:00Z"
    )


def test_a_member_with_no_part_may_not_change_the_incident(alice, dave, api_for, published):
    tag = _get(api_for(alice), published["id"])["ETag"]

    response = api_for(dave).patch("/api/incidents/inc_123", {"startedAt": "2026-03-02T14:30:00Z"})

    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "forbidden"
    assert f"post-mortem {published['id']}" in body["message"]
    assert "only admins and that report's author and contributors" in body["message"]
    incident = Incident.objects.get(pk="inc_123")
    assert incident.started_at.isoformat() == "2026-03-01T14:30:00+00:00"
    assert incident.version == 1
    assert PostMortem.objects.get(pk=published["id"]).version == published["version"]
    assert _get(api_for(alice), published["id"], **{"If-None-Match": tag}).status_code == 304


def test_a_member_with_no_part_may_not_change_an_incident_without_reports(
    alice, dave, api_for, incident
):
    response = api_for(dave).patch("/api/incidents/inc_123", {"title": "Mine now"})

    assert response.status_code == 403
    assert response.json()["message"] == (
        "Only admins, the incident's creator and the authors and contributors of its"
        " post-mortems can change this incident."
    )
    assert Incident.objects.get(pk="inc_123").title == "Checkout database outage"


def test_a_hidden_draft_about_the_incident_is_not_named_in_the_refusal(
    alice, dave, api_for, incident, postmortem
):
    response = api_for(dave).patch("/api/incidents/inc_123", {"title": "Mine now"})

    assert response.status_code == 403
    assert postmortem["id"] not in response.json()["message"]


def test_viewers_may_not_change_an_incident(carol, api_for, incident):
    response = api_for(carol).patch("/api/incidents/inc_123", {"title": "Mine now"})

    assert response.status_code == 403
    assert response.json()["message"] == "Viewers cannot change incidents."


def test_the_reports_contributor_and_an_admin_may_change_the_incident(
    bob, admin, api_for, published
):
    assert api_for(bob).patch("/api/incidents/inc_123", {"severity": "SEV1"}).status_code == 200
    response = api_for(admin).patch("/api/incidents/inc_123", {"severity": "SEV3"})
    assert response.status_code == 200
    assert Incident.objects.get(pk="inc_123").severity == "SEV3"


def test_the_incidents_creator_may_change_it_until_someone_elses_report_is_published(
    alice, dave, api_for
):
    incident = create_incident(
        {"title": "Dave's pager", "started_at": parse_timestamp("2026-03-01T10:00:00Z")}, by=dave
    )
    report = create_postmortem(
        {"incident_id": incident.id, "title": "Alice writes it up"}, by=alice
    )
    assert may_edit_incident(incident, dave)
    assert (
        api_for(dave).patch(f"/api/incidents/{incident.id}", {"severity": "SEV2"}).status_code
        == 200
    )

    for status in ("IN_REVIEW", "PUBLISHED"):
        update_postmortem(report.id, {"status": status}, by=alice)

    assert not may_edit_incident(incident, dave)
    response = api_for(dave).patch(f"/api/incidents/{incident.id}", {"severity": "SEV1"})
    assert response.status_code == 403
    assert f"post-mortem {report.id}" in response.json()["message"]
    assert "published" in response.json()["message"]
    assert Incident.objects.get(pk=incident.id).severity == "SEV2"
    assert may_edit_incident(incident, alice)


def test_the_web_form_refuses_a_member_with_no_part_and_says_why(client, alice, dave, published):
    client.force_login(dave)
    page = client.get("/incidents/inc_123").content.decode()
    assert 'href="/incidents/inc_123/edit"' not in page  # no Edit offered
    refused = client.get("/incidents/inc_123/edit")
    assert refused.status_code == 403
    assert "only admins and that report&#x27;s author and contributors" in refused.content.decode()

    response = client.post(
        "/incidents/inc_123", {"title": "Mine now", "version": "1", "started_at": ""}
    )

    assert response.status_code == 403
    assert Incident.objects.get(pk="inc_123").title == "Checkout database outage"


def test_the_web_form_change_gives_the_report_a_new_version(client, alice, published):
    client.force_login(alice)
    assert "Save incident" in client.get("/incidents/inc_123/edit").content.decode()

    response = client.post(
        "/incidents/inc_123",
        {
            "title": "Checkout database outage",
            "severity": "SEV2",
            "services": "checkout, postgres",
            "started_at": "2026-03-02T14:30",
            "version": "1",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    stored = PostMortem.objects.get(pk=published["id"])
    assert stored.version == published["version"] + 1
    assert Revision.objects.get(postmortem=stored, version=stored.version).changed_by == alice
