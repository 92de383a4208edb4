"""A create works its report out (state, stored document, lint, revision, events) before
the write transaction, so SQLite's one writer holds the database for the INSERTs only. Its
incident may change in between: the report is then worked out again with the incident as
it is, and an incident change that comes after it waits for it and renders it with the
others about the incident (on SQLite behind the writers' lock, on PostgreSQL behind the
share lock the create's INSERT takes on the incident)."""

import threading
from contextlib import contextmanager

import pytest
from django.db import connection

from hindsight.incidents.services import create_incident, update_incident
from hindsight.lib import writers
from hindsight.lib.times import parse_timestamp
from hindsight.postmortems import document, search, services
from hindsight.postmortems.models import PostMortem, Revision
from tests.test_document import assert_current

MOVED_START = "2026-03-02T14:30:00Z"  # a day later than the fixture's incident


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's writers' lock")
def test_the_document_is_rendered_before_the_writers_lock_is_taken(
    alice, api_for, incident, seed_body, monkeypatch
):
    held_while_rendering = []
    render = document.columns

    def columns(postmortem, **kwargs):
        held_while_rendering.append(getattr(writers._held, "depth", 0))
        return render(postmortem, **kwargs)

    monkeypatch.setattr(document, "columns", columns)
    response = api_for(alice).post("/api/postmortems", seed_body)
    assert response.status_code == 201, response.content
    assert held_while_rendering == [0]


def test_an_incident_changed_before_the_write_is_the_one_the_report_is_stored_with(
    alice, api_for, incident, seed_body, monkeypatch
):
    real = services.write_transaction

    @contextmanager
    def incident_moves_first():
        update_incident(incident.pk, {"started_at": parse_timestamp(MOVED_START)}, by=alice)
        with real():
            yield

    monkeypatch.setattr(services, "write_transaction", incident_moves_first)
    api = api_for(alice)
    response = api.post("/api/postmortems", seed_body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["timeline"][0]["at"] == "2026-03-02T14:35:00Z"
    monkeypatch.undo()
    assert api.get(f"/api/postmortems/{created['id']}").json() == created
    assert_current(api, created["id"])
    stored = PostMortem.objects.get(pk=created["id"])
    assert stored.incident_started_at == parse_timestamp(MOVED_START)
    assert PostMortem.objects.count() == 1
    assert Revision.objects.filter(postmortem_id=created["id"]).count() == 1


def test_an_incident_that_keeps_changing_gets_a_409_and_nothing_is_saved(
    alice, api_for, incident, seed_body, monkeypatch
):
    monkeypatch.setattr(services, "_still_at_version", lambda incident: ("1 = %s", [0]))
    response = api_for(alice).post("/api/postmortems", seed_body)
    assert response.status_code == 409, response.content
    assert "kept changing" in response.json()["message"]
    assert not PostMortem.objects.exists()
    assert not Revision.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_incident_change_waits_for_a_create_in_flight_and_renders_it(
    make_user, api_for, seed_body, monkeypatch
):
    alice = make_user("alice")
    incident = create_incident(
        {
            "id": "inc_123",
            "title": "Checkout database outage",
            "started_at": parse_timestamp("2026-03-01T14:30:00Z"),
        },
        by=alice,
    )
    inserted, go = threading.Event(), threading.Event()
    reindex = search.reindex

    def pausing_reindex(postmortem, **kwargs):
        # Only the create pauses: it has inserted its row and holds its transaction open.
        if threading.current_thread().name == "create":
            inserted.set()
            go.wait(10)
        return reindex(postmortem, **kwargs)

    monkeypatch.setattr(search, "reindex", pausing_reindex)
    created, errors = {}, []

    def create():
        try:
            created["pm"] = services.create_postmortem(
                {
                    "incident_id": incident.pk,
                    "title": "Pool exhaustion",
                    "timeline": [{"time": "14:35", "description": "Alert"}],
                },
                by=alice,
            )
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    def change():
        try:
            update_incident(incident.pk, {"started_at": parse_timestamp(MOVED_START)}, by=alice)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    creator = threading.Thread(target=create, name="create")
    changer = threading.Thread(target=change, name="change")
    creator.start()
    assert inserted.wait(10)
    changer.start()
    changer.join(0.5)
    assert changer.is_alive(), "the incident changed under a create that had not committed"
    go.set()
    creator.join(10)
    changer.join(10)
    assert not errors, errors
    pm_id = created["pm"].pk
    api = api_for(alice)
    body = assert_current(api, pm_id)
    assert body["timeline"][0]["at"] == "2026-03-02T14:35:00Z"
