"""A refused edit of an action item or a timeline event comes back in that entry's own form,
open, with what was typed, the message beside it and the focus on the field it names, with
JavaScript (htmx swaps the section) and without (the edit page, answered 422)."""

import re

import pytest
from django.test import Client

from hindsight.postmortems.models import ActionItem, TimelineEvent


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form_of(page: str, action: str) -> str:
    start = page.index(f'action="{action}"')
    return page[start : page.index("</form>", start)]


@pytest.mark.parametrize("htmx", [False, True], ids=["without JavaScript", "htmx"])
def test_a_refused_item_edit_keeps_what_was_typed_in_its_own_form(alice, postmortem, htmx):
    item = ActionItem.objects.filter(postmortem_id=postmortem["id"]).order_by("position")[0]
    sent = {
        "item-description": "Alert on pool saturation, rewritten",
        "was-item-description": item.description,
        "item-owner": "bob",
        "was-item-owner": item.owner,
        "item-priority": "LOW",
        "was-item-priority": item.priority,
        "item-status": item.status,
        "item-due_date": "2026-13-45",
        "was-item-due_date": "",
    }
    headers = {"HX-Request": "true"} if htmx else {}
    response = _client(alice).post(f"/action-items/{item.id}", sent, headers=headers)
    assert response.status_code == 422
    page = response.content.decode()
    assert ("<html" in page) is not htmx  # the section alone for htmx, else the edit page
    form = _form_of(page, f"/action-items/{item.id}")
    assert 'role="alert"' in form and "Item not saved" in form and "due date" in form
    assert "Alert on pool saturation, rewritten</textarea>" in form
    assert 'value="bob"' in form and '<option value="LOW" selected>' in form
    assert re.search(rf'id="iu-{item.id}"[^>]*aria-invalid="true"[^>]*autofocus', form)
    # What the form was first rendered with travels on, so the next try writes only changes.
    assert f'name="was-item-owner" value="{item.owner}"' in form
    before = page[: page.index(f'action="/action-items/{item.id}"')]
    opening = before[before.rindex("<details") :]
    assert opening.startswith('<details class="edit-details" open>')  # the form is open
    item.refresh_from_db()
    assert item.owner != "bob" and item.due_date is None


def test_a_refused_event_edit_without_javascript_keeps_what_was_typed(alice, postmortem):
    event = TimelineEvent.objects.filter(postmortem_id=postmortem["id"]).order_by("position")[0]
    response = _client(alice).post(
        f"/postmortems/{postmortem['id']}/timeline/{event.id}",
        {
            "event-time": "nonsense",
            "was-event-time": event.time,
            "event-description": "Traffic spike, as retold",
            "was-event-description": event.description,
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    form = _form_of(page, f"/postmortems/{postmortem['id']}/timeline/{event.id}")
    assert 'value="nonsense"' in form and "Traffic spike, as retold</textarea>" in form
    assert re.search(rf'id="t-{event.id}"[^>]*autofocus', form)
    assert 'role="alert"' in form
    event.refresh_from_db()
    assert event.description == "Traffic spike detected - 3x normal load"
