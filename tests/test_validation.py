"""Bad input: a 4xx in the documented shape naming the field at fault, never a 500, and
never a half-written record."""

import pytest

from hindsight.incidents.models import Incident
from hindsight.postmortems.models import (
    ActionItem,
    Contributor,
    PostMortem,
    Revision,
    TimelineEvent,
)

MODELS = (Incident, PostMortem, TimelineEvent, ActionItem, Contributor, Revision)


def url(pm_id: str) -> str:
    return f"/api/postmortems/{pm_id}"


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    return body


@pytest.fixture
def api(alice, api_for, incident):
    return api_for(alice)


# Creating a post-mortem ----------------------------------------------------------------


BAD_BODIES = [
    ("title", lambda b: b.pop("title")),
    ("title", lambda b: b.update(title="")),
    ("title", lambda b: b.update(title=42)),
    ("title", lambda b: b.update(title=None)),
    ("incidentId", lambda b: b.pop("incidentId")),
    ("summary", lambda b: b.update(summary=["not", "text"])),
    ("contributors", lambda b: b.update(contributors="alice")),
    ("status", lambda b: b.update(status="FINISHED")),
    ("timeline", lambda b: b.update(timeline={"time": "14:35"})),
    ("timeline[1].description", lambda b: b["timeline"][1].pop("description")),
    ("timeline[0].time", lambda b: b["timeline"][0].update(time=1435)),
    ("actionItems[2].status", lambda b: b["actionItems"][2].update(status="WONTFIX")),
    ("actionItems[0].priority", lambda b: b["actionItems"][0].update(priority="URGENT")),
    ("actionItems[1].dueDate", lambda b: b["actionItems"][1].update(dueDate="next week")),
    ("actionItems[0].description", lambda b: b["actionItems"][0].pop("description")),
    ("colour", lambda b: b.update(colour="blue")),
    ("actionItems[0].assignee", lambda b: b["actionItems"][0].update(assignee="bob")),
    ("timeline[0].when", lambda b: b["timeline"][0].update(when="now")),
]


@pytest.mark.parametrize(("field", "spoil"), BAD_BODIES, ids=[f for f, _ in BAD_BODIES])
def test_a_bad_create_body_is_a_422_naming_the_field(api, seed_body, field, spoil):
    spoil(seed_body)
    before = counts()

    response = api.post("/api/postmortems", seed_body)

    body = assert_error_shape(response, 422)
    assert body["error"] == "invalid"
    assert field in body["fields"], body
    assert field in body["message"]
    assert counts() == before


@pytest.mark.parametrize("time", ["25:00", "14h35", "yesterday", "2026-13-01T10:00:00Z", ""])
def test_an_unparseable_timeline_time_is_a_422_naming_its_position(api, seed_body, time):
    seed_body["timeline"][3]["time"] = time
    before = counts()

    response = api.post("/api/postmortems", seed_body)

    body = assert_error_shape(response, 422)
    assert "timeline[3].time" in body["fields"]
    assert counts() == before


def test_an_unknown_incident_is_a_422_that_names_it(api, seed_body):
    seed_body["incidentId"] = "inc_missing"
    before = counts()

    response = api.post("/api/postmortems", seed_body)

    body = assert_error_shape(response, 422)
    assert "inc_missing" in body["message"]
    assert "inc_missing" in body["fields"]["incidentId"]
    assert counts() == before


def test_a_late_failure_leaves_no_half_written_post_mortem(api, seed_body):
    # The nested lists are written after the post-mortem row; an error there must undo it.
    seed_body["timeline"][4]["id"] = "evt_not_ours"
    before = counts()

    response = api.post("/api/postmortems", seed_body)

    body = assert_error_shape(response, 422)
    assert "timeline[4].id" in body["fields"]
    assert counts() == before


# Changing a post-mortem ----------------------------------------------------------------


