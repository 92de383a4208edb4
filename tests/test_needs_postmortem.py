"""Which incidents need a post-mortem (postmortems.services.needs_postmortem): resolved ones
with no post-mortem at all, or whose post-mortems are all past their due time; a draft
counts as existing. The incident list filters by it and marks it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from hindsight.incidents.models import Incident
from hindsight.incidents.services import create_incident
from hindsight.postmortems import services

DUE = timedelta(hours=48)  # HINDSIGHT_POSTMORTEM_DUE_HOURS' default


@pytest.fixture
def make(alice):
    def make(title, *, resolved_ago=None, statuses=(), **fields):
        now = timezone.now()
        values = {"title": title, "started_at": now - timedelta(days=30), **fields}
        if resolved_ago is not None:
            values["resolved_at"] = now - resolved_ago
        incident = create_incident(values, by=alice)
        for status in statuses:
            pm = services.create_postmortem(
                {"incident_id": incident.id, "title": f"{title}: {status}"}, by=alice
            )
            for step in {
                "DRAFT": [],
                "IN_REVIEW": ["IN_REVIEW"],
                "PUBLISHED": ["IN_REVIEW", "PUBLISHED"],
                "ARCHIVED": ["IN_REVIEW", "PUBLISHED", "ARCHIVED"],
            }[status]:
                services.update_postmortem(pm.id, {"status": step}, by=alice)
        return incident

    return make


def _needing() -> set[str]:
    return {incident.title for incident in services.needs_postmortem()}


def test_a_resolved_incident_with_no_postmortem_needs_one_at_once(make):
    make("just resolved", resolved_ago=timedelta(minutes=5))
    make("long resolved", resolved_ago=DUE * 3)
    make("still open")
    assert _needing() == {"just resolved", "long resolved"}


def test_a_postmortem_within_its_due_time_settles_it_even_as_a_draft(make):
    make("draft in time", resolved_ago=DUE / 2, statuses=["DRAFT"])
    make("review in time", resolved_ago=DUE / 2, statuses=["IN_REVIEW"])
    assert _needing() == set()


def test_postmortems_all_past_their_due_time_need_one(make):
    make("late draft", resolved_ago=DUE * 2, statuses=["DRAFT"])
    make("late review and draft", resolved_ago=DUE * 2, statuses=["IN_REVIEW", "DRAFT"])
    assert _needing() == {"late draft", "late review and draft"}


def test_a_published_or_archived_postmortem_settles_it_whatever_else_is_late(make):
    make("published", resolved_ago=DUE * 2, statuses=["DRAFT", "PUBLISHED"])
    make("archived", resolved_ago=DUE * 2, statuses=["ARCHIVED"])
    assert _needing() == set()


def test_it_filters_the_queryset_it_is_given_and_takes_the_time_it_is_told(make):
    draft = make("draft", resolved_ago=DUE / 2, statuses=["DRAFT"])
    make("other", resolved_ago=DUE / 2)
    only_draft = Incident.objects.filter(pk=draft.pk)
    assert list(services.needs_postmortem(only_draft)) == []
    later = timezone.now() + DUE
    assert list(services.needs_postmortem(only_draft, now=later)) == [draft]


def test_the_due_time_is_the_setting(make, settings):
    make("draft", resolved_ago=timedelta(hours=3), statuses=["DRAFT"])
    assert _needing() == set()
    settings.POSTMORTEM_DUE_HOURS = 2
    assert _needing() == {"draft"}


# The incident list -------------------------------------------------------------------


@pytest.fixture
def listed(make):
    make(
        "Checkout outage",
        severity="SEV1",
        services=["checkout", "postgres"],
        started_at=timezone.now().replace(year=2026, month=3, day=1),
        resolved_ago=DUE * 2,
    )
    make(
        "Search slow",
        severity="SEV3",
        services=["search"],
        started_at=timezone.now().replace(year=2026, month=4, day=10),
        resolved_ago=DUE * 2,
        statuses=["PUBLISHED"],
    )
    make(
        "Login errors",
        severity="SEV2",
        services=["auth"],
        started_at=timezone.now().replace(year=2026, month=5, day=20),
        statuses=["DRAFT"],
    )


def _titles(client, query: str = "") -> list[str]:
    body = client.get(f"/incidents{query}").content.decode()
    return re.findall(r'<td><a href="/incidents/[^"]+">([^<]+)</a>', body)


def test_the_incident_list_filters_by_severity_service_dates_and_postmortem(client, carol, listed):
    client.force_login(carol)  # filtering is reading: a viewer may
    assert _titles(client) == ["Login errors", "Search slow", "Checkout outage"]
    assert _titles(client, "?severity=SEV3") == ["Search slow"]
    # The post-mortem list's rule: a prefix of a service's name, in any case.
    assert _titles(client, "?service=Postgres") == ["Checkout outage"]
    assert _titles(client, "?service=POST") == ["Checkout outage"]
    assert _titles(client, "?service=gres") == []
    assert _titles(client, "?started_from=2026-04-01") == ["Login errors", "Search slow"]
    assert _titles(client, "?started_to=2026-04-10") == ["Search slow", "Checkout outage"]
    assert _titles(client, "?postmortem=yes") == ["Login errors", "Search slow"]
    assert _titles(client, "?postmortem=no") == ["Checkout outage"]
    assert _titles(client, "?postmortem=needed") == ["Checkout outage"]
    assert _titles(client, "?severity=SEV1&postmortem=yes") == []


def test_the_incident_list_marks_those_that_need_a_postmortem(client, carol, listed):
    client.force_login(carol)
    body = client.get("/incidents").content.decode()
    rows = {
        title: "Needs a post-mortem" in row
        for row in body.split("<tr>")[2:]
        for title in re.findall(r'<td><a href="/incidents/[^"]+">([^<]+)</a>', row)
    }
    assert rows == {"Login errors": False, "Search slow": False, "Checkout outage": True}


def test_a_bad_date_range_is_named_and_the_list_still_shows(client, carol, listed):
    client.force_login(carol)
    response = client.get("/incidents?started_from=2026-05-01&started_to=2026-04-01")
    assert response.status_code == 200
    assert "Pick a day on or after the first one." in response.content.decode()
