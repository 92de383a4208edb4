"""Exports never present a template's unconfirmed suggestions as fact: each format marks
them, and a Markdown export imports back with them still unconfirmed."""

import csv
import io
import json

import pytest

from hindsight.postmortems import export
from hindsight.postmortems.markdown import importer
from hindsight.postmortems.models import PostMortem

MARK = "(Unconfirmed template suggestion)"


@pytest.fixture
def suggested(alice, incident, api_for):
    """A draft from the short template, its first event confirmed by an edit."""
    api = api_for(alice)
    body = {"incidentId": incident.id, "title": "From short", "template": "short"}
    created = api.post("/api/postmortems", body).json()
    timeline = [dict(created["timeline"][0], time="14:02"), *created["timeline"][1:]]
    response = api.patch(f"/api/postmortems/{created['id']}", {"timeline": timeline})
    assert response.status_code == 200, response.content
    return response.json()


def _export(api, pm, fmt):
    response = api.get(f"/api/postmortems/{pm['id']}/export", params={"format": fmt})
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_markdown_marks_each_unconfirmed_event_and_item_and_only_those(alice, api_for, suggested):
    text = _export(api_for(alice), suggested, "markdown")
    *rest, first = suggested["timeline"]  # 14:02 comes after the 00:00 suggestions
    assert first["unconfirmed"] is False
    # The edited (confirmed) event reads as written; the others are marked (the template's
    # notes make the timeline a table).
    assert f"| 14:02 | {first['description']} |" in text
    for event in rest:
        assert f"| 00:00 | {MARK} {event['description']} |" in text
    for item in suggested["actionItems"]:
        assert f"- [ ] {MARK} {item['description']} (" in text


def test_a_markdown_export_imports_back_still_unconfirmed(alice, incident, suggested):
    original = PostMortem.objects.get(pk=suggested["id"])
    text = export.to_markdown(original)
    imported = importer.import_markdown(text, by=alice, incident_id=incident.pk).postmortem
    assert [(e.description, e.unconfirmed) for e in imported.timeline] == [
        (e["description"], e["unconfirmed"]) for e in suggested["timeline"]
    ]
    assert [(i.description, i.unconfirmed) for i in imported.action_item_list] == [
        (i["description"], True) for i in suggested["actionItems"]
    ]
    assert export.to_markdown(imported) == text


def test_a_confirmed_report_exports_without_marks_or_flags(alice, api_for, suggested):
    api = api_for(alice)
    api.patch(f"/api/postmortems/{suggested['id']}", {"confirmTemplateContent": True})
    text = _export(api, suggested, "markdown")
    assert MARK not in text
    assert "unconfirmed" not in text
    assert "Unconfirmed template suggestion" not in _export(api, suggested, "html")


def test_html_labels_each_unconfirmed_event_and_item(alice, api_for, suggested):
    html = _export(api_for(alice), suggested, "html")
    label = '<strong class="unconfirmed">Unconfirmed template suggestion:</strong>'
    unconfirmed = sum(e["unconfirmed"] for e in suggested["timeline"]) + len(
        suggested["actionItems"]
    )
    assert html.count(label) == unconfirmed == 6


def test_json_and_csv_carry_the_flag(alice, api_for, suggested):
    api = api_for(alice)
    record = json.loads(_export(api, suggested, "json"))
    assert [e["unconfirmed"] for e in record["timeline"]] == [True, True, True, False]
    response = api.get("/api/action-items.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["unconfirmed"] for row in rows] == ["true", "true", "true"]
