"""The columns the insights read instead of computing per row stay true: the incident's
month and durations, the action item's months and time to done (all kept by the database),
and the report's copies of its incident's times (kept by the write path) with the month and
time to publish kept from them; and the migration fills the copies of reports written
before it."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.db import connection

from hindsight.incidents.models import Incident
from hindsight.postmortems.models import ActionItem, PostMortem

pytestmark = pytest.mark.django_db

# inc_123 (conftest) started 2026-03-01T14:30:00Z and is not resolved.
START = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)


def _incident(pk="inc_123") -> Incident:
    return Incident.objects.get(pk=pk)


def _report(pk) -> PostMortem:
    return PostMortem.objects.get(pk=pk)


def test_an_incident_keeps_its_month_and_durations(alice, api_for, incident):
    api = api_for(alice)
    row = _incident()
    assert row.started_month == 202603
    assert row.seconds_to_detect is None and row.seconds_to_resolve is None

    response = api.patch(
        "/api/incidents/inc_123",
        {"detectedAt": "2026-03-01T14:34:30Z", "resolvedAt": "2026-03-02T16:30:00Z"},
    )
    assert response.status_code == 200, response.content
    row = _incident()
    assert (row.seconds_to_detect, row.seconds_to_resolve) == (270, 26 * 3600)
    assert row.seconds_to_acknowledge is None

    # A new start moves the month and every duration with it.
    api.patch("/api/incidents/inc_123", {"startedAt": "2026-02-28T14:30:00Z"})
    row = _incident()
    assert row.started_month == 202602
    assert row.seconds_to_detect == 86400 + 270


def test_an_action_item_keeps_its_months_and_time_to_done(alice, api_for, postmortem):
    api = api_for(alice)
    item = postmortem["actionItems"][0]
    row = ActionItem.objects.get(pk=item["id"])
    assert row.created_month == int(row.created_at.strftime("%Y%m"))
    assert row.completed_month is None and row.seconds_to_done is None

    api.patch(f"/api/action-items/{item['id']}", {"status": "DONE"})
    row = ActionItem.objects.get(pk=item["id"])
    assert row.completed_month == int(row.completed_at.strftime("%Y%m"))
    expected = round((row.completed_at - row.created_at).total_seconds())
    assert row.seconds_to_done == expected

    api.patch(f"/api/action-items/{item['id']}", {"status": "TODO"})
    row = ActionItem.objects.get(pk=item["id"])
    assert row.completed_month is None and row.seconds_to_done is None


def test_a_report_copies_its_incidents_times_on_create_and_when_they_change(
    alice, api_for, postmortem
):
    api = api_for(alice)
    row = _report(postmortem["id"])
    assert (row.incident_started_at, row.incident_resolved_at) == (START, None)
    assert row.incident_month == 202603 and row.seconds_to_publish is None

    api.patch("/api/incidents/inc_123", {"resolvedAt": "2026-03-01T16:30:00Z"})
    row = _report(postmortem["id"])
    assert row.incident_resolved_at == datetime(2026, 3, 1, 16, 30, tzinfo=UTC)

    for status in ("IN_REVIEW", "PUBLISHED"):
        response = api.patch(f"/api/postmortems/{postmortem['id']}", {"status": status})
        assert response.status_code == 200, response.content
    row = _report(postmortem["id"])
    assert row.seconds_to_publish == round(
        (row.published_at - row.incident_resolved_at).total_seconds()
    )

    # Resolution moved an hour later: publication came an hour sooner after it.
    before = row.seconds_to_publish
    api.patch("/api/incidents/inc_123", {"resolvedAt": "2026-03-01T17:30:00Z"})
    assert _report(postmortem["id"]).seconds_to_publish == before - 3600


def test_moving_a_report_to_another_incident_copies_that_incidents_times(
    alice, api_for, postmortem
):
    api = api_for(alice)
    created = api.post(
        "/api/incidents",
        {
            "id": "inc_other",
            "title": "Another",
            "startedAt": "2025-11-05T08:00:00Z",
            "resolvedAt": "2025-11-05T09:00:00Z",
        },
    )
    assert created.status_code == 201, created.content
    response = api.patch(
        f"/api/postmortems/{postmortem['id']}",
        {"incidentId": "inc_other"},
        headers={"If-Match": f'"{postmortem["version"]}"'},
    )
    assert response.status_code == 200, response.content
    row = _report(postmortem["id"])
    assert row.incident_started_at == datetime(2025, 11, 5, 8, tzinfo=UTC)
    assert row.incident_resolved_at == datetime(2025, 11, 5, 9, tzinfo=UTC)
    assert row.incident_month == 202511


def test_an_imported_report_copies_its_incidents_times(alice, api_for):
    text = (
        "# Cache outage\n\nStart: 2021-03-04 10:00 UTC\nEnd: 2021-03-04 12:30 UTC\n\n"
        "The cache fell over.\n"
    )
    response = api_for(alice).post(
        "/api/postmortems/import", raw=text, content_type="text/markdown"
    )
    assert response.status_code == 201, response.content
    row = _report(response.json()["postmortem"]["id"])
    assert row.incident_started_at == datetime(2021, 3, 4, 10, tzinfo=UTC)
    assert row.incident_resolved_at == datetime(2021, 3, 4, 12, 30, tzinfo=UTC)
    assert row.incident_month == 202103


def test_the_migration_fills_the_copies_of_reports_written_before_it(alice, api_for, postmortem):
    api_for(alice).patch("/api/incidents/inc_123", {"resolvedAt": "2026-03-01T16:30:00Z"})
    PostMortem.objects.update(incident_started_at=None, incident_resolved_at=None)
    assert _report(postmortem["id"]).incident_month is None

    migration = importlib.import_module(
        "hindsight.postmortems.migrations.0017_report_insight_columns"
    )
    migration.copy_incident_times(apps, None)

    row = _report(postmortem["id"])
    assert row.incident_started_at == START
    assert row.incident_resolved_at == datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    assert row.incident_month == 202603


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
def test_connections_do_not_compile_queries():
    """JIT compilation cost the insights ~90 ms per subquery at 100,000 reports."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
