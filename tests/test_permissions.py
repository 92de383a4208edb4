"""Roles (admin, member, viewer), draft privacy, and who may change what on every endpoint."""

import pytest

from hindsight.incidents.models import Incident
from hindsight.postmortems.models import ActionItem, PostMortem


def url(pm_id: str) -> str:
    return f"/api/postmortems/{pm_id}"


@pytest.fixture
def dave(make_user):
    """A member who neither wrote nor contributes to the seed post-mortem."""
    return make_user("dave")


@pytest.fixture
def engineer(make_user):
    """The owner of the seed's first action item (owner engineering@example.com)."""
    return make_user("eng", email="Engineering@Example.com")


def set_status(api, pm_id: str, *steps: str) -> dict:
    for step in steps:
        response = api.patch(url(pm_id), {"status": step})
        assert response.status_code == 200, response.content
    return api.get(url(pm_id)).json()


def listed_ids(api) -> set[str]:
    response = api.get("/api/postmortems")
    assert response.status_code == 200
    return {row["id"] for row in response.json()["items"]}


# Drafts are private --------------------------------------------------------------------


def test_a_draft_is_visible_to_its_creator_contributors_and_admins(
    alice, bob, admin, api_for, postmortem
):
    for user in (alice, bob, admin):
        api = api_for(user)
        assert api.get(url(postmortem["id"])).status_code == 200, user.username
        assert postmortem["id"] in listed_ids(api), user.username
        assert api.get(url(postmortem["id"]) + "/export").status_code == 200, user.username


def test_a_draft_is_absent_and_a_404_for_anyone_else(dave, carol, api_for, postmortem):
    for user in (dave, carol):
        api = api_for(user)
        response = api.get(url(postmortem["id"]))
        assert response.status_code == 404, user.username
        assert response.json()["error"] == "not_found"
        assert postmortem["id"] not in listed_ids(api)
        assert api.get("/api/postmortems").json()["total"] == 0
        assert api.get(url(postmortem["id"]) + "/export").status_code == 404


