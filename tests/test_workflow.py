"""The status workflow: DRAFT → IN_REVIEW → PUBLISHED → ARCHIVED, and IN_REVIEW → DRAFT."""

import pytest

from hindsight.postmortems.models import ActionItem, PostMortem, TimelineEvent

LEGAL = {
    "DRAFT": ["IN_REVIEW"],
    "IN_REVIEW": ["DRAFT", "PUBLISHED"],
    "PUBLISHED": ["ARCHIVED"],
    "ARCHIVED": [],
}
PATH_TO = {
    "DRAFT": [],
    "IN_REVIEW": ["IN_REVIEW"],
    "PUBLISHED": ["IN_REVIEW", "PUBLISHED"],
    "ARCHIVED": ["IN_REVIEW", "PUBLISHED", "ARCHIVED"],
}


def url(pm_id: str) -> str:
    return f"/api/postmortems/{pm_id}"


def move_to(api, pm: dict, status: str) -> dict:
    """Walk PM through the workflow to STATUS, closing its action items before archiving."""
    for step in PATH_TO[status]:
        if step == "ARCHIVED":
            items = api.get(url(pm["id"])).json()["actionItems"]
            done = [{**i, "status": "DONE"} for i in items]
            response = api.patch(url(pm["id"]), {"actionItems": done})
            assert response.status_code == 200, response.content
        response = api.patch(url(pm["id"]), {"status": step})
        assert response.status_code == 200, response.content
    return api.get(url(pm["id"])).json()


def stored(pm_id: str) -> PostMortem:
    return PostMortem.objects.get(pk=pm_id)


# Legal moves ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("DRAFT", "IN_REVIEW"),
        ("IN_REVIEW", "PUBLISHED"),
        ("IN_REVIEW", "DRAFT"),
        ("PUBLISHED", "ARCHIVED"),
    ],
)
def test_every_legal_move_is_applied_and_stored(alice, api_for, postmortem, start, target):
    api = api_for(alice)
    pm = move_to(api, postmortem, start)
    if target == "ARCHIVED":
        items = [{**i, "status": "DONE"} for i in pm["actionItems"]]
        assert api.patch(url(pm["id"]), {"actionItems": items}).status_code == 200
        pm = api.get(url(pm["id"])).json()

    response = api.patch(url(pm["id"]), {"status": target})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == target
    assert response.json()["version"] == pm["version"] + 1
    assert stored(pm["id"]).status == target
    assert api.get(url(pm["id"])).json()["status"] == target


def test_a_new_post_mortem_starts_as_draft_by_default(alice, api_for, incident, seed_body):
    del seed_body["status"]
    response = api_for(alice).post("/api/postmortems", seed_body)
    assert response.status_code == 201
    assert stored(response.json()["id"]).status == "DRAFT"


def test_a_new_post_mortem_may_start_in_review(alice, api_for, incident, seed_body):
    seed_body["status"] = "IN_REVIEW"
    response = api_for(alice).post("/api/postmortems", seed_body)
    assert response.status_code == 201
    assert stored(response.json()["id"]).status == "IN_REVIEW"


@pytest.mark.parametrize("status", ["PUBLISHED", "ARCHIVED"])
def test_it_refuses_to_create_a_post_mortem_past_review(
    alice, api_for, incident, seed_body, status
):
    seed_body["status"] = status
    response = api_for(alice).post("/api/postmortems", seed_body)
    assert response.status_code == 422
    assert "status" in response.json()["fields"]
    assert PostMortem.objects.count() == 0


def test_publishing_sets_published_at(alice, api_for, postmortem):
    api = api_for(alice)
    assert postmortem["publishedAt"] is None
    in_review = move_to(api, postmortem, "IN_REVIEW")
    assert in_review["publishedAt"] is None

    response = api.patch(url(postmortem["id"]), {"status": "PUBLISHED"})

    assert response.status_code == 200
    assert response.json()["publishedAt"] is not None
    row = stored(postmortem["id"])
    assert row.published_at is not None
    assert row.published_at >= row.created_at


# Illegal moves -------------------------------------------------------------------------


ILLEGAL = [
    (start, target)
    for start in LEGAL
    for target in ("DRAFT", "IN_REVIEW", "PUBLISHED", "ARCHIVED")
    if target != start and target not in LEGAL[start]
]


@pytest.mark.parametrize(("start", "target"), ILLEGAL)
def test_every_illegal_move_is_a_409_listing_the_legal_ones(
    alice, api_for, postmortem, start, target
):
    api = api_for(alice)
    pm = move_to(api, postmortem, start)

    response = api.patch(url(pm["id"]), {"status": target})

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["error"] == "conflict"
    assert sorted(body["allowed"]) == sorted(LEGAL[start])
    assert "status" in body["fields"]
    after = api.get(url(pm["id"])).json()
    assert after == pm
    assert stored(pm["id"]).status == start


def test_an_unknown_status_is_a_422_not_a_move(alice, api_for, postmortem):
    response = api_for(alice).patch(url(postmortem["id"]), {"status": "DONE"})
    assert response.status_code == 422
    assert "status" in response.json()["fields"]
    assert stored(postmortem["id"]).status == "DRAFT"


