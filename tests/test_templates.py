"""Templates: built-in catalog files, the team's own (stored in the database), and how
choosing one pre-fills a new post-mortem: its prompts are hints, never the report's text;
its events and action items arrive unconfirmed."""

import re

import pytest
import yaml

from hindsight.lib.schema import api_name
from hindsight.postmortems import templates
from hindsight.postmortems.models import PostMortem, Template
from hindsight.postmortems.sections import SECTION_NAMES

BUILTIN = [
    "api-downtime",
    "database-outage",
    "deployment-failure",
    "detailed",
    "security-incident",
    "short",
    "third-party-failure",
]


def _create(api, slug, **fields):
    body = {"incidentId": "inc_123", "title": f"From {slug}", "template": slug, **fields}
    return api.post("/api/postmortems", body)


# The built-in catalog ------------------------------------------------------------------


def test_the_list_names_every_builtin_template_with_slug_name_and_description(alice, api_for):
    response = api_for(alice).get("/api/templates")
    assert response.status_code == 200
    rows = {row["slug"]: row for row in response.json()}
    assert sorted(rows) == BUILTIN
    for row in rows.values():
        assert row["name"] and row["description"]
        assert row["builtin"] is True
        assert row["createdBy"] is None
        # Each template's prompts, per field, apart from what it pre-fills.
        assert row["hints"]["summary"] and row["hints"]["rootCause"]
        assert not set(row["hints"]) & set(templates.PREFILLED)
    assert rows["database-outage"]["hints"]["whatHappened"]["whatBroke"] == (
        "Which instances, replicas or pools failed, and in what order."
    )


def test_a_viewer_may_read_templates_but_nobody_anonymous(carol, api_for):
    assert api_for(carol).get("/api/templates").status_code == 200
    assert api_for(carol).get("/api/templates/short").status_code == 200
    assert api_for(None).get("/api/templates").status_code == 401


def test_one_template_comes_with_its_body(alice, api_for):
    response = api_for(alice).get("/api/templates/database-outage")
    assert response.status_code == 200
    template = response.json()
    assert template["slug"] == "database-outage"
    assert template["builtin"] is True
    assert template["body"]["timeline"][0]["kind"] == "TRIGGER"
    assert set(template["body"]) == {"tags", "timeline", "actionItems"}
    assert "monitoring" in template["hints"]["whatHappened"]


