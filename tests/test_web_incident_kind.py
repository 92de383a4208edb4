"""An incident's type (near miss) and impact categories in the web form and its read view."""

import pytest
from django.test import Client

from hindsight.incidents.models import Incident


@pytest.fixture
def signed_in(alice):
    client = Client()
    client.force_login(alice)
    return client


def test_the_form_sets_type_and_impact_and_the_page_shows_them(signed_in, incident):
    page = signed_in.get(f"/incidents/{incident.pk}/edit").content.decode()
    assert 'name="impact_categories" value="INCREASED_LATENCY"' in page
    response = signed_in.post(
        f"/incidents/{incident.pk}/edit",
        {
            "version": incident.version,
            "title": incident.title,
            "severity": "SEV2",
            "services": "checkout",
            "type": "NEAR_MISS",
            "impact_categories": ["INCREASED_LATENCY", "DEGRADED_PERFORMANCE"],
            "started_at": "2026-03-01 14:30",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.type == "NEAR_MISS"
    assert saved.impact_categories == ["INCREASED_LATENCY", "DEGRADED_PERFORMANCE"]
    view = signed_in.get(f"/incidents/{incident.pk}").content.decode()
    assert "Near miss" in view and "Increased latency, Degraded performance" in view


def test_leaving_the_type_out_keeps_an_incident(signed_in, incident):
    signed_in.post(
        f"/incidents/{incident.pk}/edit",
        {"version": incident.version, "title": "Renamed", "started_at": "2026-03-01 14:30"},
    )
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.title == "Renamed" and saved.type == "INCIDENT" and saved.impact_categories == []


def _form_post(page: str) -> dict:
    """The incident form's inputs as the browser would send them unchanged."""
    import html
    import re

    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input [^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag or name.group(1) == "csrfmiddlewaretoken":
            continue
        if 'type="checkbox"' in tag and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data.setdefault(name.group(1), []).append(html.unescape(value.group(1)) if value else "")
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = [html.unescape(body.lstrip("\n"))]
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', options)
        data[name] = chosen[:1] or [""]
    return data


def test_the_form_writes_only_what_the_person_changed(signed_in, incident, alice, api_for):
    page = signed_in.get(f"/incidents/{incident.pk}/edit").content.decode()
    assert 'name="was-title"' in page
    # Meanwhile someone else changes the severity through the API.
    changed = api_for(alice).patch(f"/api/incidents/{incident.pk}", {"severity": "SEV1"})
    assert changed.status_code == 200, changed.content
    data = _form_post(page)
    data["title"] = ["Checkout outage, renamed"]
    response = signed_in.post(f"/incidents/{incident.pk}/edit", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.title == "Checkout outage, renamed"
    assert saved.severity == "SEV1"  # the other change is kept, not written back to SEV2


def test_saving_an_unchanged_form_writes_nothing(signed_in, incident):
    page = signed_in.get(f"/incidents/{incident.pk}/edit").content.decode()
    version = Incident.objects.get(pk=incident.pk).version
    response = signed_in.post(f"/incidents/{incident.pk}/edit", _form_post(page))
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).version == version
