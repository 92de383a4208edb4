"""What a template suggests (timeline events, action items) is stored unconfirmed until
someone edits or confirms it, and a report holding any cannot be published unless the
author confirms them all."""

import pytest
from django.test import override_settings

from hindsight.postmortems.models import ActionItem, PostMortem, TimelineEvent


def url(pm, tail=""):
    return f"/api/postmortems/{pm['id']}{tail}"


@pytest.fixture
def suggested(alice, incident, api_for):
    """A draft alice made from the short template: 4 events and 3 items, all unconfirmed."""
    body = {"incidentId": incident.id, "title": "From short", "template": "short"}
    response = api_for(alice).post("/api/postmortems", body)
    assert response.status_code == 201, response.content
    return response.json()


def _in_review(api, pm):
    response = api.patch(url(pm), {"status": "IN_REVIEW"})
    assert response.status_code == 200, response.content
    return response.json()


def _unconfirmed():
    return (
        list(TimelineEvent.objects.filter(unconfirmed=True).values_list("id", flat=True)),
        list(ActionItem.objects.filter(unconfirmed=True).values_list("id", flat=True)),
    )


def test_a_report_written_without_a_template_holds_nothing_unconfirmed(postmortem):
    assert all(e["unconfirmed"] is False for e in postmortem["timeline"])
    assert all(i["unconfirmed"] is False for i in postmortem["actionItems"])


def test_sending_back_what_get_returned_confirms_nothing(alice, api_for, suggested):
    api = api_for(alice)
    read = api.get(url(suggested)).json()
    response = api.patch(url(suggested), read)
    assert response.status_code == 200, response.content
    assert response.json()["version"] == suggested["version"]  # nothing changed
    events, items = _unconfirmed()
    assert len(events) == 4 and len(items) == 3


def test_editing_an_event_confirms_that_event_only(alice, api_for, suggested):
    timeline = suggested["timeline"]
    edited = [dict(timeline[0], time="14:02"), *timeline[1:]]
    response = api_for(alice).patch(url(suggested), {"timeline": edited})
    assert response.status_code == 200, response.content
    after = {e["id"]: e for e in response.json()["timeline"]}
    assert after[timeline[0]["id"]]["unconfirmed"] is False
    assert [after[e["id"]]["unconfirmed"] for e in timeline[1:]] == [True, True, True]
    assert TimelineEvent.objects.get(pk=timeline[0]["id"]).unconfirmed is False
    assert TimelineEvent.objects.filter(unconfirmed=True).count() == 3


def test_an_entry_is_confirmed_by_sending_unconfirmed_false(alice, api_for, suggested):
    event, item = suggested["timeline"][1], suggested["actionItems"][0]
    timeline = [
        dict(e, unconfirmed=False) if e["id"] == event["id"] else e for e in suggested["timeline"]
    ]
    response = api_for(alice).patch(url(suggested), {"timeline": timeline})
    assert response.status_code == 200, response.content
    assert TimelineEvent.objects.get(pk=event["id"]).unconfirmed is False
    confirmed = api_for(alice).patch(f"/api/action-items/{item['id']}", {"unconfirmed": False})
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["unconfirmed"] is False
    stored = ActionItem.objects.get(pk=item["id"])
    assert stored.unconfirmed is False and stored.description == item["description"]