BAD_PATCHES = [
    ("title", {"title": ""}),
    ("title", {"title": None}),
    ("title", {"title": {"text": "x"}}),
    ("status", {"status": "FINISHED"}),
    ("status", {"status": None}),
    ("contributors", {"contributors": None}),
    ("contributors[0]", {"contributors": [1, 2]}),
    ("timeline", {"timeline": None}),
    ("timeline[0].time", {"timeline": [{"time": "quarter past two", "description": "x"}]}),
    ("actionItems[0].status", {"actionItems": [{"description": "x", "status": "done"}]}),
    ("incidentId", {"incidentId": "inc_missing"}),
    ("sneaky", {"sneaky": True}),
]


@pytest.mark.parametrize(("field", "change"), BAD_PATCHES, ids=[str(c) for _, c in BAD_PATCHES])
def test_a_bad_patch_is_a_422_naming_the_field_and_changes_nothing(
    alice, api_for, postmortem, field, change
):
    api = api_for(alice)
    change = {"summary": "A valid change alongside the bad one", **change}
    before = counts()

    response = api.patch(url(postmortem["id"]), change)

    body = assert_error_shape(response, 422)
    assert field in body["fields"], body
    assert counts() == before
    assert api.get(url(postmortem["id"])).json() == postmortem


def test_a_bad_action_item_patch_is_a_422_and_changes_nothing(alice, api_for, postmortem):
    api = api_for(alice)
    item_id = postmortem["actionItems"][0]["id"]
    for change, field in (
        ({"status": "FINISHED"}, "status"),
        ({"dueDate": "31/12/2026"}, "dueDate"),
        ({"description": None}, "description"),
        ({"colour": "red"}, "colour"),
    ):
        response = api.patch(f"/api/action-items/{item_id}", change)
        body = assert_error_shape(response, 422)
        assert field in body["fields"], change
    assert api.get(url(postmortem["id"])).json() == postmortem


# Malformed and oversized bodies --------------------------------------------------------


@pytest.mark.parametrize("raw", ['{"title": "x",', "not json", '{"title": "x"}}', "\xff"])
def test_malformed_json_is_a_400(api, raw):
    before = counts()
    response = api.post("/api/postmortems", raw=raw)
    body = assert_error_shape(response, 400)
    assert body["error"] == "malformed_json"
    assert "body" in body["fields"]
    assert counts() == before


def test_malformed_json_on_patch_is_a_400(alice, api_for, postmortem):
    api = api_for(alice)
    response = api.patch(url(postmortem["id"]), raw="{'title': 'single quotes'}")
    assert assert_error_shape(response, 400)["error"] == "malformed_json"
    response = api.patch("/api/incidents/inc_123", raw="[")
    assert assert_error_shape(response, 400)["error"] == "malformed_json"
    assert api.get(url(postmortem["id"])).json() == postmortem


def test_a_body_that_is_not_an_object_is_a_4xx(api):
    for raw in ("[]", '"title"', "42", "null"):
        response = api.post("/api/postmortems", raw=raw)
        assert 400 <= response.status_code < 500, raw
        assert_error_shape(response, response.status_code)
    assert PostMortem.objects.count() == 0


def test_a_body_over_one_mebibyte_is_a_413(api, seed_body):
    seed_body["summary"] = "x" * (1024 * 1024)
    before = counts()

    response = api.post("/api/postmortems", seed_body)

    body = assert_error_shape(response, 413)
    assert "body" in body["fields"]
    assert counts() == before


def test_a_body_just_under_the_limit_is_read(api, seed_body):
    seed_body["summary"] = "x" * 190_000
    response = api.post("/api/postmortems", seed_body)
    assert response.status_code == 201
    assert len(PostMortem.objects.get().summary) == 190_000


