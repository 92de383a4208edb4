"""Adding timeline events as lines ("14:35 Traffic spike detected"): the time is read as
the API reads event times, one line is added at once, several are shown first."""

import pytest

from hindsight.lib.times import is_valid_event_time, split_event_line
from hindsight.postmortems.models import PostMortem


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("14:35 Traffic spike detected", ("14:35", "Traffic spike detected")),
        ("  9:05 — Pager fired", ("9:05", "Pager fired")),
        ("14:35: Deploy | canary", ("14:35", "Deploy | canary")),
        ("14:35:20 - Deploy", ("14:35:20", "Deploy")),
        ("2026-03-01T14:35Z Deploy", ("2026-03-01T14:35Z", "Deploy")),
        ("2026-03-01T15:35+01:00 Deploy", ("2026-03-01T15:35+01:00", "Deploy")),
        ("2026-03-01 14:35 - Deploy", ("2026-03-01 14:35", "Deploy")),
        ("03-04-2021 14:35 Deploy", ("03-04-2021 14:35", "Deploy")),
        ("14:35 -3x normal load", ("14:35", "-3x normal load")),
        ("14:35", ("14:35", "")),
    ],
)
def test_a_line_is_its_time_as_the_api_accepts_it_then_its_text(line, expected):
    assert split_event_line(line) == expected
    assert is_valid_event_time(expected[0])


@pytest.mark.parametrize(
    "line", ["25:99 Pager fired", "Pager fired at 14:35", "2:35 PM deploy", "", "nonsense"]
)
def test_a_line_without_a_time_the_api_accepts_is_not_an_event(line):
    assert split_event_line(line) is None


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def _events(pm_id):
    return [(e.time, e.description, e.kind) for e in PostMortem.objects.get(pk=pm_id).timeline]


def test_one_line_is_added_at_once_without_javascript(signed_in, postmortem):
    pm_id = postmortem["id"]
    response = signed_in.post(
        f"/postmortems/{pm_id}/timeline",
        {"event-lines": "14:36 Alert fired on error rate", "event-kind": "DETECTION"},
    )
    assert response.status_code == 302
    assert ("14:36", "Alert fired on error rate", "DETECTION") in _events(pm_id)


def test_several_lines_are_previewed_then_added(signed_in, postmortem):
    pm_id = postmortem["id"]
    lines = "14:36 Alert fired\r\n\r\n2026-03-01T14:37Z - Incident channel opened\r\n"
    preview = signed_in.post(
        f"/postmortems/{pm_id}/timeline", {"event-lines": lines, "event-kind": ""}
    )
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "2 events to add" in body
    assert "2026-03-01 14:36 UTC" in body and "Incident channel opened" in body
    assert PostMortem.objects.get(pk=pm_id).version == 1  # nothing added yet

    added = signed_in.post(
        f"/postmortems/{pm_id}/timeline",
        {"event-lines": lines, "event-kind": "", "event-previewed": lines.replace("\r", "")},
    )
    assert added.status_code == 302
    events = _events(pm_id)
    assert ("14:36", "Alert fired", None) in events
    assert ("2026-03-01T14:37Z", "Incident channel opened", None) in events
    assert len(events) == 7


def test_lines_changed_after_the_preview_are_shown_again(signed_in, postmortem):
    pm_id = postmortem["id"]
    response = signed_in.post(
        f"/postmortems/{pm_id}/timeline",
        {"event-lines": "14:36 A\n14:37 B\n14:38 C", "event-previewed": "14:36 A\n14:37 B"},
    )
    assert response.status_code == 200
    assert "3 events to add" in response.content.decode()
    assert len(_events(pm_id)) == 5


def test_a_bad_line_is_named_and_nothing_is_added(signed_in, postmortem):
    pm_id = postmortem["id"]
    response = signed_in.post(
        f"/postmortems/{pm_id}/timeline",
        {"event-lines": "14:36 Alert fired\n25:99 Pager\n14:40", "event-kind": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Line 2: Write a time of day" in body
    assert "Line 3: write what happened after the time." in body
    assert "14:36 Alert fired\n25:99 Pager" in body  # what was typed stays
    assert PostMortem.objects.get(pk=pm_id).version == 1
