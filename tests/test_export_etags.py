"""Each export's ETag changes whenever the file does, and If-None-Match answers 304 only
while it has not: HTML and PDF show the incident's title, severity, services and times,
which a change of the incident alters without a new version of the report, and JSON the
overdue flags, which time alone turns; Markdown shows the report's own fields alone, so its
tag is the version, as GET's is."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from hindsight.postmortems import export_formats

FORMATS = ["html", "pdf", "json", "markdown"]
SHOWS_THE_INCIDENT = ["html", "pdf"]
INCIDENT_CHANGES = [
    {"title": "Checkout outage, renamed"},
    {"severity": "SEV1"},
    {"services": ["checkout", "payments"]},
    {"mitigatedAt": "2026-03-01T15:00:00Z"},
]


def _export(api, pm_id, fmt, **headers):
    if fmt == "pdf":
        pytest.importorskip("weasyprint")
    return api.get(f"/api/postmortems/{pm_id}/export?format={fmt}", headers=headers)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unchanged_export_answers_304_to_its_etag(alice, api_for, postmortem, fmt):
    api = api_for(alice)
    first = _export(api, postmortem["id"], fmt)
    assert first.status_code == 200
    again = _export(api, postmortem["id"], fmt, **{"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert "Content-Disposition" not in again
    listed = _export(api, postmortem["id"], fmt, **{"If-None-Match": f'"0", {first["ETag"]}'})
    assert listed.status_code == 304


@pytest.mark.parametrize("change", INCIDENT_CHANGES, ids=lambda c: next(iter(c)))
@pytest.mark.parametrize("fmt", SHOWS_THE_INCIDENT)
def test_a_change_of_the_incident_gives_html_and_pdf_a_new_etag(
    alice, api_for, postmortem, fmt, change
):
    api = api_for(alice)
    pm_id = postmortem["id"]
    before = _export(api, pm_id, fmt)
    old_tag = before["ETag"]

    response = api.patch("/api/incidents/inc_123", change)
    assert response.status_code == 200, response.content
    # The report's own answer did not change: its version stays.
    assert api.get(f"/api/postmortems/{pm_id}").json()["version"] == postmortem["version"]

    after = _export(api, pm_id, fmt, **{"If-None-Match": old_tag})
    assert after.status_code == 200
    assert after["ETag"] != old_tag
    assert after["ETag"].startswith(f'"{postmortem["version"]}-')
    assert after.content != before.content
    if fmt == "html":
        field, value = next(iter(change.items()))
        shown = ", ".join(value) if isinstance(value, list) else value
        if field != "mitigatedAt":
            assert shown in after.content.decode()
    new = _export(api, pm_id, fmt, **{"If-None-Match": after["ETag"]})
    assert new.status_code == 304


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_json_and_markdown_show_no_incident_field_and_keep_their_tag(
    alice, api_for, postmortem, fmt
):
    api = api_for(alice)
    pm_id = postmortem["id"]
    before = _export(api, pm_id, fmt)
    assert before["ETag"].startswith(f'"{postmortem["version"]}')
    assert "Checkout database outage" not in before.content.decode()

    for change in INCIDENT_CHANGES:
        assert api.patch("/api/incidents/inc_123", change).status_code == 200
    after = _export(api, pm_id, fmt)
    assert after.content == before.content
    assert after["ETag"] == before["ETag"]
    assert _export(api, pm_id, fmt, **{"If-None-Match": before["ETag"]}).status_code == 304


def test_markdown_is_tagged_with_the_version_as_get_is(alice, api_for, postmortem):
    api = api_for(alice)
    tag = api.get(f"/api/postmortems/{postmortem['id']}")["ETag"]
    assert _export(api, postmortem["id"], "markdown")["ETag"] == tag == '"1"'


def test_the_json_export_gets_a_new_tag_when_an_item_falls_overdue(
    alice, api_for, postmortem, monkeypatch
):
    api = api_for(alice)
    pm_id = postmortem["id"]
    item = postmortem["actionItems"][0]["id"]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert api.patch(f"/api/action-items/{item}", {"dueDate": tomorrow}).status_code == 200
    before = _export(api, pm_id, "json")
    assert json.loads(before.content)["actionItems"][0]["overdue"] is False

    later = timezone.now() + timedelta(days=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    # Time alone moved: the report's version did not, the file did.
    after = _export(api, pm_id, "json", **{"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    body = json.loads(after.content)
    assert body["actionItems"][0]["overdue"] is True
    assert body["version"] == json.loads(before.content)["version"]
    assert after["ETag"] != before["ETag"]
    assert _export(api, pm_id, "json", **{"If-None-Match": after["ETag"]}).status_code == 304


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_change_of_the_report_gives_every_export_a_new_etag(alice, api_for, postmortem, fmt):
    api = api_for(alice)
    pm_id = postmortem["id"]
    old_tag = _export(api, pm_id, fmt)["ETag"]
    assert api.patch(f"/api/postmortems/{pm_id}", {"title": "Pool exhaustion"}).status_code == 200
    after = _export(api, pm_id, fmt, **{"If-None-Match": old_tag})
    assert after.status_code == 200
    assert after["ETag"] != old_tag
    assert after["ETag"].startswith(f'"{postmortem["version"] + 1}')


def test_each_format_has_its_own_tag_and_html_links_to_the_site_it_was_asked_at(
    alice, api_for, postmortem
):
    api = api_for(alice)
    pm_id = postmortem["id"]
    html = _export(api, pm_id, "html")["ETag"]
    assert html != _export(api, pm_id, "pdf")["ETag"]
    # Links in the file lead to the address it was asked at: another address, another file.
    elsewhere = _export(api, pm_id, "html", Host="127.0.0.1")
    assert b"http://127.0.0.1/postmortems/" in elsewhere.content
    assert elsewhere["ETag"] != html
    assert _export(
        api, pm_id, "html", **{"If-None-Match": html, "Host": "127.0.0.1"}
    ).status_code == (200)


def test_a_304_makes_no_pdf(alice, api_for, postmortem, monkeypatch):
    api = api_for(alice)
    tag = _export(api, postmortem["id"], "pdf")["ETag"]
    monkeypatch.setattr(export_formats, "to_pdf", lambda *a, **k: pytest.fail("rendered"))
    answer = _export(api, postmortem["id"], "pdf", **{"If-None-Match": tag})
    assert answer.status_code == 304


def test_a_malformed_if_none_match_on_an_export_is_a_400(alice, api_for, postmortem):
    response = _export(api_for(alice), postmortem["id"], "html", **{"If-None-Match": "1"})
    assert response.status_code == 400
    assert "If-None-Match" in response.json()["fields"]


def test_a_hidden_draft_stays_404_to_a_wildcard(make_user, api_for, postmortem):
    dave = api_for(make_user("dave"))
    for fmt in ("html", "json"):
        assert _export(dave, postmortem["id"], fmt, **{"If-None-Match": "*"}).status_code == 404
