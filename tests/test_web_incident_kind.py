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