def test_a_hidden_draft_answers_like_one_that_does_not_exist(dave, api_for, postmortem):
    api = api_for(dave)
    hidden = api.get(url(postmortem["id"]))
    missing = api.get(url("pm_doesnotexist"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"] == missing.json()["error"]


@pytest.mark.parametrize("named_as", ["DAVE", "Dave@EXAMPLE.com", "  dave  "])
def test_a_contributor_is_matched_by_user_name_or_email_case_insensitively(
    alice, dave, api_for, incident, seed_body, named_as
):
    seed_body["contributors"] = [named_as]
    pm = api_for(alice).post("/api/postmortems", seed_body).json()
    api = api_for(dave)

    assert api.get(url(pm["id"])).status_code == 200
    assert pm["id"] in listed_ids(api)
    response = api.patch(url(pm["id"]), {"summary": "Dave's words"})
    assert response.status_code == 200, response.content
    assert PostMortem.objects.get(pk=pm["id"]).summary == "Dave's words"


def test_removing_a_contributor_hides_the_draft_from_them_again(bob, alice, api_for, postmortem):
    response = api_for(alice).patch(url(postmortem["id"]), {"contributors": ["alice"]})
    assert response.status_code == 200
    assert api_for(bob).get(url(postmortem["id"])).status_code == 404
    assert postmortem["id"] not in listed_ids(api_for(bob))


# Viewers read, never write -------------------------------------------------------------


def test_a_viewer_reads_what_is_not_a_draft(alice, carol, api_for, postmortem):
    api = api_for(carol)
    set_status(api_for(alice), postmortem["id"], "IN_REVIEW")
    assert api.get(url(postmortem["id"])).status_code == 200
    assert postmortem["id"] in listed_ids(api)

    set_status(api_for(alice), postmortem["id"], "PUBLISHED")
    assert api.get(url(postmortem["id"])).json()["status"] == "PUBLISHED"
    assert api.get(url(postmortem["id"]) + "/export").status_code == 200


def test_a_viewer_cannot_create_a_post_mortem(carol, api_for, incident, seed_body):
    response = api_for(carol).post("/api/postmortems", seed_body)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert PostMortem.objects.count() == 0


def test_a_viewer_cannot_change_a_post_mortem(alice, carol, api_for, postmortem):
    pm = set_status(api_for(alice), postmortem["id"], "IN_REVIEW")
    api = api_for(carol)

    for change in ({"title": "Carol was here"}, {"status": "DRAFT"}):
        response = api.patch(url(pm["id"]), change)
        assert response.status_code == 403, change

    assert api.get(url(pm["id"])).json() == pm


def test_a_viewer_named_as_contributor_still_cannot_write(
    alice, carol, api_for, incident, seed_body
):
    seed_body["contributors"] = ["carol"]
    seed_body["status"] = "IN_REVIEW"
    pm = api_for(alice).post("/api/postmortems", seed_body).json()

    response = api_for(carol).patch(url(pm["id"]), {"title": "Carol was here"})

    assert response.status_code == 403
    assert PostMortem.objects.get(pk=pm["id"]).title == seed_body["title"]


def test_a_viewer_cannot_delete(alice, carol, api_for, postmortem):
    # A draft is invisible to a viewer: 404, not 403, so its existence does not leak.
    assert api_for(carol).delete(url(postmortem["id"])).status_code == 404
    assert PostMortem.objects.filter(pk=postmortem["id"]).exists()


# Members edit only what they wrote or contribute to -------------------------------------


def test_a_member_who_is_not_author_or_contributor_cannot_edit_one_in_review(
    alice, dave, api_for, postmortem
):
    pm = set_status(api_for(alice), postmortem["id"], "IN_REVIEW")
    api = api_for(dave)
    assert api.get(url(pm["id"])).status_code == 200

    for change in (
        {"title": "Dave was here"},
        {"status": "PUBLISHED"},
        {"timeline": []},
        {"actionItems": []},
    ):
        response = api.patch(url(pm["id"]), change)
        assert response.status_code == 403, change
        assert response.json()["error"] == "forbidden"

    assert api.get(url(pm["id"])).json() == pm
    assert ActionItem.objects.filter(postmortem_id=pm["id"]).count() == 3


def test_a_member_cannot_delete_someone_elses_report(alice, dave, api_for, postmortem):
    set_status(api_for(alice), postmortem["id"], "IN_REVIEW")
    assert api_for(dave).delete(url(postmortem["id"])).status_code == 403
    assert PostMortem.objects.filter(pk=postmortem["id"]).exists()


def test_a_contributor_may_submit_and_publish(bob, api_for, postmortem):
    pm = set_status(api_for(bob), postmortem["id"], "IN_REVIEW", "PUBLISHED")
    assert pm["status"] == "PUBLISHED"
    assert PostMortem.objects.get(pk=pm["id"]).status == "PUBLISHED"


def test_an_admin_may_edit_any_report(alice, admin, api_for, postmortem):
    response = api_for(admin).patch(url(postmortem["id"]), {"title": "Edited by an admin"})
    assert response.status_code == 200
    assert PostMortem.objects.get(pk=postmortem["id"]).title == "Edited by an admin"


# Action items --------------------------------------------------------------------------


def test_a_member_without_rights_cannot_change_an_action_item(alice, dave, api_for, postmortem):
    set_status(api_for(alice), postmortem["id"], "IN_REVIEW")
    item_id = postmortem["actionItems"][0]["id"]

    response = api_for(dave).patch(f"/api/action-items/{item_id}", {"status": "DONE"})

    assert response.status_code == 403
    assert ActionItem.objects.get(pk=item_id).status == "TODO"


def test_an_action_item_of_a_hidden_draft_is_a_404(dave, carol, api_for, postmortem):
    item_id = postmortem["actionItems"][0]["id"]
    for user in (dave, carol):
        response = api_for(user).patch(f"/api/action-items/{item_id}", {"status": "DONE"})
        assert response.status_code == 404
    assert ActionItem.objects.get(pk=item_id).status == "TODO"


def test_a_viewer_cannot_change_an_action_item(alice, carol, api_for, postmortem):
    set_status(api_for(alice), postmortem["id"], "IN_REVIEW", "PUBLISHED")
    item_id = postmortem["actionItems"][0]["id"]
    response = api_for(carol).patch(f"/api/action-items/{item_id}", {"status": "DONE"})
    assert response.status_code == 403
    assert ActionItem.objects.get(pk=item_id).status == "TODO"


@pytest.mark.parametrize(
    ("field", "value", "column"),
    [
        ("status", "DONE", "status"),
        ("dueDate", "2099-05-01", "due_date"),
        ("trackerUrl", "https://github.com/acme/app/issues/3", "tracker_url"),
    ],
)
def test_the_owner_of_an_item_may_change_its_follow_through(
    alice, engineer, api_for, postmortem, field, value, column
):
    pm = set_status(api_for(alice), postmortem["id"], "IN_REVIEW", "PUBLISHED")
    item_id = pm["actionItems"][0]["id"]

    response = api_for(engineer).patch(f"/api/action-items/{item_id}", {field: value})

    assert response.status_code == 200, response.content
    assert str(getattr(ActionItem.objects.get(pk=item_id), column)) == value
    assert PostMortem.objects.get(pk=pm["id"]).version == pm["version"] + 1


def test_the_owner_of_an_item_may_not_hand_it_to_someone_else(alice, engineer, api_for, postmortem):
    pm = set_status(api_for(alice), postmortem["id"], "IN_REVIEW", "PUBLISHED")
    item_id = pm["actionItems"][0]["id"]
    owner = ActionItem.objects.get(pk=item_id).owner

    response = api_for(engineer).patch(f"/api/action-items/{item_id}", {"owner": "dave"})

    assert response.status_code == 403
    assert response.json()["fields"] == {"owner": "not yours to change"}
    assert ActionItem.objects.get(pk=item_id).owner == owner


def test_the_owner_of_an_item_may_not_change_its_description(alice, engineer, api_for, postmortem):
    pm = set_status(api_for(alice), postmortem["id"], "IN_REVIEW", "PUBLISHED")
    item_id = pm["actionItems"][0]["id"]

    response = api_for(engineer).patch(
        f"/api/action-items/{item_id}", {"description": "Something easier", "status": "DONE"}
    )

    assert response.status_code == 403
    assert "description" in response.json()["fields"]
    row = ActionItem.objects.get(pk=item_id)
    assert row.description == pm["actionItems"][0]["description"]
    assert row.status == "TODO"


def test_the_owner_of_one_item_cannot_change_another(alice, engineer, api_for, postmortem):
    pm = set_status(api_for(alice), postmortem["id"], "IN_REVIEW", "PUBLISHED")
    other = pm["actionItems"][1]["id"]

    response = api_for(engineer).patch(f"/api/action-items/{other}", {"status": "DONE"})

    assert response.status_code == 403
    assert ActionItem.objects.get(pk=other).status == "TODO"


def test_the_owner_of_an_item_cannot_change_the_report_itself(alice, engineer, api_for, postmortem):
    pm = set_status(api_for(alice), postmortem["id"], "IN_REVIEW", "PUBLISHED")
    items = [dict(i) for i in pm["actionItems"]]
    items[0]["status"] = "DONE"

    response = api_for(engineer).patch(url(pm["id"]), {"actionItems": items})

    assert response.status_code == 403
    assert api_for(alice).get(url(pm["id"])).json() == pm


def test_an_unknown_action_item_is_a_404(alice, api_for, db):
    response = api_for(alice).patch("/api/action-items/act_nope", {"status": "DONE"})
    assert response.status_code == 404
    assert response.json()["fields"] == {"id": "act_nope"}


# Incidents -----------------------------------------------------------------------------


def test_a_viewer_reads_incidents_but_cannot_create_or_change_them(carol, api_for, incident):
    api = api_for(carol)
    assert api.get("/api/incidents").json()["total"] == 1
    assert api.get(f"/api/incidents/{incident.id}").status_code == 200

    created = api.post("/api/incidents", {"title": "Carol's incident"})
    changed = api.patch(f"/api/incidents/{incident.id}", {"title": "Renamed by carol"})

    assert created.status_code == 403
    assert changed.status_code == 403
    assert Incident.objects.count() == 1
    incident.refresh_from_db()
    assert incident.title == "Checkout database outage"
    assert incident.version == 1


def test_a_member_with_no_part_may_not_change_an_incident(dave, api_for, incident):
    # Who may: admins, its creator, its reports' authors (tests/test_incident_changes.py).
    response = api_for(dave).patch(f"/api/incidents/{incident.id}", {"severity": "SEV1"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.severity == "SEV2"


def test_no_endpoint_answers_without_a_token(api_for, postmortem):
    anonymous = api_for(None)
    item_id = postmortem["actionItems"][0]["id"]
    calls = [
        ("get", "/api/incidents", None),
        ("post", "/api/incidents", {"title": "x"}),
        ("get", "/api/incidents/inc_123", None),
        ("patch", "/api/incidents/inc_123", {"title": "x"}),
        ("get", "/api/postmortems", None),
        ("post", "/api/postmortems", {"incidentId": "inc_123", "title": "x"}),
        ("get", url(postmortem["id"]), None),
        ("patch", url(postmortem["id"]), {"title": "x"}),
        ("delete", url(postmortem["id"]), None),
        ("get", url(postmortem["id"]) + "/export", None),
        ("patch", f"/api/action-items/{item_id}", {"status": "DONE"}),
    ]
    for method, path, body in calls:
        if method in ("get", "delete"):
            response = getattr(anonymous, method)(path)
        else:
            response = getattr(anonymous, method)(path, body)
        assert response.status_code == 401, (method, path)
        assert response.json()["error"] == "unauthorized"
    assert PostMortem.objects.get(pk=postmortem["id"]).version == 1
    assert Incident.objects.get(pk="inc_123").title == "Checkout database outage"
