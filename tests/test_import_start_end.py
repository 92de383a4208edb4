"""`Start: … / End: …` lines give the imported incident its start and its resolution time."""

from datetime import UTC, datetime

import pytest

from hindsight.incidents.models import Incident
from hindsight.postmortems.markdown.importer import parse

pytestmark = pytest.mark.django_db


def _import(api, text, query=""):
    response = api.post(f"/api/postmortems/import{query}", raw=text, content_type="text/markdown")
    assert response.status_code == 201, response.content
    return response.json()


def test_start_and_end_lines_are_the_incidents_start_and_resolution():
    draft = parse(
        "# Cache outage\n\nStart: 2021-03-04 10:00 UTC\nEnd: 2021-03-04 12:30 UTC\n\n"
        "The cache fell over.\n"
    )
    assert draft.started_at == datetime(2021, 3, 4, 10, 0, tzinfo=UTC)
    assert draft.resolved_at == datetime(2021, 3, 4, 12, 30, tzinfo=UTC)
    assert draft.data["summary"] == "The cache fell over."  # the lines were read, not lost
    assert {"startedAt", "resolvedAt"} <= set(draft.recognised)


@pytest.mark.parametrize(
    "lines",
    [
        "**Started:** 2021-03-04 10:00 PST / **Resolved:** 13:05 PST",
        "- **Began**: 2021-03-04 10:00 PST\n- **Ended**: 2021-03-04 13:05 PST",
        "Start time: 2021-03-04 10:00 PST; End time: 13:05 PST",
    ],
)
def test_the_common_forms_are_read(lines):
    draft = parse(f"# Cache outage\n\n{lines}\n\n## Summary\n\nDown.\n")
    assert draft.started_at == datetime(2021, 3, 4, 18, 0, tzinfo=UTC)
    assert draft.resolved_at == datetime(2021, 3, 4, 21, 5, tzinfo=UTC)
    assert draft.custom == []


def test_an_end_time_before_the_start_time_is_on_the_next_day():
    draft = parse("# T\n\n## Start\n\n2021-03-04 23:00 UTC\n\n## End\n\n01:15 UTC\n")
    assert draft.resolved_at == datetime(2021, 3, 5, 1, 15, tzinfo=UTC)


def test_a_line_saying_more_than_a_time_is_kept_as_written():
    draft = parse("# T\n\nStart: 2021-03-04 10:00 UTC (roughly)\nEnd: when the pager stopped\n")
    assert draft.started_at is None and draft.resolved_at is None
    assert draft.data["summary"] == (
        "Start: 2021-03-04 10:00 UTC (roughly)\nEnd: when the pager stopped"
    )
    assert "resolvedAt" not in draft.recognised


def test_one_incidents_resolution_in_a_log_of_many_stays_in_its_section():
    text = (
        "# Incident log\n\n## Q3 2024\n\n### Incident on 2024-09-20\n\n- **Key facts**\n"
        "  - Resolved: 2024-09-20 11:40\n"
    )
    draft = parse(text)
    assert draft.resolved_at is None
    assert "Resolved: 2024-09-20 11:40" in draft.data["customSections"][0]["body"]


def test_the_imported_incident_is_resolved_at_the_end(alice, api_for):
    api = api_for(alice)
    body = _import(
        api, "# Cache outage\n\nStart: 2021-03-04 10:00 UTC\nEnd: 2021-03-04 12:30 UTC\n"
    )
    incident = Incident.objects.get(pk=body["postmortem"]["incidentId"])
    assert incident.started_at == datetime(2021, 3, 4, 10, 0, tzinfo=UTC)
    assert incident.resolved_at == datetime(2021, 3, 4, 12, 30, tzinfo=UTC)
    read = api.get(f"/api/incidents/{incident.pk}").json()
    assert read["resolvedAt"] == "2021-03-04T12:30:00Z"
    assert {"startedAt", "resolvedAt"} <= set(body["recognised"])


def test_an_end_before_the_start_leaves_the_incident_unresolved_and_says_so(alice, api_for):
    body = _import(
        api_for(alice), "# T\n\nStart: 2021-03-04 10:00 UTC\nEnd: 2021-03-03 12:30 UTC\n"
    )
    incident = Incident.objects.get(pk=body["postmortem"]["incidentId"])
    assert incident.started_at == datetime(2021, 3, 4, 10, 0, tzinfo=UTC)
    assert incident.resolved_at is None
    assert any("before its start" in w for w in body["warnings"])


def test_an_existing_incident_keeps_its_times_and_the_answer_says_so(alice, api_for, incident):
    body = _import(
        api_for(alice),
        "# T\n\nStart: 2021-03-04 10:00 UTC\nEnd: 2021-03-04 12:30 UTC\n",
        f"?incidentId={incident.pk}",
    )
    incident.refresh_from_db()
    assert incident.started_at == datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    assert incident.resolved_at is None
    assert any("were not applied" in w for w in body["warnings"])