def test_changing_an_item_through_its_own_endpoint_confirms_it(alice, api_for, suggested):
    item = suggested["actionItems"][1]
    response = api_for(alice).patch(
        f"/api/action-items/{item['id']}", {"owner": "ops@example.com", "dueDate": "2026-04-01"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["unconfirmed"] is False
    assert ActionItem.objects.get(pk=item["id"]).unconfirmed is False


def test_a_confirmed_entry_stays_confirmed_when_an_old_copy_is_sent_back(alice, api_for, suggested):
    api = api_for(alice)
    stale = api.get(url(suggested)).json()["timeline"]
    assert api.patch(url(suggested), {"confirmTemplateContent": True}).status_code == 200
    response = api.patch(url(suggested), {"timeline": stale})
    assert response.status_code == 200, response.content
    assert all(e["unconfirmed"] is False for e in response.json()["timeline"])
    assert not TimelineEvent.objects.filter(unconfirmed=True).exists()


def test_a_new_entry_may_be_sent_unconfirmed_and_without_it_is_confirmed(
    alice, api_for, postmortem
):
    timeline = [
        *postmortem["timeline"],
        {"time": "15:00", "description": "Suggested", "unconfirmed": True},
        {"time": "15:01", "description": "Written", "unconfirmed": None},
    ]
    response = api_for(alice).patch(url(postmortem), {"timeline": timeline})
    assert response.status_code == 200, response.content
    added = {e["description"]: e["unconfirmed"] for e in response.json()["timeline"]}
    assert (added["Suggested"], added["Written"]) == (True, False)


def test_only_those_who_may_edit_the_report_confirm_its_suggestions(carol, bob, api_for, suggested):
    item = suggested["actionItems"][0]
    assert api_for(bob).patch(url(suggested), {"confirmTemplateContent": True}).status_code == 404
    assert (
        api_for(bob).patch(f"/api/action-items/{item['id']}", {"unconfirmed": False}).status_code
        == 404
    )
    assert (
        api_for(carol).patch(f"/api/action-items/{item['id']}", {"unconfirmed": False}).status_code
        == 404
    )
    assert ActionItem.objects.get(pk=item["id"]).unconfirmed is True


def test_publishing_with_unconfirmed_suggestions_is_refused_listing_them(alice, api_for, suggested):
    api = api_for(alice)
    _in_review(api, suggested)
    refused = api.patch(url(suggested), {"status": "PUBLISHED"})
    assert refused.status_code == 409
    error = refused.json()
    assert error["error"] == "conflict"
    assert error["fields"] == {"status": "7 unconfirmed template suggestion(s)"}
    left = error["unconfirmed"]
    assert [e["id"] for e in left["timeline"]] == [e["id"] for e in suggested["timeline"]]
    assert [i["id"] for i in left["actionItems"]] == [i["id"] for i in suggested["actionItems"]]
    assert left["timeline"][0] == {
        "id": suggested["timeline"][0]["id"],
        "time": "00:00",
        "description": "The change or event that started the incident",
    }
    # Readable: the message names each one, and says how to go on.
    assert "Timeline event 00:00 The change or event that started the incident" in error["message"]
    assert "Action item Corrective: remove the root cause described above" in error["message"]
    assert "confirmTemplateContent" in error["message"]
    assert "PUBLISHED" not in error["allowed"]
    stored = PostMortem.objects.get(pk=suggested["id"])
    assert stored.status == "IN_REVIEW" and stored.published_at is None


def test_publishing_waits_only_for_what_is_left(alice, api_for, suggested):
    api = api_for(alice)
    _in_review(api, suggested)
    items = suggested["actionItems"]
    # Confirm two events by editing, drop the others, confirm two items, delete the third.
    timeline = [dict(e, time=f"14:0{n}") for n, e in enumerate(suggested["timeline"][:2])]
    assert api.patch(url(suggested), {"timeline": timeline}).status_code == 200
    for item in items[:2]:
        api.patch(f"/api/action-items/{item['id']}", {"unconfirmed": False})
    refused = api.patch(url(suggested), {"status": "PUBLISHED"})
    assert refused.status_code == 409
    assert refused.json()["unconfirmed"] == {
        "timeline": [],
        "actionItems": [{"id": items[2]["id"], "description": items[2]["description"]}],
    }
    assert api.patch(url(suggested), {"actionItems": items[:2]}).status_code == 200
    published = api.patch(url(suggested), {"status": "PUBLISHED"})
    assert published.status_code == 200, published.content
    assert PostMortem.objects.get(pk=suggested["id"]).status == "PUBLISHED"


def test_confirm_template_content_confirms_them_all_and_publishes(alice, api_for, suggested):
    api = api_for(alice)
    _in_review(api, suggested)
    response = api.patch(url(suggested), {"status": "PUBLISHED", "confirmTemplateContent": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "PUBLISHED"
    assert all(e["unconfirmed"] is False for e in body["timeline"])
    assert all(i["unconfirmed"] is False for i in body["actionItems"])
    assert _unconfirmed() == ([], [])
    assert PostMortem.objects.get(pk=suggested["id"]).status == "PUBLISHED"
    assert api.get(url(suggested)).json()["actionItems"][0]["unconfirmed"] is False


def test_confirm_template_content_alone_confirms_without_moving(alice, api_for, suggested):
    response = api_for(alice).patch(url(suggested), {"confirmTemplateContent": True})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "DRAFT"
    assert _unconfirmed() == ([], [])


def test_confirm_template_content_false_confirms_nothing(alice, api_for, suggested):
    api = api_for(alice)
    _in_review(api, suggested)
    refused = api.patch(url(suggested), {"status": "PUBLISHED", "confirmTemplateContent": False})
    assert refused.status_code == 409
    assert len(_unconfirmed()[1]) == 3


@override_settings(REQUIRED_APPROVALS=1)
def test_confirming_on_publish_keeps_the_approval_of_the_text(alice, make_user, api_for, suggested):
    api = api_for(alice)
    _in_review(api, suggested)
    dana = make_user("dana")
    approved = api_for(dana).post(url(suggested, "/reviews"), {"decision": "APPROVED"})
    assert approved.status_code == 201, approved.content
    response = api.patch(url(suggested), {"status": "PUBLISHED", "confirmTemplateContent": True})
    assert response.status_code == 200, response.content
    assert PostMortem.objects.get(pk=suggested["id"]).status == "PUBLISHED"


def test_the_history_records_each_confirmation(alice, api_for, suggested):
    item = suggested["actionItems"][0]
    api_for(alice).patch(f"/api/action-items/{item['id']}", {"unconfirmed": False})
    history = api_for(alice).get(url(suggested, "/history")).json()["items"]
    change = history[-1]["changes"]["actionItems"]
    assert change["old"][0]["unconfirmed"] is True
    assert change["new"][0]["unconfirmed"] is False


def test_the_migration_marks_the_placeholder_events_of_unpublished_reports(
    alice, api_for, suggested
):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("hindsight.postmortems.migrations.0012_template_unconfirmed")
    TimelineEvent.objects.update(unconfirmed=False)  # as stored before the column existed
    mine = TimelineEvent.objects.create(
        id="evt_mine", postmortem_id=suggested["id"], time="00:00", description="Midnight"
    )
    migration.placeholder_events_unconfirmed(apps, None)
    assert TimelineEvent.objects.filter(unconfirmed=True).count() == 4
    mine.refresh_from_db()
    assert mine.unconfirmed is False  # a real midnight event, without the template's note


def test_the_openapi_documents_the_flag_the_confirmation_and_the_409(alice, api_for):
    schema = api_for(alice).get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    for name in ("TimelineEventOut", "ActionItemOut", "TimelineEventIn", "ActionItemPatch"):
        assert "unconfirmed" in components[name]["properties"], name
    assert "confirmTemplateContent" in components["PostMortemPatch"]["properties"]
    assert "unconfirmed" in components["Error"]["properties"]
    assert "hints" in components["TemplateSummary"]["properties"]
    assert "hints" in components["TemplateCreate"]["properties"]
    patch = schema["paths"]["/api/postmortems/{postmortem_id}"]["patch"]
    assert "unconfirmed template suggestions" in patch["responses"]["409"]["description"]