def test_an_unknown_template_slug_is_not_found(alice, api_for):
    response = api_for(alice).get("/api/templates/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("slug", BUILTIN)
def test_each_builtin_template_prefills_a_new_postmortem(alice, incident, api_for, slug):
    template = templates.find_template(slug)
    source = template["body"]
    response = _create(api_for(alice), slug)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["title"] == f"From {slug}"
    # Every event and item of the template arrives, in the template's order, unconfirmed.
    assert [e["description"] for e in created["timeline"]] == [
        e["description"] for e in source["timeline"]
    ]
    assert [i["description"] for i in created["actionItems"]] == [
        i["description"] for i in source["actionItems"]
    ]
    assert all(e["unconfirmed"] is True for e in created["timeline"])
    assert all(i["unconfirmed"] is True for i in created["actionItems"])
    assert created["tags"] == source.get("tags", [])
    # Its prompts are not the report's text: every text field starts empty.
    assert created["summary"] == ""
    assert created["impact"] is None and created["rootCause"] is None
    for name in SECTION_NAMES:
        assert created[api_name(name)] in (None, []), f"{slug} wrote {api_name(name)}"
    stored = PostMortem.objects.get(pk=created["id"])
    assert len(stored.timeline) == len(source["timeline"])
    assert all(e.unconfirmed for e in stored.timeline)
    assert all(i.unconfirmed for i in stored.action_items.all())
    assert stored.summary == "" and stored.sections == {}
    # The prompts stay with the report, for the editor to show beside each field.
    assert stored.template_hints == template["hints"]


@pytest.mark.parametrize("slug", BUILTIN)
def test_each_builtin_template_gives_kinds_placeholder_times_and_planned_actions(slug):
    body = templates.find_template(slug)["body"]
    assert len(body["timeline"]) >= 3
    for event in body["timeline"]:
        assert event["kind"]
        # Placeholders: valid (the report saves) yet obviously not a real time.
        assert event["time"] == "00:00"
        assert "replace 00:00" in event["notes"]
    kinds = {event["kind"] for event in body["timeline"]}
    assert {"TRIGGER", "DETECTION", "RESOLUTION"} <= kinds
    assert len(body["actionItems"]) >= 3
    for item in body["actionItems"]:
        assert item["horizon"] in ("IMMEDIATE", "SHORT_TERM", "LONG_TERM")
        assert item["category"]
        assert item["priority"] in ("HIGH", "MEDIUM", "LOW")
        assert item.get("why")
        assert "owner" not in item and "dueDate" not in item


def test_the_detailed_template_guides_every_section():
    hints = templates.find_template("detailed")["hints"]
    for name in SECTION_NAMES:
        assert hints.get(api_name(name)), f"detailed gives no hint for {api_name(name)}"
    assert len(hints["fiveWhys"]["whys"]) == 5


@pytest.mark.parametrize("slug", BUILTIN)
def test_each_catalog_file_holds_valid_hints_and_a_body_that_prefills_only_lists(slug):
    template = templates.find_template(slug)
    assert templates.validate_hints(template["hints"])
    assert templates.validate_body(template["body"])
    assert set(template["body"]) <= set(templates.PREFILLED)


def test_the_short_template_follows_the_short_form():
    template = templates.find_template("short")
    hints, body = template["hints"], template["body"]
    assert "Issue summary" in hints["summary"]
    assert "Root cause" in hints["rootCause"]
    assert hints["resolution"]["howFixed"]
    descriptions = " ".join(i["description"] for i in body["actionItems"])
    assert "Corrective" in descriptions and "Preventative" in descriptions


@pytest.mark.parametrize(
    ("slug", "words"),
    [
        ("database-outage", ["monitoring", "scal", "backup"]),
        ("api-downtime", ["deploy", "load", "configuration"]),
        (
            "security-incident",
            ["discover", "exploitation", "contain", "audit", "compliance"],
        ),
        ("deployment-failure", ["rollout", "rollback", "testing gaps", "CI/CD"]),
        ("third-party-failure", ["vendor", "fallback", "circuit breaker", "alternative provider"]),
    ],
)
def test_each_template_covers_its_subjects(slug, words):
    text = yaml.safe_dump(templates.find_template(slug)).lower()
    for word in words:
        assert word.lower() in text, f"{slug} says nothing of {word}"


@pytest.mark.parametrize("slug", BUILTIN)
def test_templates_speak_of_systems_and_processes_not_people(slug):
    text = yaml.safe_dump(templates.find_template(slug)).lower()
    for phrase in (
        r"human error",
        r"\bblame",
        r"careless",
        r"negligen",
        r"should have",
        r"\bfault",
    ):
        assert not re.search(phrase, text), f"{slug} says {phrase!r}"
    assert re.search(r"not (a )?(person|people|who)", text) or slug not in ("short", "detailed")


# Choosing a template on create -----------------------------------------------------------


def test_fields_given_in_the_body_win_over_the_template(alice, incident, api_for):
    mine = [{"time": "14:35", "description": "Pool at 100%", "kind": "DETECTION"}]
    response = _create(
        api_for(alice),
        "database-outage",
        summary="Our own summary.",
        timeline=mine,
        whatHappened={"whatBroke": "The primary's connection pool."},
        tags=["checkout"],
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["summary"] == "Our own summary."
    assert [e["description"] for e in created["timeline"]] == ["Pool at 100%"]
    assert created["tags"] == ["checkout"]
    # The template's prompts for the parts not given stay hints, not text.
    assert created["whatHappened"]["whatBroke"] == "The primary's connection pool."
    assert not created["whatHappened"].get("monitoring")
    # What the body gives is the author's own: confirmed.
    assert created["timeline"][0]["unconfirmed"] is False
    # What the body left out still comes from the template, unconfirmed.
    assert len(created["actionItems"]) == 5
    assert all(i["unconfirmed"] for i in created["actionItems"])
    stored = PostMortem.objects.get(pk=created["id"])
    assert stored.summary == "Our own summary."
    assert stored.timeline[0].time == "14:35"
    assert stored.timeline[0].unconfirmed is False


def test_an_unknown_template_is_refused_naming_it(alice, incident, api_for):
    response = _create(api_for(alice), "datbase-outage")
    assert response.status_code == 422
    body = response.json()
    assert "datbase-outage" in body["message"]
    assert "database-outage" in body["message"]  # the choices are named
    assert body["fields"]["template"] == "unknown template datbase-outage"
    assert PostMortem.objects.count() == 0


# The team's own templates ---------------------------------------------------------------

TEAM = {
    "slug": "queue-backlog",
    "name": "Queue backlog",
    "description": "Workers fell behind the queue.",
    "hints": {"summary": "Which queue, how far behind, and for how long."},
    "body": {
        "tags": ["queues"],
        "timeline": [{"time": "00:00", "kind": "DETECTION", "description": "Backlog alert fired"}],
        "actionItems": [
            {
                "description": "Autoscale workers on queue depth",
                "horizon": "SHORT_TERM",
                "category": "ARCHITECTURE",
                "priority": "HIGH",
            }
        ],
    },
}


@pytest.fixture
def team_template(alice, api_for):
    response = api_for(alice).post("/api/templates", TEAM)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_member_adds_a_template_that_is_stored_and_listed(alice, api_for, team_template):
    assert team_template["builtin"] is False
    assert team_template["createdBy"] == "alice"
    assert team_template["body"]["actionItems"][0]["horizon"] == "SHORT_TERM"
    assert team_template["hints"] == TEAM["hints"]
    row = Template.objects.get(slug="queue-backlog")
    assert row.created_by == alice
    assert row.hints["summary"] == TEAM["hints"]["summary"]
    assert "summary" not in row.body
    listed = {t["slug"]: t for t in api_for(alice).get("/api/templates").json()}
    assert listed["queue-backlog"]["builtin"] is False
    assert listed["queue-backlog"]["name"] == "Queue backlog"
    assert listed["queue-backlog"]["hints"] == TEAM["hints"]


def test_a_team_template_prefills_like_a_builtin_one(bob, incident, api_for, team_template):
    response = _create(api_for(bob), "queue-backlog", summary="Given.")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["summary"] == "Given."
    assert created["tags"] == ["queues"]
    assert created["timeline"][0]["description"] == "Backlog alert fired"
    assert created["timeline"][0]["unconfirmed"] is True
    assert created["actionItems"][0]["category"] == "ARCHITECTURE"
    assert created["actionItems"][0]["unconfirmed"] is True
    assert PostMortem.objects.get(pk=created["id"]).template_hints == TEAM["hints"]


def test_a_team_template_without_a_summary_leaves_the_summary_empty(
    bob, incident, api_for, team_template
):
    created = _create(api_for(bob), "queue-backlog").json()
    assert created["summary"] == ""


@pytest.mark.parametrize("field", ["summary", "whatHappened", "fiveWhys", "customSections"])
def test_a_body_holding_prompts_is_refused_pointing_to_hints(alice, api_for, field):
    prompt = templates.find_template("detailed")["hints"][field]
    response = api_for(alice).post("/api/templates", {**TEAM, "body": {field: prompt}})
    assert response.status_code == 422, response.content
    error = response.json()
    assert error["fields"] == {f"body.{field}": "a prompt: send it in hints"}
    assert "hints" in error["message"]
    assert not Template.objects.exists()


@pytest.mark.parametrize("field", ["timeline", "actionItems", "tags"])
def test_hints_holding_what_a_template_prefills_are_refused(alice, api_for, field):
    hints = {field: TEAM["body"][field]}
    response = api_for(alice).post("/api/templates", {**TEAM, "hints": hints})
    assert response.status_code == 422, response.content
    assert response.json()["fields"] == {f"hints.{field}": "pre-filled: send it in body"}
    assert not Template.objects.exists()


def test_hints_are_validated_like_a_body(alice, api_for):
    response = api_for(alice).post("/api/templates", {**TEAM, "hints": {"noSuchField": "x"}})
    assert response.status_code == 422
    assert "hints.noSuchField" in response.json()["fields"]


def test_the_migration_turns_a_stored_body_s_prompts_into_hints(alice):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("hindsight.postmortems.migrations.0012_template_unconfirmed")
    row = Template.objects.create(
        slug="old",
        name="Old",
        created_by=alice,
        body={"summary": "A prompt.", "tags": ["x"], "timeline": TEAM["body"]["timeline"]},
    )
    migration.body_prompts_to_hints(apps, None)
    row.refresh_from_db()
    assert row.hints == {"summary": "A prompt."}
    assert row.body == {"tags": ["x"], "timeline": TEAM["body"]["timeline"]}


def test_a_viewer_cannot_add_templates(carol, api_for):
    response = api_for(carol).post("/api/templates", TEAM)
    assert response.status_code == 403
    assert not Template.objects.exists()


def test_a_builtin_slug_cannot_be_taken(alice, api_for):
    response = api_for(alice).post("/api/templates", {**TEAM, "slug": "database-outage"})
    assert response.status_code == 409
    assert response.json()["fields"]["slug"] == "taken by a built-in template"
    assert not Template.objects.exists()


def test_a_slug_is_taken_once(bob, api_for, team_template):
    response = api_for(bob).post("/api/templates", {**TEAM, "name": "Another"})
    assert response.status_code == 409
    assert Template.objects.get(slug="queue-backlog").name == "Queue backlog"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "Not A Slug"}, "slug"),
        ({"body": {"timeline": [{"time": "soon", "description": "x"}]}}, "body.timeline.0.time"),
        ({"body": {"actionItems": [{"description": "x", "horizon": "NEVER"}]}}, None),
        ({"body": {"noSuchField": 1}}, "body.noSuchField"),
        ({"body": {"timeline": [{"id": "evt_1", "time": "00:00", "description": "x"}]}}, None),
    ],
)
def test_a_template_body_is_validated_like_a_catalog_file(alice, api_for, change, field):
    response = api_for(alice).post("/api/templates", {**TEAM, **change})
    assert response.status_code == 422, response.content
    if field:
        assert field in response.json()["fields"]
    assert not Template.objects.exists()


