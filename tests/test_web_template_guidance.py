"""The web app shows a template's prompts as hints beside the fields, marks its suggestions
as unconfirmed with a one-click confirm, and asks before publishing any left (the pages
without JavaScript; tests/browser/test_template_guidance.py drives them in Chromium)."""

import re

import pytest

from hindsight.postmortems import services
from hindsight.postmortems.models import ActionItem, PostMortem, TimelineEvent


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def from_template(alice, incident):
    return services.create_postmortem(
        {
            "incident_id": incident.id,
            "title": "From the outage template",
            "template": "database-outage",
        },
        by=alice,
    )


def test_the_editor_shows_each_prompt_beside_its_field_and_not_as_its_text(
    signed_in, from_template
):
    body = signed_in.get(f"/postmortems/{from_template.id}/edit").content.decode()
    summary = re.search(r'<textarea name="summary"[^>]*>([^<]*)</textarea>', body)
    assert summary.group(1).strip() == ""  # no prompt as the report's text
    assert 'aria-describedby="id_summary-hint id_summary-help"' in summary.group(0)
    assert 'placeholder="Which database (cluster, role, version) stopped serving' in summary.group(
        0
    )
    assert '<p class="hint" id="id_summary-hint">' in body
    # A section's part gets its own prompt; a list of suggested rows is named under it.
    broke = re.search(r'<textarea name="s-what_happened-what_broke"[^>]*>', body).group(0)
    assert 'placeholder="Which instances, replicas or pools failed, and in what order."' in broke
    assert "The template suggests:</span> Monitoring gap; Scaling limit" in body


def test_a_report_without_a_template_shows_no_hints(signed_in, postmortem):
    body = signed_in.get(f"/postmortems/{postmortem['id']}/edit").content.decode()
    assert 'class="hint"' not in body
    assert "Unconfirmed suggestion" not in body


def test_suggestions_are_labelled_on_the_editor_and_the_report(signed_in, from_template):
    edit = signed_in.get(f"/postmortems/{from_template.id}/edit").content.decode()
    label = '<span class="badge badge-unconfirmed">Unconfirmed suggestion</span>'
    assert edit.count(label) == 6 + 5
    report = signed_in.get(f"/postmortems/{from_template.id}").content.decode()
    assert report.count(label) == 6 + 5


def test_one_click_confirms_an_event_or_an_item_without_javascript(signed_in, from_template):
    event = from_template.timeline[0]
    item = from_template.action_item_list[0]
    response = signed_in.post(f"/postmortems/{from_template.id}/timeline/{event.id}/confirm")
    assert response.status_code == 302
    assert TimelineEvent.objects.get(pk=event.id).unconfirmed is False
    assert TimelineEvent.objects.filter(unconfirmed=True).count() == 5
    response = signed_in.post(f"/action-items/{item.id}/confirm")
    assert response.status_code == 302
    stored = ActionItem.objects.get(pk=item.id)
    assert stored.unconfirmed is False and stored.description == item.description
    assert ActionItem.objects.filter(unconfirmed=True).count() == 4


def test_editing_an_event_in_the_editor_confirms_it(signed_in, from_template):
    event = from_template.timeline[0]
    response = signed_in.post(
        f"/postmortems/{from_template.id}/timeline/{event.id}",
        {
            "event-time": "14:31",
            "was-event-time": "00:00",
            "event-description": event.description,
            "was-event-description": event.description,
        },
    )
    assert response.status_code == 302
    stored = TimelineEvent.objects.get(pk=event.id)
    assert (stored.time, stored.unconfirmed) == ("14:31", False)


def test_only_the_report_s_editors_may_confirm(client, bob, from_template):
    client.force_login(bob)
    item = from_template.action_item_list[0]
    assert client.post(f"/action-items/{item.id}/confirm").status_code == 404
    assert ActionItem.objects.get(pk=item.id).unconfirmed is True


def test_publishing_asks_to_confirm_listing_what_is_left_then_publishes(
    signed_in, alice, from_template
):
    services.update_postmortem(from_template.id, {"status": "IN_REVIEW"}, by=alice)
    response = signed_in.post(f"/postmortems/{from_template.id}/status", {"to": "PUBLISHED"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "11 template suggestions not confirmed yet" in page
    assert "<li>Timeline event 00:00 Database metrics and slow-query log reviewed</li>" in page
    assert "<li>Action item Write a runbook for failover and point-in-time recovery</li>" in page
    assert 'name="confirm_template_content" value="true"' in page
    assert PostMortem.objects.get(pk=from_template.id).status == "IN_REVIEW"

    response = signed_in.post(
        f"/postmortems/{from_template.id}/status",
        {"to": "PUBLISHED", "confirm_template_content": "true"},
    )
    assert response.status_code == 302
    assert PostMortem.objects.get(pk=from_template.id).status == "PUBLISHED"
    assert not TimelineEvent.objects.filter(unconfirmed=True).exists()
    assert not ActionItem.objects.filter(unconfirmed=True).exists()
