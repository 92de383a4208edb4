"""PATCH of the nested lists (timeline, actionItems) sends the desired list, and sending
back what GET returned changes exactly what was changed in it."""

import copy
from datetime import UTC, datetime

import pytest

from hindsight.incidents.services import create_incident
from hindsight.postmortems.models import ActionItem, PostMortem, Revision, TimelineEvent


def url(pm_id: str) -> str:
    return f"/api/postmortems/{pm_id}"


def without(document: dict, *keys: str) -> dict:
    return {k: v for k, v in document.items() if k not in keys}


@pytest.fixture
def api(alice, api_for):
    return api_for(alice)


# Desired-list semantics ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "model"), [("timeline", TimelineEvent), ("actionItems", ActionItem)]
)
def test_an_entry_with_an_id_is_updated_in_place(api, postmortem, key, model):
    entries = copy.deepcopy(postmortem[key])
    target = entries[2]
    target["description"] = "Described again"

    response = api.patch(url(postmortem["id"]), {key: entries})

    assert response.status_code == 200, response.content
    assert model.objects.get(pk=target["id"]).description == "Described again"
    assert model.objects.filter(postmortem_id=postmortem["id"]).count() == len(entries)
    after = api.get(url(postmortem["id"])).json()[key]
    assert [e["id"] for e in after] == [e["id"] for e in postmortem[key]]


@pytest.mark.parametrize(
    ("key", "optional"),
    [("timeline", {"who": "pager", "notes": "auto"}), ("actionItems", {"dueDate": "2099-04-01"})],
)
def test_optional_fields_left_out_of_an_entry_keep_their_value(api, postmortem, key, optional):
    entries = copy.deepcopy(postmortem[key])
    entries[0].update(optional)
    assert api.patch(url(postmortem["id"]), {key: entries}).status_code == 200
    required = ("id", "time", "description") if key == "timeline" else ("id", "description")
    bare = [{f: e[f] for f in required} for e in entries]
    bare[1]["description"] = "Only this changes"

    response = api.patch(url(postmortem["id"]), {key: bare})

    assert response.status_code == 200, response.content
    after = api.get(url(postmortem["id"])).json()[key]
    assert after[0] == {**postmortem[key][0], **optional}
    assert after[1] == {**postmortem[key][1], "description": "Only this changes"}
    assert after[2:] == postmortem[key][2:]


@pytest.mark.parametrize(
    ("key", "model", "new"),
    [
        ("timeline", TimelineEvent, {"time": "14:55", "description": "Post-incident review"}),
        ("actionItems", ActionItem, {"description": "Write the runbook", "owner": "bob"}),
    ],
)
def test_an_entry_without_an_id_is_created(api, postmortem, key, model, new):
    entries = [*postmortem[key], new]

    response = api.patch(url(postmortem["id"]), {key: entries})

    assert response.status_code == 200, response.content
    after = api.get(url(postmortem["id"])).json()[key]
    assert len(after) == len(postmortem[key]) + 1
    created = [e for e in after if e["id"] not in {x["id"] for x in postmortem[key]}]
    assert len(created) == 1
    assert created[0]["description"] == new["description"]
    assert model.objects.filter(pk=created[0]["id"], postmortem_id=postmortem["id"]).exists()
    assert model.objects.filter(postmortem_id=postmortem["id"]).count() == len(entries)


def test_a_new_action_item_gets_the_documented_defaults(api, postmortem):
    entries = [*postmortem["actionItems"], {"description": "Bare item"}]
    response = api.patch(url(postmortem["id"]), {"actionItems": entries})
    assert response.status_code == 200
    row = ActionItem.objects.get(description="Bare item")
    assert (row.status, row.priority, row.owner, row.due_date) == ("TODO", "MEDIUM", None, None)


@pytest.mark.parametrize(
    ("key", "model"), [("timeline", TimelineEvent), ("actionItems", ActionItem)]
)
def test_an_entry_left_out_is_deleted(api, postmortem, key, model):
    kept = [postmortem[key][0], postmortem[key][2]]

    response = api.patch(url(postmortem["id"]), {key: kept})

    assert response.status_code == 200, response.content
    remaining = set(model.objects.filter(postmortem_id=postmortem["id"]).values_list("pk"))
    assert remaining == {(e["id"],) for e in kept}
    assert not model.objects.filter(pk=postmortem[key][1]["id"]).exists()


@pytest.mark.parametrize("key", ["timeline", "actionItems"])
def test_an_empty_list_deletes_every_entry(api, postmortem, key):
    response = api.patch(url(postmortem["id"]), {key: []})
    assert response.status_code == 200
    assert api.get(url(postmortem["id"])).json()[key] == []


@pytest.mark.parametrize(
    ("key", "model"), [("timeline", TimelineEvent), ("actionItems", ActionItem)]
)
def test_a_list_left_out_of_the_patch_is_untouched(api, postmortem, key, model):
    response = api.patch(url(postmortem["id"]), {"title": "Only the title"})
    assert response.status_code == 200
    assert api.get(url(postmortem["id"])).json()[key] == postmortem[key]