def test_its_creator_and_admins_may_change_it_others_may_not(
    alice, bob, admin, api_for, team_template
):
    refused = api_for(bob).patch("/api/templates/queue-backlog", {"name": "Bob's"})
    assert refused.status_code == 403
    changed = api_for(alice).patch(
        "/api/templates/queue-backlog",
        {"name": "Queue backlog (v2)", "hints": {"summary": "New guidance."}},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["hints"] == {"summary": "New guidance."}
    by_admin = api_for(admin).patch("/api/templates/queue-backlog", {"description": "Admin."})
    assert by_admin.status_code == 200
    row = Template.objects.get(slug="queue-backlog")
    assert (row.name, row.description, row.hints, row.body) == (
        "Queue backlog (v2)",
        "Admin.",
        {"summary": "New guidance."},
        TEAM["body"],
    )


def test_a_patch_with_an_invalid_body_changes_nothing(alice, api_for, team_template):
    response = api_for(alice).patch(
        "/api/templates/queue-backlog", {"body": {"timeline": [{"time": "later"}]}}
    )
    assert response.status_code == 422
    assert Template.objects.get(slug="queue-backlog").body == TEAM["body"]


def test_its_creator_may_delete_it_others_may_not(alice, bob, carol, api_for, team_template):
    assert api_for(bob).delete("/api/templates/queue-backlog").status_code == 403
    assert api_for(carol).delete("/api/templates/queue-backlog").status_code == 403
    assert Template.objects.filter(slug="queue-backlog").exists()
    assert api_for(alice).delete("/api/templates/queue-backlog").status_code == 204
    assert not Template.objects.filter(slug="queue-backlog").exists()
    assert api_for(alice).get("/api/templates/queue-backlog").status_code == 404


def test_an_admin_may_delete_any_team_template(admin, api_for, team_template):
    assert api_for(admin).delete("/api/templates/queue-backlog").status_code == 204
    assert not Template.objects.exists()


def test_builtin_templates_cannot_be_changed_or_deleted(admin, api_for):
    assert api_for(admin).patch("/api/templates/short", {"name": "Mine"}).status_code == 409
    assert api_for(admin).delete("/api/templates/short").status_code == 409
    assert api_for(admin).get("/api/templates/short").json()["name"] == "Short"


def test_changing_an_unknown_team_template_is_not_found(alice, api_for):
    assert api_for(alice).patch("/api/templates/nope", {"name": "x"}).status_code == 404
    assert api_for(alice).delete("/api/templates/nope").status_code == 404
