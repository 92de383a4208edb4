"""The History page: who changed what and when, and a readable diff between two versions."""

import pytest
from django.test import Client

from hindsight.postmortems import services
from hindsight.postmortems.models import PostMortem
from hindsight.web.diffview import field_diff, line_diff


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def edited(alice, bob, postmortem):
    pm_id = postmortem["id"]
    services.update_postmortem(
        pm_id,
        {"summary": postmortem["summary"] + "\n<script>alert('x')</script> second line"},
        by=bob,
    )
    current = services.snapshot(PostMortem.objects.get(pk=pm_id))["action_items"]
    current[0]["priority"] = "LOW"
    services.update_postmortem(
        pm_id,
        {"action_items": [*current[:2], {"description": "Write a runbook", "status": "TODO"}]},
        by=alice,
    )
    return PostMortem.objects.get(pk=pm_id)


def test_the_history_lists_versions_with_who_when_and_which_fields(alice, edited):
    body = signed_in(alice).get(f"/postmortems/{edited.id}/history").content.decode()
    assert edited.version == 3
    assert "Version 2</span>\n      <strong>bob</strong>" in body
    assert "changed Summary" in body
    assert "changed Action items" in body
    assert "created the report" in body


def test_prose_is_a_line_diff_and_user_text_is_escaped(alice, edited):
    body = signed_in(alice).get(f"/postmortems/{edited.id}/history?from=1&to=2").content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; second line" in body
    assert '<span class="ins"><span class="mark" aria-hidden="true">+</span>' in body
    assert "Added: </span>" in body


def test_nested_lists_show_added_removed_and_changed_entries(alice, edited):
    body = signed_in(alice).get(f"/postmortems/{edited.id}/history?from=2&to=3").content.decode()
    assert (
        'Action items</span> › <span class="diff-label">Added:</span> <ins>Write a runbook</ins>'
        in body
    )
    assert "Removed:</span> <del>Review capacity planning procedures</del>" in body
    # A changed entry's field at its path, the enum in words, in the one style for all.
    assert (
        '<span class="diff-path">Action items › Implement connection pool monitoring with'
        " alerts › Priority</span>: <del>High</del>"
    ) in body
    assert "<ins>Low</ins>" in body


def test_any_two_versions_can_be_compared_and_bad_numbers_are_clamped(alice, edited):
    client = signed_in(alice)
    body = client.get(f"/postmortems/{edited.id}/history?from=1&to=3").content.decode()
    assert "Changes from version 1 to version 3" in body
    assert "Write a runbook" in body and "second line" in body
    body = client.get(f"/postmortems/{edited.id}/history?from=abc&to=99").content.decode()
    assert "Changes from version 2 to version 3" in body


def test_the_history_of_someone_elses_draft_is_not_found(make_user, edited):
    dana = make_user("dana")
    assert signed_in(dana).get(f"/postmortems/{edited.id}/history").status_code == 404


def test_the_report_links_to_the_history_and_to_changes_since_my_review(alice, make_user, edited):
    from hindsight.reviews import services as reviews

    dana = make_user("dana")
    services.update_postmortem(edited.id, {"status": "IN_REVIEW"}, by=alice)
    reviews.submit_review(edited.id, decision="CHANGES_REQUESTED", comment="", by=dana)
    services.update_postmortem(edited.id, {"title": "Pool exhaustion, revised"}, by=alice)
    body = signed_in(dana).get(f"/postmortems/{edited.id}").content.decode()
    assert f'href="/postmortems/{edited.id}/history"' in body
    assert "Changes since version 4" in body
    assert f"/postmortems/{edited.id}/history?from=4&amp;to=5" in body


def test_line_diff_marks_kept_removed_and_added_lines():
    assert line_diff("a\nb", "a\nc") == [(" ", "a"), ("-", "b"), ("+", "c")]


def test_lists_of_plain_values_show_what_was_added_and_removed():
    diff = field_diff("tags", ["db", "capacity"], ["db", "network"])
    assert [(c.where, c.kind, c.old or c.new) for c in diff.changes] == [
        ("Tags", "removed", "capacity"),
        ("Tags", "added", "network"),
    ]