@pytest.mark.parametrize("key", ["timeline", "actionItems"])
def test_an_unknown_id_is_a_422_naming_the_entry(api, postmortem, key):
    entries = copy.deepcopy(postmortem[key])
    entries[1]["id"] = "evt_notfromhere"
    entries[0]["description"] = "Should not be saved"

    response = api.patch(url(postmortem["id"]), {key: entries})

    assert response.status_code == 422
    assert f"{key}[1].id" in response.json()["fields"]
    assert api.get(url(postmortem["id"])).json() == postmortem


def test_an_id_from_another_post_mortem_is_unknown_here(api, postmortem, seed_body):
    other = api.post("/api/postmortems", seed_body).json()
    entries = [*postmortem["actionItems"], other["actionItems"][0]]

    response = api.patch(url(postmortem["id"]), {"actionItems": entries})

    assert response.status_code == 422
    assert "actionItems[3].id" in response.json()["fields"]
    assert ActionItem.objects.get(pk=other["actionItems"][0]["id"]).postmortem_id == other["id"]
    assert api.get(url(postmortem["id"])).json() == postmortem


@pytest.mark.parametrize("key", ["timeline", "actionItems"])
def test_a_duplicate_id_is_a_422(api, postmortem, key):
    entries = [*postmortem[key], postmortem[key][0]]

    response = api.patch(url(postmortem["id"]), {key: entries})

    assert response.status_code == 422
    assert f"{key}[{len(entries) - 1}].id" in response.json()["fields"]
    assert api.get(url(postmortem["id"])).json() == postmortem


def test_action_items_keep_the_order_they_are_sent_in(api, postmortem):
    reordered = list(reversed(postmortem["actionItems"]))

    response = api.patch(url(postmortem["id"]), {"actionItems": reordered})

    assert response.status_code == 200
    after = api.get(url(postmortem["id"])).json()["actionItems"]
    assert [i["id"] for i in after] == [i["id"] for i in reordered]


# Round trips ---------------------------------------------------------------------------


def test_sending_back_exactly_what_get_returned_changes_nothing(api, postmortem):
    fetched = api.get(url(postmortem["id"]))
    body = fetched.json()
    revisions = Revision.objects.count()
    stored = PostMortem.objects.get(pk=postmortem["id"])

    response = api.patch(url(postmortem["id"]), body)

    assert response.status_code == 200, response.content
    assert response.json() == body
    assert response["ETag"] == fetched["ETag"] == '"1"'
    assert api.get(url(postmortem["id"])).json() == body
    assert Revision.objects.count() == revisions
    stored_after = PostMortem.objects.get(pk=postmortem["id"])
    assert stored_after.version == 1
    assert stored_after.updated_at == stored.updated_at


def test_sending_back_a_published_report_unchanged_is_accepted(api, postmortem):
    for status in ("IN_REVIEW", "PUBLISHED"):
        assert api.patch(url(postmortem["id"]), {"status": status}).status_code == 200
    body = api.get(url(postmortem["id"])).json()

    response = api.patch(url(postmortem["id"]), body)

    assert response.status_code == 200, response.content
    assert api.get(url(postmortem["id"])).json() == body


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("title",), "A better title"),
        (("impact",), None),
        (("rootCause",), "A deeper cause"),
        (("contributors",), ["alice@example.com"]),
        (("timeline", 2, "description"), "Paged the on-call engineer"),
        (("timeline", 0, "who"), "monitoring"),
        (("timeline", 4, "notes"), "Confirmed by synthetic checks"),
        (("actionItems", 1, "owner"), "sre@example.com"),
        (("actionItems", 2, "priority"), "LOW"),
        (("actionItems", 0, "status"), "IN_PROGRESS"),
        (("actionItems", 0, "dueDate"), "2099-04-15"),
    ],
)
def test_get_body_with_one_value_changed_changes_only_that_value(api, postmortem, path, value):
    body = api.get(url(postmortem["id"])).json()
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value

    response = api.patch(url(postmortem["id"]), body)

    assert response.status_code == 200, response.content
    after = api.get(url(postmortem["id"])).json()
    assert after["version"] == postmortem["version"] + 1
    assert without(after, "version", "updatedAt") == without(body, "version", "updatedAt")
    expected = copy.deepcopy(postmortem)
    target = expected
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert without(after, "version", "updatedAt") == without(expected, "version", "updatedAt")


def test_moving_one_event_in_time_reorders_the_timeline_and_changes_nothing_else(api, postmortem):
    body = api.get(url(postmortem["id"])).json()
    moved = body["timeline"][0]
    moved["time"] = "14:47"

    response = api.patch(url(postmortem["id"]), body)

    assert response.status_code == 200
    after = api.get(url(postmortem["id"])).json()["timeline"]
    assert [e["time"] for e in after] == ["14:38", "14:40", "14:45", "14:47", "14:50"]
    assert after[3] == {**postmortem["timeline"][0], "time": "14:47", "at": "2026-03-01T14:47:00Z"}
    assert [e for e in after if e["id"] != moved["id"]] == postmortem["timeline"][1:]


