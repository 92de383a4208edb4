"""A NUL character (U+0000) is refused wherever a client can send one, before any view or
database sees it: PostgreSQL cannot store it in text (a 500 there) and SQLite cuts text at
it (a truncated CSV there). Alike on both databases."""

import json

import pytest
from django.test import Client

from hindsight.postmortems.models import ActionItem, PostMortem


@pytest.fixture
def api(api_for, alice):
    return api_for(alice)


def _refused(response, field):
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["error"] == "invalid"
    assert field in body["fields"], body
    return body


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/postmortems/%00", "path"),
        ("/api/postmortems/pm_%00x/export?format=markdown", "path"),
        ("/api/postmortems?incidentId=%00", "incidentId"),
        ("/api/postmortems?tag=a%00b", "tag"),
        ("/api/postmortems?q=%00", "q"),
        ("/api/action-items?owner=%00", "owner"),
        ("/api/action-items.csv?service=x%00", "service"),
        ("/api/incidents/%00", "path"),
    ],
)
def test_a_nul_in_an_api_path_or_parameter_is_a_422_naming_it(api, postmortem, path, field):
    _refused(api.get(path), field)


def test_a_nul_in_a_json_field_is_refused_and_nothing_is_written(api, incident, seed_body):
    before = PostMortem.objects.count()
    body = _refused(api.post("/api/postmortems", {**seed_body, "title": "a\u0000b"}), "title")
    assert "NUL" in body["message"]
    nested = {**seed_body, "actionItems": [{"description": "x\u0000", "owner": "alice"}]}
    _refused(api.post("/api/postmortems", nested), "actionItems[0].description")
    _refused(api.post("/api/postmortems", {**seed_body, "tags": ["ok", "\u0000"]}), "tags[1]")
    assert PostMortem.objects.count() == before


def test_a_nul_in_a_patch_or_an_item_change_is_refused(api, postmortem):
    pm_id = postmortem["id"]
    _refused(api.patch(f"/api/postmortems/{pm_id}", {"summary": "\u0000"}), "summary")
    item = ActionItem.objects.filter(postmortem_id=pm_id).first()
    _refused(api.patch(f"/api/action-items/{item.id}", {"owner": "bob\u0000"}), "owner")
    item.refresh_from_db()
    assert "\x00" not in item.owner
    assert "\x00" not in PostMortem.objects.get(pk=pm_id).summary


def test_an_escaped_backslash_before_u0000_is_ordinary_text(api, incident, seed_body):
    raw = json.dumps({**seed_body, "title": "a \\u0000 b"})  # the six characters \u0000
    response = api.post("/api/postmortems", raw=raw)
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "a \\u0000 b"


def test_a_raw_nul_in_an_imported_document_is_refused(api, incident):
    response = api.post(
        "/api/postmortems/import", raw="# Title\x00\n\nText", content_type="text/markdown"
    )
    _refused(response, "body")


def test_web_pages_and_forms_refuse_a_nul_with_a_400(alice, postmortem):
    client = Client()
    client.force_login(alice)
    assert client.get("/postmortems/%00").status_code == 400
    assert client.get("/postmortems?q=%00").status_code == 400
    item = ActionItem.objects.filter(postmortem_id=postmortem["id"]).first()
    response = client.post("/action-items/bulk", {"ids": ["x\x00"], "status": "DONE"})
    assert response.status_code == 400
    response = client.post(f"/action-items/{item.id}/status", {"status": "DONE\x00"})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.status != "DONE"
