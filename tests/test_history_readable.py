"""The History page says each change as a person reads it: structured sections field by
field (`Impact analysis › Users › Total affected: 4,000 → 4,100`), statuses and enums as
words, numbers as numbers, and one style for every field."""

import pytest
from django.test import Client

from hindsight.postmortems import history, services
from hindsight.postmortems.models import PostMortem
from hindsight.web.diffview import readable


def _changes(pm_id: str, from_version: int, to_version: int | None = None) -> list[tuple]:
    pm = PostMortem.objects.get(pk=pm_id)
    diff = history.diff(pm, from_version, to_version)["changes"]
    return [(c.where, c.kind, c.old, c.new) for d in readable(diff) for c in d.changes]


@pytest.fixture
def sectioned(alice, postmortem):
    pm_id = postmortem["id"]
    services.update_postmortem(
        pm_id,
        {
            "impact_analysis": {
                "users": {"totalAffected": 4000, "durationMinutes": 45},
                "business": {"revenueLoss": 12000.0, "currency": "EUR"},
            },
            "contributing_factors": [
                {"factor": "Small pool", "howItContributed": "Ran out"},
                {"factor": "No autoscaling"},
            ],
        },
        by=alice,
    )
    return PostMortem.objects.get(pk=pm_id)


def test_a_structured_section_is_diffed_field_by_field_with_numbers_as_numbers(alice, sectioned):
    services.update_postmortem(
        sectioned.id,
        {
            "impact_analysis": {
                "users": {"totalAffected": 4100, "durationMinutes": 45},
                "business": {"revenueLoss": 15000.5, "currency": "EUR"},
            }
        },
        by=alice,
    )
    assert _changes(sectioned.id, sectioned.version) == [
        ("Impact analysis › Users › Total affected", "value", "4,000", "4,100"),
        ("Impact analysis › Business › Revenue loss", "value", "12,000", "15,000.5"),
    ]


def test_a_row_added_in_front_is_one_addition_not_every_row_changed(alice, sectioned):
    services.update_postmortem(
        sectioned.id,
        {
            "contributing_factors": [
                {"factor": "A traffic spike"},
                {"factor": "Small pool", "howItContributed": "Ran out"},
                {"factor": "No autoscaling", "whyItExisted": "Never needed"},
            ]
        },
        by=alice,
    )
    assert _changes(sectioned.id, sectioned.version) == [
        ("Contributing factors", "added", "", "A traffic spike"),
        ("Contributing factors › 3 › Why it existed", "value", "(empty)", "Never needed"),
    ]


def test_statuses_and_enums_are_words(alice, postmortem):
    pm_id = postmortem["id"]
    before = PostMortem.objects.get(pk=pm_id)
    items = services.snapshot(before)["action_items"]
    items[0].update(status="IN_PROGRESS", horizon="SHORT_TERM")
    events = services.snapshot(before)["timeline"]
    events[0]["kind"] = "DETECTION"
    services.update_postmortem(
        pm_id, {"status": "IN_REVIEW", "action_items": items, "timeline": events}, by=alice
    )
    changes = _changes(pm_id, before.version)
    assert ("Status", "value", "Draft", "In review") in changes
    item = "Action items › Implement connection pool monitoring with alerts"
    assert (f"{item} › Status", "value", "To do", "In progress") in changes
    assert (f"{item} › Horizon", "value", "(empty)", "Short term (this month)") in changes
    event = "Timeline › 14:35 — Traffic spike detected - 3x normal load"
    assert (f"{event} › Kind", "value", "(empty)", "Detection") in changes


def test_the_page_shows_every_change_in_one_style(alice, sectioned):
    services.update_postmortem(
        sectioned.id,
        {"impact_analysis": {"users": {"totalAffected": 4100, "durationMinutes": 45}}},
        by=alice,
    )
    client = Client()
    client.force_login(alice)
    page = client.get(f"/postmortems/{sectioned.id}/history").content.decode()
    assert (
        '<span class="diff-path">Impact analysis › Users › Total affected</span>: <del>4,000</del>'
    ) in page
    assert "<ins>4,100</ins>" in page
    assert "{&quot;" not in page and '{"' not in page.split('id="diff"')[1]


def test_instants_read_as_the_pages_show_times():
    from hindsight.web.diffview import field_diff

    diff = field_diff(
        "actionItems",
        [{"id": "act_1", "description": "Alert", "status": "TODO", "completedAt": None}],
        [
            {
                "id": "act_1",
                "description": "Alert",
                "status": "DONE",
                "completedAt": "2026-03-02T09:05:31.120Z",
            }
        ],
    )
    assert [(c.where, c.old, c.new) for c in diff.changes] == [
        ("Action items › Alert › Status", "To do", "Done"),
        ("Action items › Alert › Completed at", "(empty)", "2026-03-02 09:05 UTC"),
    ]