# Time: kept as written, resolved, ordered ---------------------------------------------


def test_the_timeline_is_returned_in_chronological_order(api, incident, seed_body):
    seed_body["timeline"] = [
        {"time": "14:50", "description": "Restored"},
        {"time": "2026-03-01T14:32:00Z", "description": "Alert fired"},
        {"time": "14:35", "description": "Spike"},
        {"time": "2026-03-01T16:40:00+02:00", "description": "Paged"},
    ]
    created = api.post("/api/postmortems", seed_body).json()
    fetched = api.get(url(created["id"])).json()

    for document in (created, fetched):
        assert [e["description"] for e in document["timeline"]] == [
            "Alert fired",
            "Spike",
            "Paged",
            "Restored",
        ]
        assert [e["at"] for e in document["timeline"]] == [
            "2026-03-01T14:32:00Z",
            "2026-03-01T14:35:00Z",
            "2026-03-01T14:40:00Z",
            "2026-03-01T14:50:00Z",
        ]


def test_times_are_returned_exactly_as_sent(api, incident, seed_body):
    written = ["14:35", "2026-03-01T16:36:00+02:00", "2026-03-01T14:37:30.250Z", "14:38:15"]
    seed_body["timeline"] = [
        {"time": t, "description": f"event {i}"} for i, t in enumerate(written)
    ]

    created = api.post("/api/postmortems", seed_body).json()
    fetched = api.get(url(created["id"])).json()

    assert [e["time"] for e in fetched["timeline"]] == written
    assert [datetime.fromisoformat(e["at"]) for e in fetched["timeline"]] == [
        datetime(2026, 3, 1, 14, 35, tzinfo=UTC),
        datetime(2026, 3, 1, 14, 36, tzinfo=UTC),
        datetime(2026, 3, 1, 14, 37, 30, 250_000, tzinfo=UTC),
        datetime(2026, 3, 1, 14, 38, 15, tzinfo=UTC),
    ]
    assert sorted(TimelineEvent.objects.values_list("time", flat=True)) == sorted(written)


def test_a_time_of_day_is_taken_on_the_incidents_start_date(alice, api, seed_body):
    create_incident(
        {
            "id": "inc_late",
            "title": "Late night",
            "started_at": datetime.fromisoformat("2026-07-09T23:10:00-04:00"),
        },
        by=alice,
    )
    seed_body["incidentId"] = "inc_late"
    seed_body["timeline"] = [{"time": "03:20", "description": "Paged"}]

    created = api.post("/api/postmortems", seed_body).json()

    # The incident started 2026-07-10T03:10Z: its start date in UTC is the 10th.
    assert created["timeline"][0]["at"] == "2026-07-10T03:20:00Z"


def test_at_is_null_when_the_incident_has_no_start_time(alice, api, seed_body):
    create_incident({"id": "inc_nostart", "title": "Unknown start"}, by=alice)
    seed_body["incidentId"] = "inc_nostart"
    seed_body["timeline"] = [
        {"time": "14:50", "description": "Restored"},
        {"time": "14:35", "description": "Spike"},
        {"time": "2026-03-01T14:40:00Z", "description": "Paged"},
    ]

    created = api.post("/api/postmortems", seed_body).json()
    fetched = api.get(url(created["id"])).json()

    by_description = {e["description"]: e for e in fetched["timeline"]}
    assert by_description["Spike"]["at"] is None
    assert by_description["Restored"]["at"] is None
    assert by_description["Paged"]["at"] == "2026-03-01T14:40:00Z"
    clock = [e["time"] for e in fetched["timeline"] if e["at"] is None]
    assert clock == ["14:35", "14:50"]


def test_at_follows_the_incident_when_its_start_is_set_later(alice, api, seed_body):
    create_incident({"id": "inc_nostart", "title": "Unknown start"}, by=alice)
    seed_body["incidentId"] = "inc_nostart"
    created = api.post("/api/postmortems", seed_body).json()
    assert created["timeline"][0]["at"] is None

    response = api.patch("/api/incidents/inc_nostart", {"startedAt": "2026-03-02T14:00:00Z"})
    assert response.status_code == 200

    fetched = api.get(url(created["id"])).json()
    assert fetched["timeline"][0]["at"] == "2026-03-02T14:35:00Z"


def test_at_sent_back_by_a_client_is_ignored(api, postmortem):
    entries = copy.deepcopy(postmortem["timeline"])
    entries[0]["at"] = "1999-01-01T00:00:00Z"

    response = api.patch(url(postmortem["id"]), {"timeline": entries})

    assert response.status_code == 200
    assert api.get(url(postmortem["id"])).json() == postmortem
