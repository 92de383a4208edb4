"""The OpenAPI states the rules a schema can state, and the server holds to them both ways: a
request the schema calls valid is accepted, one it calls invalid is refused (what
.ci/schemathesis fuzzes at length, pinned here rule by rule)."""

import re

import pytest

from hindsight.lib.http import ETAG_LIST_PATTERN
from hindsight.lib.times import EVENT_TIME_SCHEMA, is_valid_event_time


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").json()


def schema(spec, name):
    return spec["components"]["schemas"][name]


def parameter(spec, method, path, name):
    return next(p for p in spec["paths"][path][method]["parameters"] if p["name"] == name)


def test_conditional_headers_name_their_syntax(spec):
    header = parameter(spec, "delete", "/api/postmortems/{postmortem_id}", "If-Match")
    assert header["schema"]["format"] == "entity-tags"
    assert header["schema"]["pattern"] == ETAG_LIST_PATTERN


def test_export_formats_are_an_enum(spec):
    fmt = parameter(spec, "get", "/api/postmortems/{postmortem_id}/export", "format")
    assert fmt["schema"]["enum"] == ["markdown", "html", "pdf", "json"]


def test_fields_a_patch_may_not_clear_are_not_nullable(spec):
    patch = schema(spec, "PostMortemPatch")["properties"]
    for name in ("title", "summary", "timeline", "actionItems", "tags", "contributors", "status"):
        assert "anyOf" not in patch[name] and "default" not in patch[name], name
    assert "anyOf" not in schema(spec, "IncidentPatch")["properties"]["title"]
    template = schema(spec, "TemplatePatch")["properties"]
    assert template["body"]["type"] == "object"
    assert template["slug"]["readOnly"] is True
    assert schema(spec, "ChannelPatch")["properties"]["kind"]["readOnly"] is True


def test_a_new_entry_must_give_its_required_fields(spec):
    rule = schema(spec, "TimelineEventIn")["anyOf"]
    assert rule[0]["required"] == ["id"]
    assert rule[1]["required"] == ["time", "description"]


def test_texts_with_a_shape_say_it(spec):
    comment = schema(spec, "CommentIn")["properties"]
    assert comment["body"]["pattern"] == r"\S"
    assert "rootCause" in comment["section"]["enum"]
    assert schema(spec, "TemplateCreate")["properties"]["slug"]["pattern"]
    assert schema(spec, "BulkStatus")["properties"]["ids"]["uniqueItems"] is True
    tracker = schema(spec, "ActionItemIn")["properties"]["trackerUrl"]["anyOf"][0]
    assert tracker["pattern"].startswith("^https?://")


@pytest.mark.parametrize(
    "value",
    ["14:35", "9:05:30", "2026-03-01T14:35:00Z", "2026-03-01T14:35:00+02:00", "03-04-2021 14:35"],
)
def test_event_times_the_schema_allows_are_accepted(value):
    branches = EVENT_TIME_SCHEMA["anyOf"]
    by_pattern = any(re.search(b["pattern"], value) for b in branches if "pattern" in b)
    assert by_pattern or "T" in value
    assert is_valid_event_time(value)


@pytest.mark.parametrize("value", ["03-03-2021 14:35", "25:00", "03-04-2021 99:99", "soon"])
def test_event_times_the_schema_refuses_are_refused(value):
    branches = [b for b in EVENT_TIME_SCHEMA["anyOf"] if "pattern" in b]
    assert not any(re.search(b["pattern"], value) for b in branches)
    assert not is_valid_event_time(value)


def test_a_number_is_not_an_instant(alice, api_for, db):
    response = api_for(alice).post("/api/incidents", {"title": "Epoch", "startedAt": 0})

    assert response.status_code == 422
    assert "startedAt" in response.json()["fields"]


def test_false_is_not_a_count(alice, api_for, incident):
    body = {
        "incidentId": incident.id,
        "title": "Hours",
        "impactAnalysis": {"engineering": {"engineerHours": False}},
    }

    response = api_for(alice).post("/api/postmortems", body)

    assert response.status_code == 422
    assert any("engineerHours" in name for name in response.json()["fields"])


@pytest.mark.parametrize("url", ["http://[", "https://", "https://a b/c"])
def test_a_tracker_url_needs_a_host(alice, api_for, postmortem, url):
    item = postmortem["actionItems"][0]["id"]

    response = api_for(alice).patch(f"/api/action-items/{item}", {"trackerUrl": url})

    assert response.status_code == 422
    assert response.json()["fields"] == {"trackerUrl": "must be an http:// or https:// address"}


def test_a_tracker_url_with_a_host_and_port_is_accepted(alice, api_for, postmortem):
    item = postmortem["actionItems"][0]["id"]
    url = "https://jira.example.com:8443/browse/OPS-1?focus=1#c2"

    response = api_for(alice).patch(f"/api/action-items/{item}", {"trackerUrl": url})

    assert response.status_code == 200, response.content
    assert response.json()["trackerUrl"] == url


@pytest.mark.parametrize(
    "path",
    [
        "/api/postmortems?service=a&service=b",
        "/api/postmortems?status=",
        "/api/postmortems?createdFrom=0",
        "/api/postmortems?overdue=1",
        "/api/action-items?status=",
        "/api/action-items?mine=yes",
        "/api/insights/durations?to=0",
        "/api/insights/incidents?severity=SEV1&severity=SEV2",
        "/api/postmortems/pm_x/history?type=",
    ],
)
def test_query_parameters_are_taken_as_the_openapi_states_them(path, alice, api_for):
    """A parameter that takes one value given twice, a list given empty, a date or a
    boolean not written as the OpenAPI says: each is a 422 naming the parameter."""
    response = api_for(alice).get(path)
    assert response.status_code in (404, 422), (path, response.status_code)
    if response.status_code == 422:
        name = path.split("?")[1].split("=")[0]
        assert name in response.content.decode(), response.content


def test_a_boolean_in_a_body_is_true_or_false(admin, api_for, postmortem):
    api = api_for(admin)
    refused = api.patch("/api/factor-categories/automation", {"retired": 0})
    assert refused.status_code == 422 and "retired" in refused.content.decode()
    item = postmortem["actionItems"][0]["id"]
    body = {"actionItems": [{"id": item, "unconfirmed": 0}]}
    refused = api.patch(f"/api/postmortems/{postmortem['id']}", body, headers={"If-Match": '"1"'})
    assert refused.status_code == 422 and "unconfirmed" in refused.content.decode()