# Incidents -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("startedAt", {"title": "x", "startedAt": "2026-03-01T14:30:00"}),
        ("resolvedAt", {"title": "x", "resolvedAt": "2026-03-01 15:00"}),
        ("detectedAt", {"title": "x", "detectedAt": "at half past two"}),
        ("severity", {"title": "x", "severity": "SEV5"}),
        ("title", {"severity": "SEV1"}),
        ("services", {"title": "x", "services": "checkout"}),
        ("links[0].url", {"title": "x", "links": [{"label": "pager", "url": "ftp://x"}]}),
        ("pager", {"title": "x", "pager": "PD123"}),
        ("id", {"title": "x", "id": "has spaces"}),
    ],
)
def test_a_bad_incident_is_a_422_naming_the_field(alice, api_for, db, field, body):
    response = api_for(alice).post("/api/incidents", body)
    error = assert_error_shape(response, 422)
    assert field in error["fields"], error
    assert Incident.objects.count() == 0


def test_naive_timestamps_are_refused_on_incident_patch(alice, api_for, incident):
    response = api_for(alice).patch(
        f"/api/incidents/{incident.id}", {"resolvedAt": "2026-03-01T15:00:00"}
    )
    assert "resolvedAt" in assert_error_shape(response, 422)["fields"]
    incident.refresh_from_db()
    assert incident.resolved_at is None
    assert incident.version == 1


def test_detection_before_the_start_is_a_422(alice, api_for, db):
    response = api_for(alice).post(
        "/api/incidents",
        {
            "title": "Time travel",
            "startedAt": "2026-03-01T14:30:00Z",
            "detectedAt": "2026-03-01T14:00:00Z",
        },
    )
    assert "detectedAt" in assert_error_shape(response, 422)["fields"]
    assert Incident.objects.count() == 0


def test_a_patch_that_puts_detection_before_the_start_is_a_422(alice, api_for, incident):
    api = api_for(alice)
    response = api.patch(f"/api/incidents/{incident.id}", {"detectedAt": "2026-03-01T14:29:59Z"})
    assert "detectedAt" in assert_error_shape(response, 422)["fields"]

    moved = api.patch(f"/api/incidents/{incident.id}", {"startedAt": "2026-03-01T15:00:00Z"})
    assert moved.status_code == 200
    response = api.patch(f"/api/incidents/{incident.id}", {"detectedAt": "2026-03-01T14:45:00Z"})
    assert "detectedAt" in assert_error_shape(response, 422)["fields"]

    incident.refresh_from_db()
    assert incident.detected_at is None
    assert incident.started_at.isoformat() == "2026-03-01T15:00:00+00:00"


def test_moving_the_start_after_a_later_time_is_a_422(alice, api_for, db):
    api = api_for(alice)
    created = api.post(
        "/api/incidents",
        {
            "title": "x",
            "startedAt": "2026-03-01T14:30:00Z",
            "resolvedAt": "2026-03-01T15:00:00Z",
        },
    ).json()
    response = api.patch(
        f"/api/incidents/{created['id']}", {"startedAt": "2026-03-01T16:00:00+01:00"}
    )
    assert response.status_code == 200  # 15:00Z: the same instant, not after it
    response = api.patch(f"/api/incidents/{created['id']}", {"startedAt": "2026-03-01T15:30:00Z"})
    assert "resolvedAt" in assert_error_shape(response, 422)["fields"]
    stored = Incident.objects.get(pk=created["id"])
    assert stored.started_at.isoformat() == "2026-03-01T15:00:00+00:00"


# Query strings and headers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1000"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"status": "FINISHED"}, "status"),
        ({"sort": "name"}, "sort"),
        ({"order": "sideways"}, "order"),
        ({"cursor": "!!!"}, "cursor"),
    ],
)
def test_bad_list_parameters_are_a_422_naming_them(alice, api_for, db, params, field):
    response = api_for(alice).get("/api/postmortems", params=params)
    assert field in assert_error_shape(response, 422)["fields"]


def test_not_found_has_the_documented_shape(alice, api_for, db):
    api = api_for(alice)
    for path in ("/api/postmortems/pm_nope", "/api/incidents/inc_nope"):
        assert assert_error_shape(api.get(path), 404)["error"] == "not_found"
