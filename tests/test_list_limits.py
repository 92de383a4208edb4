"""How many entries a report's lists may hold: one declared limit per list (fields.py and
sections.py), applied alike to create, PATCH, the services' other callers and import, and
answered 422 naming the list and its limit."""

import pytest

from hindsight.incidents.models import Incident
from hindsight.lib.errors import Invalid
from hindsight.postmortems import fields, limits
from hindsight.postmortems.models import PostMortem, TimelineEvent
from hindsight.postmortems.services import update_postmortem


def _events(count: int) -> list[dict]:
    return [{"time": "14:35", "description": f"step {n}"} for n in range(count)]


LISTS = {
    "timeline": ("timeline", _events),
    "actionItems": ("action_items", lambda n: [{"description": f"do {i}"} for i in range(n)]),
    "tags": ("tags", lambda n: [f"tag{i}" for i in range(n)]),
    "contributors": ("contributors", lambda n: [f"person{i}" for i in range(n)]),
}


@pytest.mark.parametrize("key", sorted(LISTS))
def test_a_create_over_a_list_limit_is_a_422_naming_the_list(alice, api_for, incident, key):
    name, make = LISTS[key]
    limit = fields.LIST_LIMITS[name]
    body = {"incidentId": incident.pk, "title": "Too long", key: make(limit + 1)}
    response = api_for(alice).post("/api/postmortems", body)
    assert response.status_code == 422, response.content
    assert key in str(response.json()["fields"])
    assert str(limit) in response.json()["message"]
    assert not PostMortem.objects.exists()


def test_a_list_at_its_limit_is_accepted(alice, api_for, incident):
    body = {"incidentId": incident.pk, "title": "Full", "tags": LISTS["tags"][1](limits.TAGS)}
    response = api_for(alice).post("/api/postmortems", body)
    assert response.status_code == 201, response.content
    assert len(response.json()["tags"]) == limits.TAGS


def test_a_patch_over_the_timeline_limit_is_refused_and_changes_nothing(alice, api_for, postmortem):
    api = api_for(alice)
    url = f"/api/postmortems/{postmortem['id']}"
    response = api.patch(url, {"timeline": _events(limits.TIMELINE_EVENTS + 1)})
    assert response.status_code == 422, response.content
    assert "timeline" in str(response.json()["fields"])
    assert api.get(url).json()["version"] == postmortem["version"]


@pytest.mark.parametrize(
    "section, value",
    [
        ("participants", ["someone"] * (limits.SECTION_ENTRIES + 1)),
        ("contributingFactors", [{"factor": "f"}] * (limits.SECTION_ENTRIES + 1)),
        ("customSections", [{"heading": "h", "body": ""}] * (limits.CUSTOM_SECTIONS + 1)),
        ("fiveWhys", {"whys": [{"why": "w"}] * (limits.SECTION_ENTRIES + 1)}),
    ],
)
def test_a_section_list_over_its_limit_is_a_422(alice, api_for, postmortem, section, value):
    response = api_for(alice).patch(f"/api/postmortems/{postmortem['id']}", {section: value})
    assert response.status_code == 422, response.content
    assert section in str(response.json()["fields"])


def test_callers_beside_the_api_meet_the_same_limit(alice, postmortem):
    """The web adds one event at a time through the services: the limit holds there too."""
    with pytest.raises(Invalid) as refused:
        update_postmortem(
            postmortem["id"], {"timeline": _events(limits.TIMELINE_EVENTS + 1)}, by=alice
        )
    assert refused.value.fields == {"timeline": f"at most {limits.TIMELINE_EVENTS} entries"}
    assert TimelineEvent.objects.filter(postmortem_id=postmortem["id"]).count() == len(
        postmortem["timeline"]
    )


def test_an_import_over_the_action_item_limit_is_refused_whole(alice, api_for):
    items = "\n".join(f"- [ ] follow-up {n}" for n in range(limits.ACTION_ITEMS + 1))
    document = f"# Too many follow-ups\n\n## Summary\n\nIt broke.\n\n## Action items\n\n{items}\n"
    response = api_for(alice).post(
        "/api/postmortems/import", raw=document, content_type="text/markdown"
    )
    assert response.status_code == 422, response.content
    # Named as create and PATCH name it (the merged import path checks the same limits).
    assert f"{limits.ACTION_ITEMS:,}" in response.json()["message"]
    assert not PostMortem.objects.exists()
    assert not Incident.objects.exists()