# Published: the text is locked, the follow-through is not -------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "Renamed"}, "title"),
        ({"summary": "Rewritten"}, "summary"),
        ({"impact": "None at all"}, "impact"),
        ({"rootCause": "Cosmic rays"}, "rootCause"),
        ({"contributors": ["alice"]}, "contributors"),
    ],
)
def test_it_refuses_text_edits_once_published(alice, api_for, postmortem, change, field):
    api = api_for(alice)
    pm = move_to(api, postmortem, "PUBLISHED")

    response = api.patch(url(pm["id"]), change)

    assert response.status_code == 409
    assert field in response.json()["fields"]
    assert api.get(url(pm["id"])).json() == pm


def test_it_refuses_timeline_edits_once_published(alice, api_for, postmortem):
    api = api_for(alice)
    pm = move_to(api, postmortem, "PUBLISHED")
    timeline = [dict(e) for e in pm["timeline"]]
    timeline[0]["description"] = "Rewritten history"
    events_before = list(TimelineEvent.objects.values().order_by("id"))

    for change in (
        {"timeline": timeline},
        {"timeline": pm["timeline"][1:]},
        {"timeline": [*pm["timeline"], {"time": "15:00", "description": "Postscript"}]},
    ):
        response = api.patch(url(pm["id"]), change)
        assert response.status_code == 409, change
        assert "timeline" in response.json()["fields"]

    assert list(TimelineEvent.objects.values().order_by("id")) == events_before
    assert api.get(url(pm["id"])).json() == pm


def test_a_refused_mixed_change_on_a_published_report_changes_nothing(alice, api_for, postmortem):
    api = api_for(alice)
    pm = move_to(api, postmortem, "PUBLISHED")
    items = [dict(i) for i in pm["actionItems"]]
    items[0]["status"] = "DONE"

    response = api.patch(url(pm["id"]), {"title": "Renamed", "actionItems": items})

    assert response.status_code == 409
    assert api.get(url(pm["id"])).json() == pm


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "IN_PROGRESS"), ("owner", "someone@example.com"), ("dueDate", "2099-04-01")],
)
def test_follow_through_fields_stay_editable_through_the_nested_patch(
    alice, api_for, postmortem, field, value
):
    api = api_for(alice)
    pm = move_to(api, postmortem, "PUBLISHED")
    items = [dict(i) for i in pm["actionItems"]]
    items[1][field] = value

    response = api.patch(url(pm["id"]), {"actionItems": items})

    assert response.status_code == 200, response.content
    after = api.get(url(pm["id"])).json()
    assert after["actionItems"][1][field] == value
    assert after["actionItems"][0] == pm["actionItems"][0]
    assert after["status"] == "PUBLISHED"
    assert after["version"] == pm["version"] + 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "DONE"), ("owner", "someone@example.com"), ("dueDate", "2099-04-01")],
)
def test_follow_through_fields_stay_editable_through_the_action_item_endpoint(
    alice, api_for, postmortem, field, value
):
    api = api_for(alice)
    pm = move_to(api, postmortem, "PUBLISHED")
    item_id = pm["actionItems"][0]["id"]

    response = api.patch(f"/api/action-items/{item_id}", {field: value})

    assert response.status_code == 200, response.content
    assert response.json()[field] == value
    row = ActionItem.objects.get(pk=item_id)
    stored_value = {"status": row.status, "owner": row.owner, "dueDate": str(row.due_date)}
    assert stored_value[field] == value
    assert api.get(url(pm["id"])).json()["actionItems"][0][field] == value


def test_adding_an_action_item_to_a_published_report_is_refused(alice, api_for, postmortem):
    api = api_for(alice)
    pm = move_to(api, postmortem, "PUBLISHED")
    items = [*pm["actionItems"], {"description": "An afterthought", "owner": "alice"}]

    response = api.patch(url(pm["id"]), {"actionItems": items})

    assert response.status_code == 409
    assert "actionItems" in response.json()["fields"]
    assert ActionItem.objects.filter(postmortem_id=pm["id"]).count() == 3
    assert api.get(url(pm["id"])).json() == pm


def test_removing_an_action_item_from_a_published_report_is_refused(alice, api_for, postmortem):
    api = api_for(alice)
    pm = move_to(api, postmortem, "PUBLISHED")

    response = api.patch(url(pm["id"]), {"actionItems": pm["actionItems"][1:]})

    assert response.status_code == 409
    assert "actionItems" in response.json()["fields"]
    assert ActionItem.objects.filter(postmortem_id=pm["id"]).count() == 3
    assert api.get(url(pm["id"])).json() == pm


def test_redescribing_an_action_item_of_a_published_report_is_refused(alice, api_for, postmortem):
    api = api_for(alice)
    pm = move_to(api, postmortem, "PUBLISHED")
    items = [dict(i) for i in pm["actionItems"]]
    items[0]["description"] = "Something else entirely"
    item_id = items[0]["id"]

    nested = api.patch(url(pm["id"]), {"actionItems": items})
    direct = api.patch(f"/api/action-items/{item_id}", {"description": "Something else"})

    assert nested.status_code == 409
    assert direct.status_code == 409
    assert "actionItems" in nested.json()["fields"]
    assert ActionItem.objects.get(pk=item_id).description == pm["actionItems"][0]["description"]
    assert api.get(url(pm["id"])).json() == pm


