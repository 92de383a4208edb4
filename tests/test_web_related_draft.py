"""The editor's related panel: POST /postmortems/<id>/related scores the title and root cause
as they are typed, before anything is saved, and saves nothing itself."""

import pytest
from django.test import Client

from hindsight.incidents.services import create_incident
from hindsight.lib.times import parse_timestamp
from hindsight.postmortems.models import PostMortem


def _report(api, by, incident_id, service, title, root_cause):
    create_incident(
        {
            "id": incident_id,
            "title": title,
            "services": [service],
            "started_at": parse_timestamp("2026-03-01T14:30:00Z"),
        },
        by=by,
    )
    body = {"incidentId": incident_id, "title": title, "rootCause": root_cause}
    response = api.post("/api/postmortems", body)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def reports(alice, api_for):
    api = api_for(alice)
    return {
        "draft": _report(api, alice, "inc_draft", "billing", "Invoices late", "Not known yet."),
        "pool": _report(
            api,
            alice,
            "inc_pool",
            "checkout",
            "Checkout connection pool exhausted",
            "The database connection pool was exhausted by peak traffic.",
        ),
        "cert": _report(
            api,
            alice,
            "inc_cert",
            "login",
            "Login certificate expired",
            "The identity provider's TLS certificate expired; renewal was manual.",
        ),
    }


def _panel(user, pm_id, **typed):
    client = Client()
    client.force_login(user)
    return client.post(f"/postmortems/{pm_id}/related", typed, headers={"HX-Request": "true"})


def _titles(response) -> str:
    assert response.status_code == 200, response.content
    return response.content.decode()


def test_the_panel_follows_the_root_cause_as_typed(reports, alice):
    draft = reports["draft"]["id"]
    about_pools = _titles(
        _panel(alice, draft, title="Invoices late", root_cause="The connection pool was exhausted.")
    )
    assert "Checkout connection pool exhausted" in about_pools
    assert "Login certificate expired" not in about_pools
    assert "Updated as you write" in about_pools

    about_certificates = _titles(
        _panel(alice, draft, title="Invoices late", root_cause="An expired TLS certificate.")
    )
    assert "Login certificate expired" in about_certificates
    assert "Checkout connection pool exhausted" not in about_certificates


def test_what_is_typed_is_not_saved(reports, alice):
    draft = reports["draft"]
    _panel(alice, draft["id"], title="Something else", root_cause="The connection pool.")
    stored = PostMortem.objects.get(pk=draft["id"])
    assert (stored.title, stored.root_cause, stored.version) == (
        "Invoices late",
        "Not known yet.",
        draft["version"],
    )


def test_nothing_typed_yet_says_so(reports, alice):
    empty = _titles(_panel(alice, reports["draft"]["id"], title="Invoices late", root_cause=""))
    assert "No related post-mortem found for the title and root cause as written so far" in empty


def test_someone_else_cannot_score_text_against_a_draft_they_cannot_read(reports, bob):
    response = _panel(bob, reports["draft"]["id"], title="x", root_cause="connection pool")
    assert response.status_code == 404


def test_the_editor_asks_for_the_panel_as_the_title_and_root_cause_change(reports, alice):
    client = Client()
    client.force_login(alice)
    page = client.get(f"/postmortems/{reports['draft']['id']}/edit").content.decode()
    assert f'hx-post="/postmortems/{reports["draft"]["id"]}/related"' in page
    assert "from:#id_root_cause" in page and 'hx-include="#id_title, #id_root_cause"' in page


def test_other_methods_are_refused(reports, alice):
    client = Client()
    client.force_login(alice)
    response = client.put(f"/postmortems/{reports['draft']['id']}/related")
    assert response.status_code == 405
