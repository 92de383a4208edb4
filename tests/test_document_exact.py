"""A read sends the stored document as it is while what changes with time alone (overdue
flags, the due time) still stands as written; once a flag would turn, or the settings it
was computed under change, the read finishes the document afresh."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from hindsight.incidents.services import update_incident
from hindsight.postmortems import document
from hindsight.postmortems.models import PostMortem

pytestmark = pytest.mark.django_db


def _create(api, incident, **extra):
    body = {"incidentId": incident.id, "title": "Queue backlog", **extra}
    response = api.post("/api/postmortems", body)
    assert response.status_code == 201, response.content
    return response.json()


def _stored(postmortem_id: str) -> PostMortem:
    return PostMortem.objects.get(pk=postmortem_id)


def _later(monkeypatch, delta: timedelta):
    moment = timezone.now() + delta
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_a_read_inside_the_exact_window_sends_the_stored_text_unparsed(
    alice, api_for, incident, monkeypatch
):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    item = {"description": "Alert on backlog", "dueDate": tomorrow}
    created = _create(api_for(alice), incident, actionItems=[item])
    stored = _stored(created["id"])
    assert stored.document_exact_until is not None  # the item turns overdue after tomorrow

    def refuse(*args, **kwargs):
        raise AssertionError("an exact document is sent without parsing it")

    monkeypatch.setattr(document.json, "loads", refuse)
    got = api_for(alice).get(f"/api/postmortems/{created['id']}")
    assert got.status_code == 200
    assert got.content.decode() == stored.document
    assert got["ETag"] == f'"{created["version"]}"'


def test_an_item_turns_overdue_after_its_day_though_stored_before(
    alice, api_for, incident, monkeypatch
):
    today = timezone.localdate().isoformat()
    item = {"description": "Alert on backlog", "dueDate": today}
    created = _create(api_for(alice), incident, actionItems=[item])
    assert created["actionItems"][0]["overdue"] is False
    assert json.loads(_stored(created["id"]).document)["actionItems"][0]["overdue"] is False

    _later(monkeypatch, timedelta(days=1, hours=1))
    got = api_for(alice).get(f"/api/postmortems/{created['id']}").json()
    assert got["actionItems"][0]["overdue"] is True
    # The stored text is not rewritten by a read; the version stays.
    assert got["version"] == created["version"]


def test_once_a_flag_turns_the_etag_moves_so_a_cached_copy_is_not_confirmed(
    alice, api_for, incident, monkeypatch
):
    api = api_for(alice)
    today = timezone.localdate().isoformat()
    created = _create(api, incident, actionItems=[{"description": "Alert", "dueDate": today}])
    path = f"/api/postmortems/{created['id']}"
    first = api.get(path)
    assert first["ETag"] == f'"{created["version"]}"'

    _later(monkeypatch, timedelta(days=1, hours=1))
    later = api.get(path, headers={"If-None-Match": first["ETag"]})
    assert later.status_code == 200  # the copy that says "not overdue" is not confirmed
    assert later.json()["actionItems"][0]["overdue"] is True
    tag = later["ETag"]
    assert tag.startswith(f'"{created["version"]}-') and tag != first["ETag"]
    assert api.get(path, headers={"If-None-Match": tag}).status_code == 304
    # The new tag names the same version for a write: no edit came between.
    patched = api.patch(path, {"title": "Queue backlog, renamed"}, headers={"If-Match": tag})
    assert patched.status_code == 200, patched.content
    stale = api.patch(path, {"title": "Again"}, headers={"If-Match": tag})
    assert stale.status_code == 412


def test_a_done_or_already_overdue_item_never_ends_the_window(alice, api_for, incident):
    past = (timezone.localdate() - timedelta(days=3)).isoformat()
    items = [
        {"description": "Done long ago", "dueDate": past, "status": "DONE"},
        {"description": "Late already", "dueDate": past},
        {"description": "No date"},
    ]
    created = _create(api_for(alice), incident, actionItems=items)
    assert [i["overdue"] for i in created["actionItems"]] == [False, True, False]
    # The incident is unresolved, so the report has no due time either.
    assert _stored(created["id"]).document_exact_until is None


def test_the_report_turns_overdue_at_its_due_time(alice, api_for, incident, settings, monkeypatch):
    settings.POSTMORTEM_DUE_HOURS = 48
    resolved = timezone.now() - timedelta(hours=47)
    update_incident(incident.id, {"resolved_at": resolved}, by=alice)
    created = _create(api_for(alice), incident)
    assert created["overdue"] is False
    stored = _stored(created["id"])
    assert stored.document_exact_until == resolved + timedelta(hours=48)

    _later(monkeypatch, timedelta(hours=2))
    got = api_for(alice).get(f"/api/postmortems/{created['id']}").json()
    assert got["overdue"] is True
    assert got["dueAt"] == created["dueAt"]


def test_a_changed_due_window_is_applied_to_documents_stored_under_the_old_one(
    alice, api_for, incident, settings
):
    settings.POSTMORTEM_DUE_HOURS = 48
    resolved = timezone.now() - timedelta(hours=10)
    update_incident(incident.id, {"resolved_at": resolved}, by=alice)
    created = _create(api_for(alice), incident)
    assert created["overdue"] is False

    settings.POSTMORTEM_DUE_HOURS = 5
    got = api_for(alice).get(f"/api/postmortems/{created['id']}").json()
    assert got["overdue"] is True
    assert got["dueAt"] != created["dueAt"]
    assert json.loads(_stored(created["id"]).document)["overdue"] is False


def test_a_stored_text_matches_a_fresh_finish_of_it(alice, api_for, incident, seed_body):
    created = api_for(alice).post("/api/postmortems", seed_body).json()
    stored = _stored(created["id"])
    row = PostMortem.objects.filter(pk=created["id"]).values_list(*document.READ_COLUMNS).get()
    refinished = document.encode(document.body_from(row, created["id"]))
    assert refinished == stored.document