# Archiving -----------------------------------------------------------------------------


def test_archiving_is_refused_while_an_action_item_is_open(alice, api_for, postmortem):
    api = api_for(alice)
    pm = move_to(api, postmortem, "PUBLISHED")
    first = pm["actionItems"][0]["id"]
    assert api.patch(f"/api/action-items/{first}", {"status": "DONE"}).status_code == 200
    pm = api.get(url(pm["id"])).json()

    response = api.patch(url(pm["id"]), {"status": "ARCHIVED"})

    assert response.status_code == 409
    body = response.json()
    still_open = [i["id"] for i in pm["actionItems"][1:]]
    assert sorted(body["openActionItems"]) == sorted(still_open)
    # The message says the items in words, by their descriptions, not by id.
    assert body["message"].startswith("Archiving waits for 2 open action items: ")
    for item in pm["actionItems"][1:]:
        assert item["description"] in body["message"]
        assert item["id"] not in body["message"]
    assert pm["actionItems"][0]["description"] not in body["message"]
    assert body["openActionItemDetails"] == [
        {"id": i["id"], "description": i["description"], "status": i["status"]}
        for i in pm["actionItems"][1:]
    ]
    assert "ARCHIVED" not in body["allowed"]
    assert api.get(url(pm["id"])).json() == pm
    assert stored(pm["id"]).status == "PUBLISHED"


def test_archiving_is_allowed_once_every_item_is_done(alice, api_for, postmortem):
    api = api_for(alice)
    pm = move_to(api, postmortem, "PUBLISHED")
    for item in pm["actionItems"]:
        assert api.patch(f"/api/action-items/{item['id']}", {"status": "DONE"}).status_code == 200

    response = api.patch(url(pm["id"]), {"status": "ARCHIVED"})

    assert response.status_code == 200
    assert stored(pm["id"]).status == "ARCHIVED"


def test_closing_the_items_and_archiving_in_one_request_is_allowed(alice, api_for, postmortem):
    api = api_for(alice)
    pm = move_to(api, postmortem, "PUBLISHED")
    items = [{**i, "status": "DONE"} for i in pm["actionItems"]]

    response = api.patch(url(pm["id"]), {"actionItems": items, "status": "ARCHIVED"})

    assert response.status_code == 200, response.content
    assert stored(pm["id"]).status == "ARCHIVED"
    assert set(ActionItem.objects.values_list("status", flat=True)) == {"DONE"}


def test_an_archived_report_is_read_only(alice, admin, api_for, postmortem):
    api = api_for(alice)
    pm = move_to(api, postmortem, "ARCHIVED")
    item_id = pm["actionItems"][0]["id"]
    items = [{**i, "owner": "someone-else"} for i in pm["actionItems"]]

    for who in (api, api_for(admin)):
        for change in (
            {"title": "Renamed"},
            {"actionItems": items},
            {"timeline": []},
            {"status": "PUBLISHED"},
        ):
            response = who.patch(url(pm["id"]), change)
            assert response.status_code == 409, change
            assert response.json()["allowed"] == []
        response = who.patch(f"/api/action-items/{item_id}", {"status": "TODO"})
        assert response.status_code == 409

    assert api.get(url(pm["id"])).json() == pm
    assert ActionItem.objects.get(pk=item_id).status == "DONE"


# Deleting ------------------------------------------------------------------------------


def test_its_creator_can_delete_a_draft(alice, api_for, postmortem):
    response = api_for(alice).delete(url(postmortem["id"]))
    assert response.status_code == 204
    assert not PostMortem.objects.filter(pk=postmortem["id"]).exists()
    assert ActionItem.objects.count() == 0
    assert TimelineEvent.objects.count() == 0
    assert api_for(alice).get(url(postmortem["id"])).status_code == 404


def test_an_admin_can_delete_someone_elses_draft(admin, api_for, postmortem):
    response = api_for(admin).delete(url(postmortem["id"]))
    assert response.status_code == 204
    assert not PostMortem.objects.filter(pk=postmortem["id"]).exists()


def test_a_contributor_who_did_not_create_the_draft_cannot_delete_it(bob, api_for, postmortem):
    response = api_for(bob).delete(url(postmortem["id"]))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert PostMortem.objects.filter(pk=postmortem["id"]).exists()


@pytest.mark.parametrize("status", ["IN_REVIEW", "PUBLISHED", "ARCHIVED"])
def test_it_refuses_to_delete_anything_past_draft(alice, admin, api_for, postmortem, status):
    pm = move_to(api_for(alice), postmortem, status)
    for who in (alice, admin):
        response = api_for(who).delete(url(pm["id"]))
        assert response.status_code == 409
        assert response.json()["fields"] == {"status": status}
    assert stored(pm["id"]).status == status
    assert ActionItem.objects.filter(postmortem_id=pm["id"]).count() == 3
